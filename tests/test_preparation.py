"""Preparing a meeting in the browser: details, steps edited, added, moved, removed; kept as a template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kit.core import queries
from kit.core.errors import InvalidInput, KitError
from kit.meeting import lifecycle, preparation
from kit.meeting.templates import parse_template
from tests.conftest import gen_meeting

SAME_ORIGIN = {"Origin": "http://localhost"}


def test_steps_are_edited_moved_added_and_removed_before_the_start(db):
    meeting = gen_meeting(db)
    first, second, third = meeting.steps
    preparation.update_step(db, meeting, second.id, "Nos besoins", "Un besoin ?", 'exemplier = ["Un guide"]\n')
    assert second.options == {"exemplier": ["Un guide"], "max_length": 500}
    preparation.move_step(db, meeting, third.id, -1)
    db.expire_all()
    assert [s.title for s in meeting.steps] == ["Accueil", "Évaluation", "Nos besoins"]
    added = preparation.add_step(db, meeting, "needs", "Besoins", "")
    assert added.options == {"max_length": 300, "minutes": 5} and meeting.steps[-1].id == added.id
    preparation.remove_step(db, meeting, first.id)
    db.expire_all()
    assert [(s.position, s.title) for s in meeting.steps] == [(0, "Évaluation"), (1, "Nos besoins"), (2, "Besoins")]


@pytest.mark.parametrize(
    ("options", "words"),
    [("max_length = 5", "max_length"), ("colour = 'red'", "colour"), ("exemplier = [", "TOML")],
)
def test_bad_options_are_refused_naming_the_option_and_change_nothing(db, options, words):
    meeting = gen_meeting(db)
    step = meeting.steps[1]
    before = dict(step.options)
    with pytest.raises(InvalidInput) as caught:
        preparation.update_step(db, meeting, step.id, "Besoins", "", options)
    assert words in str(caught.value.message)
    db.rollback()
    assert step.options == before


def test_once_started_steps_stay_but_one_can_be_added_at_the_end(db):
    meeting = gen_meeting(db, live=True)
    with pytest.raises(KitError):
        preparation.remove_step(db, meeting, meeting.steps[0].id)
    with pytest.raises(KitError):
        preparation.update_step(db, meeting, meeting.steps[0].id, "X", "", "")
    added = preparation.add_step(db, meeting, "poll", "Évaluation express")
    assert meeting.steps[-1].id == added.id and added.options["questions"]
    with pytest.raises(InvalidInput):
        preparation.add_step(db, meeting, "karaoke", "Fête")


def test_the_steps_become_a_template_that_reads_back_the_same(db, tmp_path):
    meeting = gen_meeting(db, title="Rencontre d'avril")
    preparation.update_step(db, meeting, meeting.steps[1].id, "Besoins", "Un besoin ?", 'exemplier = ["Un « guide »"]')
    source = preparation.as_template(meeting)
    template = parse_template(Path("x.toml"), source)
    assert [(s.activity, s.title, s.options) for s in template.steps] == [
        (s.activity, s.title, s.options) for s in meeting.steps
    ]
    path = preparation.save_as_template(meeting, tmp_path, "Rencontre d'avril")
    assert path.name == "rencontre-d-avril.toml"
    with pytest.raises(InvalidInput):
        preparation.save_as_template(meeting, tmp_path, "Rencontre d'avril")


def test_preparing_in_the_browser(client, app, db):
    meeting = gen_meeting(db)
    base = f"/m/{meeting.code}/prepare"
    key = meeting.facilitator_key
    assert client.get(base).status_code == 403
    page = client.get(base, query_string={"key": key})
    assert page.status_code == 200 and "Accueil" in page.get_data(as_text=True)
    response = client.post(
        base,
        data={
            "key": key,
            "action": "details",
            "title": "Rencontre de mai",
            "date": "2026-05-12",
            "place": "Fougères",
            "host": "CCAS de Fougères",
        },
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 303
    db.expire_all()
    assert (meeting.title, meeting.host) == ("Rencontre de mai", "CCAS de Fougères")
    bad = client.post(
        base,
        data={
            "key": key,
            "action": "step",
            "step": str(meeting.steps[1].id),
            "title": "B",
            "prompt": "",
            "options": "max_length = 'long'",
        },
        headers=SAME_ORIGIN,
    )
    assert bad.status_code == 400 and 'role="alert"' in bad.get_data(as_text=True)
    saved = client.post(base, data={"key": key, "action": "save_template", "name": "Ma rencontre"}, headers=SAME_ORIGIN)
    assert saved.status_code == 200
    assert (Path(app.instance_path) / "sessions" / "ma-rencontre.toml").exists()
    download = client.get(f"/m/{meeting.code}/template.toml", query_string={"key": key})
    assert download.status_code == 200 and re.search(r'title = "Rencontre de mai"', download.get_data(as_text=True))
    assert (
        client.post(
            base,
            data={"key": meeting.screen_key, "action": "remove", "step": str(meeting.steps[0].id)},
            headers=SAME_ORIGIN,
        ).status_code
        == 403
    )
    assert len(lifecycle.get_meeting(db, meeting.code).steps) == 3


def test_the_console_adds_a_step_during_the_meeting(db, live_clients):
    meeting = gen_meeting(db, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phone = live_clients("phone", {"meeting": meeting.code})
    ack = console.emit(
        "add_step", {"activity": "needs", "title": "Besoins en plus"}, callback=True, namespace="/console"
    )
    assert ack["ok"], ack
    assert (
        phone.emit("add_step", {"activity": "needs", "title": "X"}, callback=True, namespace="/phone")["error"]["code"]
        == "forbidden"
    )
    db.expire_all()
    assert [s.title for s in lifecycle.get_meeting(db, meeting.code).steps][-1] == "Besoins en plus"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_photo_of_the_venue_is_uploaded_checked_and_shown(client, app, db):
    meeting = gen_meeting(db)
    checkin = meeting.steps[0]
    base = f"/m/{meeting.code}/prepare"
    key = meeting.facilitator_key

    def upload(data: bytes, name: str = "lieu.png"):  # type: ignore[no-untyped-def]
        from io import BytesIO

        return client.post(
            base,
            data={"key": key, "action": "photo", "step": str(checkin.id), "photo": (BytesIO(data), name)},
            content_type="multipart/form-data",
            headers=SAME_ORIGIN,
        )

    refused = upload(b"<script>alert(1)</script>", "lieu.png")
    assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)
    assert upload(PNG).status_code == 303
    db.expire_all()
    photo = checkin.options["photo"]
    served = client.get(f"/uploads/{photo}")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG
    assert client.get("/uploads/..%2Fsecret-key").status_code == 404
    assert "photo" not in preparation.as_template(meeting), "a template does not carry this server's files"
    with pytest.raises(InvalidInput):
        preparation.set_photo(db, meeting, meeting.steps[1].id, Path(app.instance_path) / "uploads", PNG)


def test_the_next_meeting_starts_from_this_one_without_its_contributions(client, db):
    meeting = gen_meeting(db, live=True, place="Vitré")
    awa = lifecycle.join(db, meeting, "Awa")
    lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "c", {"name": "Awa"})
    preparation.add_step(db, meeting, "needs", "Besoins en plus")
    response = client.post(f"/m/{meeting.code}/duplicate", data={"key": meeting.facilitator_key}, headers=SAME_ORIGIN)
    assert response.status_code == 303
    code = re.search(r"/m/(\w+)/prepare", response.headers["Location"]).group(1)
    copy = lifecycle.get_meeting(db, code)
    assert copy.id != meeting.id and copy.status == "prepared" and copy.place == "Vitré"
    assert [(s.activity, s.title, s.options) for s in copy.steps] == [
        (s.activity, s.title, s.options) for s in meeting.steps
    ]
    assert queries.participants(db, copy) == [] and copy.facilitator_key != meeting.facilitator_key


def test_news_items_without_a_date_are_edited_and_exported(client, db):
    """A news item's missing deadline is kept as None, which TOML cannot write: it is left out."""
    from kit.meeting.templates import StepTemplate
    from tests.conftest import gen_template

    template = gen_template(StepTemplate("news", "Actualité", "", {"items": [{"title": "Sans date"}]}))
    meeting = lifecycle.create_meeting(db, template)
    assert meeting.steps[0].options["items"][0]["deadline"] is None
    text = preparation.options_text(meeting.steps[0])
    assert 'title = "Sans date"' in text and "deadline" not in text
    assert client.get(f"/m/{meeting.code}/prepare", query_string={"key": meeting.facilitator_key}).status_code == 200
    parse_template(Path("x.toml"), preparation.as_template(meeting))

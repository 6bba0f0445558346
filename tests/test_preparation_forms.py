"""Preparing with forms: each activity's options as fields, read back into the options dict its
validate_options checks, an error shown next to the field that caused it, nothing saved when the
input is wrong; steps moved by a script; the gallery of templates and its previews."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kit.activities import ACTIVITIES, activity_class
from kit.activities.options import as_form, error_field, from_form
from kit.activities.topics import TopicCards
from kit.core.errors import InvalidInput
from kit.core.models import Step
from kit.live import state as live_state
from kit.meeting import lifecycle, preparation
from kit.meeting.templates import StepTemplate, list_templates, load_template
from tests.conftest import gen_meeting, gen_template

ROOT = Path(__file__).resolve().parent.parent
SAME_ORIGIN = {"Origin": "http://localhost"}
TEMPLATES = sorted((ROOT / "sessions").glob("*.toml")) + [ROOT / "tests" / "fixtures" / "every-activity.toml"]

INTRODUCTION = (
    "Chaque automne, les structures du réseau ouvrent leurs portes la même semaine : ateliers, permanences.\n\n"
    "L'an dernier, douze lieux ont participé et près de trois cents personnes sont venues.\n\n"
    "Dites ce que vous pourriez proposer, et avec qui vous aimeriez l'organiser."
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_option_of_every_shipped_step_goes_through_the_form_unchanged(app, path):
    for step in load_template(path).steps:
        activity = activity_class(step.activity)
        posted = as_form(activity.option_fields, step.options)
        read = from_form(activity.option_fields, posted)
        assert activity.validate_options(read) == step.options, (path.stem, step.title)


def test_every_activity_describes_its_options_as_fields(app):
    needed = {"topics": {"topics": [{"title": "T"}]}, "poll": {"questions": [{"type": "open", "text": "Q"}]}}
    for name, activity in ACTIVITIES.items():
        assert activity.option_fields, name
        defaults = activity.validate_options(needed.get(name, {}))
        shown = {field.name for field in activity.option_fields} | {"photo"}
        assert set(defaults) <= shown, name


def test_rows_left_empty_or_ticked_for_removal_are_dropped_and_lines_become_lists(app):
    fields = activity_class("topics").option_fields
    posted = [
        ("o.topics.0.title", "Une semaine du numérique"),
        ("o.topics.0.description", INTRODUCTION.replace("\n", "\r\n")),
        ("o.topics.0.exemplier.0.title", "Un stand au marché"),
        ("o.topics.0.exemplier.0.text", "Chaque structure tient le stand une heure."),
        ("o.topics.0.exemplier.1.title", ""),
        ("o.topics.0.exemplier.1.text", ""),
        ("o.topics.1.title", "Un annuaire partagé"),
        ("o.topics.1._remove", "1"),
        ("o.topics.2.title", ""),
        ("o.topics.2.description", "  "),
        ("o.max_length", ""),
    ]
    read = from_form(fields, posted)
    assert read == {
        "topics": [
            {
                "title": "Une semaine du numérique",
                "description": INTRODUCTION,
                "exemplier": [{"title": "Un stand au marché", "text": "Chaque structure tient le stand une heure."}],
            }
        ]
    }
    assert activity_class("topics").validate_options(read)["max_length"] == 500
    poll = from_form(
        activity_class("poll").option_fields,
        [
            ("o.questions.0.type", "single"),
            ("o.questions.0.text", "Où ?"),
            ("o.questions.0.choices", "Vitré\r\n\r\n Janzé "),
        ],
    )
    assert poll["questions"][0]["choices"] == ["Vitré", "Janzé"]
    roadmap = from_form(activity_class("roadmap").option_fields, [("o.sections", "roles"), ("o.sections", "purpose")])
    assert roadmap["sections"] == ["roles", "purpose"]


def test_an_option_error_names_the_field_of_the_form():
    assert error_field("topics[2].exemplier[1].title") == "o.topics.1.exemplier.0.title"
    assert error_field("items[12].deadline") == "o.items.11.deadline"
    assert error_field("max_length") == "o.max_length"


@pytest.mark.parametrize(
    ("posted", "field", "words"),
    [
        ([("o.max_length", "5")], "o.max_length", ("10", "2000")),
        ([("o.max_length", "beaucoup")], "o.max_length", ("10", "2000")),
        ([("o.minutes", "90")], "o.minutes", ("1", "60")),
    ],
)
def test_a_wrong_number_names_its_field_and_the_allowed_range(db, posted, field, words):
    meeting = gen_meeting(db)
    step = meeting.steps[1]
    needs = preparation.add_step(db, meeting, "needs", "Besoins")
    before = dict(needs.options)
    with pytest.raises(InvalidInput) as caught:
        preparation.update_step_fields(db, meeting, needs.id, "Besoins", "", posted)
    assert caught.value.field == field
    assert all(bound in str(caught.value.message) for bound in words), caught.value.message
    db.rollback()
    assert needs.options == before and step.options


def test_a_news_item_of_an_unknown_kind_lists_the_kinds_allowed(db):
    meeting = gen_meeting(db)
    news = preparation.add_step(db, meeting, "news", "Actualités")
    with pytest.raises(InvalidInput) as caught:
        preparation.update_step_fields(
            db,
            meeting,
            news.id,
            "Actualités",
            "",
            [("o.items.0.type", "concert"), ("o.items.0.title", "Fête de la médiation numérique")],
        )
    assert caught.value.field == "o.items.0.type"
    message = str(caught.value.message)
    assert all(kind in message for kind in ("funding_call", "event", "study", "scheme", "other")), message


def test_saving_the_check_in_fields_keeps_the_venue_photo(db):
    meeting = gen_meeting(db)
    checkin = preparation.add_step(db, meeting, "checkin", "Accueil")
    checkin.options = {**checkin.options, "photo": "a" * 32 + ".jpg"}
    db.commit()
    preparation.update_step_fields(
        db,
        meeting,
        checkin.id,
        "Accueil",
        "",
        [("o.host", "Médiathèque de Vitré"), ("o.skills", "Démarches\nSmartphone")],
    )
    assert checkin.options["photo"] == "a" * 32 + ".jpg"
    assert checkin.options["skills"] == ["Démarches", "Smartphone"]


# -- topics' examples ------------------------------------------------------------------------------
def test_an_example_written_as_a_plain_text_is_read_as_a_title_with_no_text():
    options = TopicCards.validate_options(
        {
            "topics": [
                {
                    "title": "Annuaire",
                    "exemplier": ["Une fiche par lieu", {"title": "Qui sait quoi", "text": "Les compétences."}],
                }
            ]
        }
    )
    assert options["topics"][0]["exemplier"] == [
        {"title": "Une fiche par lieu", "text": ""},
        {"title": "Qui sait quoi", "text": "Les compétences."},
    ]
    with pytest.raises(Exception) as caught:
        TopicCards.validate_options(
            {"topics": [{"title": "Annuaire", "exemplier": [{"title": "", "text": "Sans titre"}]}]}
        )
    assert caught.value.key == "topics[1].exemplier[1].title"  # type: ignore[attr-defined]


def test_the_minutes_and_the_screen_show_each_example_as_a_title_and_a_text(app, db):
    step = Step(
        activity="topics",
        title="Projets",
        options=TopicCards.validate_options(
            {
                "topics": [
                    {
                        "title": "Une semaine du numérique",
                        "description": INTRODUCTION,
                        "exemplier": [
                            {"title": "Un stand au marché", "text": "Chaque structure tient le stand une heure."}
                        ],
                    }
                ]
            }
        ),
    )
    section = TopicCards(step).minutes_section([], {})
    assert "- **Un stand au marché**\n\n    Chaque structure tient le stand une heure." in section
    # a step stored by an older kit keeps its examples as plain texts
    older = Step(
        activity="topics", title="Projets", options={"topics": [{"title": "Annuaire", "exemplier": ["Une fiche"]}]}
    )
    assert TopicCards(older).topics[0]["exemplier"] == [{"title": "Une fiche", "text": ""}]
    assert "- **Une fiche**" in TopicCards(older).minutes_section([], {})


# -- the page ----------------------------------------------------------------------------------------
def test_a_wrong_value_is_shown_next_to_its_field_and_nothing_is_saved(client, db):
    meeting = gen_meeting(db)
    news = preparation.add_step(db, meeting, "news", "Actualités")
    base = f"/m/{meeting.code}/prepare"
    answer = client.post(
        base,
        data={
            "key": meeting.facilitator_key,
            "action": "step",
            "step": str(news.id),
            "title": "Point d'actualité de novembre",
            "prompt": "",
            "o.items.0.type": "funding_call",
            "o.items.0.title": "Appel à projets « inclusion numérique »",
            "o.items.0.deadline": "2026-12-18",
            "o.items.1.type": "event",
            "o.items.1.title": "Journée régionale",
            "o.items.1.date": "le 22 janvier",
        },
        headers=SAME_ORIGIN,
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    field = re.search(rf'<input id="s{news.id}-o-items-1-date"[^>]*>', page)
    assert field is not None and 'aria-invalid="true"' in field[0]
    assert f"s{news.id}-o-items-1-date-error" in field[0]
    assert re.search(rf'id="s{news.id}-o-items-1-date-error">[^<]*2026-04-15', page)
    assert f'href="#s{news.id}-o-items-1-date"' in page
    # what was typed is shown again, to be corrected
    assert "Appel à projets « inclusion numérique »" in page and 'value="le 22 janvier"' in page
    db.expire_all()
    assert news.title == "Actualités" and news.options == {"items": []}

    fixed = client.post(
        base,
        data={
            "key": meeting.facilitator_key,
            "action": "step",
            "step": str(news.id),
            "title": "Point d'actualité de novembre",
            "prompt": "",
            "o.items.0.type": "funding_call",
            "o.items.0.title": "Appel à projets « inclusion numérique »",
            "o.items.0.deadline": "2026-12-18",
            "o.items.1.type": "other",
            "o.items.1.title": "",
        },
        headers=SAME_ORIGIN,
    )
    assert fixed.status_code == 303 and fixed.headers["Location"].endswith(f"#step-{news.id}")
    db.expire_all()
    assert [item["title"] for item in news.options["items"]] == ["Appel à projets « inclusion numérique »"]


def test_the_page_shows_fields_and_the_toml_as_an_advanced_view(client, db):
    meeting = gen_meeting(db)
    topics = preparation.add_step(db, meeting, "topics", "Projets collectifs")
    preparation.update_step_fields(
        db,
        meeting,
        topics.id,
        "Projets collectifs",
        "",
        [("o.topics.0.title", "Une semaine du numérique"), ("o.topics.0.description", INTRODUCTION)],
    )
    page = client.get(f"/m/{meeting.code}/prepare", query_string={"key": meeting.facilitator_key}).get_data(
        as_text=True
    )
    assert f'<label for="s{topics.id}-o-topics-0-title"' in page
    assert 'name="o.topics.1.title"' in page  # the empty row that adds a topic without a script
    assert '<details class="advanced"' in page and 'name="action" value="options_toml"' in page
    assert '<script src="/static/prepare.js"></script>' in page
    toml = client.post(
        f"/m/{meeting.code}/prepare",
        data={
            "key": meeting.facilitator_key,
            "action": "options_toml",
            "step": str(topics.id),
            "options": '[[topics]]\ntitle = "Annuaire"\nexemplier = ["Une fiche par lieu"]\n',
        },
        headers=SAME_ORIGIN,
    )
    assert toml.status_code == 303
    db.expire_all()
    assert topics.title == "Projets collectifs"
    assert topics.options["topics"][0]["exemplier"] == [{"title": "Une fiche par lieu", "text": ""}]


def test_a_step_moved_by_the_page_script_answers_with_the_new_order(client, db):
    meeting = gen_meeting(db)
    first, second, third = (s.id for s in meeting.steps)
    answer = client.post(
        f"/m/{meeting.code}/prepare",
        data={"key": meeting.facilitator_key, "action": "down", "step": str(first)},
        headers={**SAME_ORIGIN, "Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.get_json() == {"ok": True, "order": [second, first, third]}
    lifecycle.start(db, lifecycle.get_meeting(db, meeting.code))
    refused = client.post(
        f"/m/{meeting.code}/prepare",
        data={"key": meeting.facilitator_key, "action": "down", "step": str(first)},
        headers={**SAME_ORIGIN, "Accept": "application/json"},
    )
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "already_started"


def test_the_gallery_offers_the_monthly_meeting_first_with_a_preview_of_each_screen(app, client):
    found = [t for t in list_templates(app.config["SESSIONS_DIRS"]) if hasattr(t, "steps")]
    assert found[0].name == "rencontre-mensuelle"
    with client.session_transaction() as session:
        session["admin"] = app.config["ADMIN_TOKEN"]
    page = client.get("/admin").get_data(as_text=True)
    assert page.index('id="tpl-rencontre-mensuelle"') < page.index('id="tpl-atelier-projets-collectifs"')
    assert re.search(r'<option value="rencontre-mensuelle"', page)
    chosen = client.get("/admin", query_string={"template": "lancement-reseau"}).get_data(as_text=True)
    assert '<option value="lancement-reseau" selected>' in chosen
    for template in found:
        for number, step in enumerate(template.steps, start=1):
            preview = client.get(f"/admin/templates/{template.name}/steps/{number}/screen")
            assert preview.status_code == 200
            assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
            assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
            text = preview.get_data(as_text=True)
            assert step.title.replace("'", "&#39;") in text and "Pas d'aperçu" not in text
    assert client.get("/admin/templates/rencontre-mensuelle/steps/9/screen").status_code == 404
    assert "frame-ancestors 'none'" in client.get("/admin").headers["Content-Security-Policy"]
    assert (
        client.application.test_client().get("/admin/templates/rencontre-mensuelle/steps/1/screen").status_code == 403
    )


def test_the_screen_and_the_phones_show_each_example_as_a_title_and_its_text(app, db):
    topics = StepTemplate(
        "topics",
        "Projets collectifs",
        "Ajoutez une idée.",
        TopicCards.validate_options(
            {
                "topics": [
                    {
                        "title": "Une semaine du numérique",
                        "description": INTRODUCTION,
                        "exemplier": [
                            {"title": "Un stand au marché", "text": "Chaque structure tient le stand une heure."},
                            "Des ateliers dans chaque commune",
                        ],
                    }
                ]
            }
        ),
    )
    meeting = lifecycle.create_meeting(db, gen_template(topics))
    lifecycle.start(db, meeting)
    for view in ("screen", "phone"):
        with app.test_request_context():
            html = live_state.state(db, meeting, view, "fr")["html"]
        assert re.search(r'class="example-title">Un stand au marché<', html), view
        assert re.search(r'class="example-text">Chaque structure tient le stand une heure\.<', html), view
        assert re.search(r'class="example-title">Des ateliers dans chaque commune<', html), view

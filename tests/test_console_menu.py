"""A card's "More" on the console: each card carries its number, badges and main action; the rest
is drawn by the server when the facilitator opens it (`item_menu`), in their language, for this
meeting's contributions only."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from flask_babel import refresh

from kit.activities import ACTIVITIES
from kit.core.models import Contribution
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_template
from tests.long_content import text_for

TEMPLATES = Path(__file__).resolve().parent.parent / "kit" / "templates"


def events(client, namespace: str, name: str) -> list:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def menu(console, target: object) -> dict:  # type: ignore[no-untyped-def]
    return console.emit("item_menu", {"id": target}, callback=True, namespace="/console")


@pytest.fixture
def room(db, live_clients):  # type: ignore[no-untyped-def]
    """A board then a needs step, 120 long French contributions on the board from 12 phones."""
    template = gen_template(StepTemplate("board", "Idées", "Une idée ?", {}), StepTemplate("needs", "Besoins", "", {}))
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for n in range(12):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": f"Participante {n}"}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    rng = random.Random(7)
    board = meeting.steps[0].id
    ids = []
    for n in range(120):
        payload = {"client_id": f"c{n}", "step_id": board, "data": {"text": text_for(rng, n)}}
        ack = phones[n % 12].emit("contribute", payload, callback=True, namespace="/phone")
        assert ack["ok"], ack
        ids.append(ack["id"])
    console.get_received("/console")
    return meeting, console, phones, ids


def test_the_console_sends_cards_without_their_menus_and_draws_one_when_asked(db, room):
    meeting, console, phones, ids = room
    html = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    assert html.count("data-menu-for=") == 120
    assert 'data-moderate="hide"' not in html and 'data-moderate="edit"' not in html
    # each card still shows its main action: on a board, marking it as a decision
    assert html.count('data-action="mark_decision"') == 120

    card = db.get(Contribution, ids[41])
    drawn = menu(console, ids[41])
    assert drawn["ok"] and drawn["id"] == ids[41]
    body = drawn["html"]
    for tool in ('data-moderate="hide"', 'data-moderate="edit"', 'data-moderate="merge"', 'data-moderate="pick"'):
        assert f'{tool} data-id="{ids[41]}"' in body
    assert "Masquer" in body and "Fusionner" in body, "in the console's language"
    assert 'data-action="mark_decision"' not in body, "the card shows it already"
    # the edit field holds the words as they are, escaped
    escaped = card.data["text"].replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
    assert f">{escaped}</textarea>" in body


def test_a_menu_follows_what_changed_and_speaks_english_to_an_english_console(db, room, live_clients):
    meeting, console, phones, ids = room
    assert console.emit("moderate", {"action": "hide", "id": ids[3]}, callback=True, namespace="/console")["ok"]
    body = menu(console, ids[3])["html"]
    assert 'data-moderate="show"' in body and 'data-moderate="hide"' not in body
    assert 'data-moderate="pick"' not in body, "a hidden one cannot be picked"
    refresh()  # the test's own app context keeps the locale it found first (a server has none)
    english = live_clients(
        "console", {"meeting": meeting.code, "key": meeting.facilitator_key}, headers={"Accept-Language": "en"}
    )
    body = menu(english, ids[3])["html"]
    assert "Show again" in body and "Merge" in body and "Afficher" not in body


def test_a_needs_menu_holds_the_answer_and_the_deferral_until_it_is_answered(db, room):
    meeting, console, phones, _ids = room
    assert console.emit("next", {}, callback=True, namespace="/console")["ok"]
    step = meeting.steps[1].id
    payload = {"client_id": "n1", "step_id": step, "data": {"text": "Un atelier sur les arnaques au téléphone"}}
    need = phones[0].emit("contribute", payload, callback=True, namespace="/phone")["id"]
    card = events(console, "/console", "contribution")[-1]["html"]
    assert f'data-act="answer_now" data-id="{need}"' in card and "<form" not in card
    body = menu(console, need)["html"]
    assert 'data-act="record_answer"' in body and 'data-act="defer"' in body
    assert 'data-act="answer_now"' not in body, "the card shows it already"
    answer = {"action": "record_answer", "id": need, "answer": "Un atelier le 12 mars à la médiathèque."}
    assert console.emit("act", answer, callback=True, namespace="/console")["ok"]
    body = menu(console, need)["html"]
    assert 'data-act="record_answer"' not in body and 'data-moderate="hide"' in body


def test_hostile_words_stay_text_in_the_menu(db, room):
    meeting, console, phones, _ids = room
    hostile = "</textarea><script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
    payload = {"client_id": "x1", "step_id": meeting.steps[0].id, "data": {"text": hostile}}
    target = phones[1].emit("contribute", payload, callback=True, namespace="/phone")["id"]
    body = menu(console, target)["html"]
    assert "<script>" not in body and "<img" not in body and "</textarea><script" not in body
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("target", [None, "abc", -5, 0, 10**30, 3.5, [1], {"id": 1}, True])
def test_a_menu_of_nothing_is_refused_plainly_and_changes_nothing(db, room, target):
    meeting, console, _phones, _ids = room
    version = meeting.version
    ack = menu(console, target)
    assert not ack["ok"] and ack["error"]["code"] == "not_found"
    assert "contribution" in ack["error"]["message"]
    db.refresh(meeting)
    assert meeting.version == version


def test_a_menu_is_only_for_this_meetings_contributions_and_its_console(db, room, live_clients):
    meeting, console, phones, ids = room
    other = lifecycle.create_meeting(db, gen_template())
    lifecycle.start(db, other)
    stranger = live_clients("console", {"meeting": other.code, "key": other.facilitator_key})
    ack = menu(stranger, ids[0])
    assert ack["error"]["code"] == "not_found", "another meeting's console sees nothing of this one"
    refused = phones[0].emit("item_menu", {"id": ids[0]}, callback=True, namespace="/phone")
    assert not refused["ok"] and "html" not in refused
    bad = console.emit("item_menu", "menu", callback=True, namespace="/console")
    assert bad["error"]["code"] == "bad_request"


def test_each_activity_says_which_console_tools_it_draws():
    """`has_main_action` and `has_menu_extra` name the activity's own templates: one without the
    other would draw nothing, or a button the menu and the card would both miss."""
    for name, activity in ACTIVITIES.items():
        folder = TEMPLATES / "activities" / name
        assert activity.has_main_action == (folder / "_main_action.html").is_file(), name
        assert activity.has_menu_extra == (folder / "_menu_extra.html").is_file(), name


def test_a_menu_opened_on_what_its_author_deleted_offers_nothing(db, room):
    """A menu left open while its author deletes the contribution: asked again, it says so and
    offers no tool (the server refuses them anyway: the words are gone)."""
    meeting, console, phones, ids = room
    target = ids[5]
    ack = phones[5].emit("withdraw", {"contribution_id": target}, callback=True, namespace="/phone")
    assert ack["ok"]
    body = menu(console, target)["html"]
    assert "supprimée par son auteur" in body
    assert "data-moderate" not in body and "<textarea" not in body and "data-action" not in body

"""The room's pace through the live layer: a step's timer (start, pause, one more minute, reset),
its introduction folded or shown, the screen's pages turned from the console and the page the
screen shows told back to it — each for the facilitator only, each bad payload refused with a
translated message and nothing changed. The content is a real workshop's (tests/long_content.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from kit.core.models import utcnow
from kit.meeting import lifecycle, pacing
from tests.long_content import create_long_meeting, fill_meeting


def events(client, namespace: str, name: str) -> list:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


@pytest.fixture(name="room")
def room_fixture(app, db, live_clients):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        meeting = create_long_meeting(db)
        fill_meeting(db, meeting, count=30)
    topics = next(step for step in meeting.steps if step.activity == "topics")
    lifecycle.go_to_step(db, meeting, topics.id)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Maëlle Jégou"}, callback=True, namespace="/phone")["ok"]
    for client, namespace in ((console, "/console"), (screen, "/screen"), (phone, "/phone")):
        client.get_received(namespace)
    return {"meeting": meeting, "topics": topics, "console": console, "screen": screen, "phone": phone}


def emit(client, event, payload, namespace="/console"):  # type: ignore[no-untyped-def]
    return client.emit(event, payload, callback=True, namespace=namespace)


def test_a_timer_started_paused_and_lengthened_is_seen_by_every_view_once_per_change(db, room):
    console, screen, phone = room["console"], room["screen"], room["phone"]
    before = utcnow()
    assert emit(console, "timer", {"action": "start", "minutes": 4})["ok"]
    [state] = events(screen, "/screen", "state")
    assert 'role="timer"' in state["html"] and "data-countdown" in state["html"]
    assert len(events(phone, "/phone", "state")) == 1, "one state per change, never one a second"
    db.expire_all()
    timer = pacing.timer_of(room["topics"])
    assert timer is not None and timer["running"] and timer["total"] == 240
    ends = datetime.fromisoformat(timer["ends_at"])
    assert before + timedelta(minutes=4) <= ends <= utcnow() + timedelta(minutes=4)

    assert emit(console, "timer", {"action": "pause"})["ok"]
    db.expire_all()
    paused = pacing.timer_of(room["topics"])
    assert paused is not None and not paused["running"] and 230 <= paused["left"] <= 240
    assert "en pause" in events(screen, "/screen", "state")[-1]["html"]

    assert emit(console, "timer", {"action": "add_minute"})["ok"]
    db.expire_all()
    longer = pacing.timer_of(room["topics"])
    assert longer is not None and longer["left"] == paused["left"] + 60 and longer["total"] == 300

    assert emit(console, "timer", {"action": "start"})["ok"], "start again resumes where it was"
    db.expire_all()
    resumed = pacing.timer_of(room["topics"])
    assert resumed is not None and resumed["running"]
    left = (datetime.fromisoformat(resumed["ends_at"]) - utcnow()).total_seconds()
    assert longer["left"] - 5 <= left <= longer["left"] + 1

    # a new phone, or a reload, sees the timer from the server
    late = room["phone"]
    assert 'data-countdown="' in emit(late, "sync", {}, "/phone")["snapshot"]["html"]

    assert emit(console, "timer", {"action": "reset"})["ok"]
    db.expire_all()
    assert pacing.timer_of(room["topics"]) is None
    assert 'role="timer"' not in events(screen, "/screen", "state")[-1]["html"]


def test_the_timer_belongs_to_its_step(db, room):
    console = room["console"]
    assert emit(console, "timer", {"action": "start", "minutes": 2})["ok"]
    meeting = room["meeting"]
    assert emit(console, "next", {})["ok"]
    db.expire_all()
    assert pacing.timer_of(meeting.current_step) is None
    assert pacing.timer_of(room["topics"]) is not None, "going back shows it again"


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "explode"},
        {"action": ["start"]},
        {"action": "start", "minutes": 0},
        {"action": "start", "minutes": 181},
        {"action": "start", "minutes": "cinq"},
        {"action": "start", "minutes": True},
        {"action": "pause"},  # nothing to pause yet
        {"action": "add_minute"},
        {"action": "reset"},
        "start",
        None,
    ],
)
def test_a_bad_timer_command_is_refused_in_french_and_changes_nothing(db, room, payload):
    version = room["meeting"].version
    ack = emit(room["console"], "timer", payload)
    assert ack["ok"] is False
    assert ack["error"]["message"] and "The " not in ack["error"]["message"], "told in French"
    db.expire_all()
    assert room["meeting"].version == version
    assert pacing.timer_of(room["topics"]) is None
    assert not events(room["screen"], "/screen", "state")


def test_the_introduction_is_folded_or_shown_from_the_console(db, room):
    console, screen = room["console"], room["screen"]
    assert 'data-intro="auto"' in emit(screen, "sync", {}, "/screen")["snapshot"]["html"]
    assert emit(console, "intro", {"mode": "open"})["ok"]
    html = events(screen, "/screen", "state")[-1]["html"]
    assert 'data-intro="open"' in html
    # three paragraphs of introduction stay three paragraphs
    assert html.count('class="topic-description"') == 15
    assert emit(console, "intro", {"mode": "folded"})["ok"]
    assert 'data-intro="folded"' in events(screen, "/screen", "state")[-1]["html"]
    assert emit(console, "intro", {"mode": "auto"})["ok"]
    db.expire_all()
    assert pacing.intro_mode(room["topics"]) == "auto" and "intro" not in room["topics"].state
    for bad in ({"mode": "hidden"}, {"mode": 1}, {}, [], "open"):
        ack = emit(console, "intro", bad)
        assert ack["ok"] is False and ack["error"]["message"]


def test_the_console_turns_the_screens_pages_and_hears_which_one_shows(db, room):
    console, screen = room["console"], room["screen"]
    version = room["meeting"].version
    ack = emit(console, "page", {"action": "next"})
    assert ack == {"ok": True, "action": "next", "step_id": room["topics"].id}
    assert events(screen, "/screen", "page") == [{"action": "next", "step_id": room["topics"].id}]
    db.expire_all()
    assert room["meeting"].version == version, "pages are not stored"
    for action in ("previous", "pause", "resume", "blank", "unblank"):
        assert emit(console, "page", {"action": action})["ok"]
    assert [e["action"] for e in events(screen, "/screen", "page")] == [
        "previous",
        "pause",
        "resume",
        "blank",
        "unblank",
    ]

    report = {"page": 2, "pages": 5, "paused": True, "blank": False}
    assert emit(screen, "page_shown", report, "/screen")["ok"]
    assert events(console, "/console", "screen_page") == [{**report, "step_id": room["topics"].id}]

    for bad in (
        {"page": 6, "pages": 5},
        {"page": 0, "pages": 5},
        {"page": "2", "pages": 5},
        {"page": True, "pages": 5},
        {"page": 1, "pages": 5, "paused": "yes"},
        [],
    ):
        ack = emit(screen, "page_shown", bad, "/screen")
        assert (
            ack["ok"] is False
            and ack["error"]["message"] == "Le message n'a pas été compris. Merci de recharger la page."
        )
    assert not events(console, "/console", "screen_page")
    for bad in ({"action": "jump"}, {"action": None}, []):
        assert emit(console, "page", bad)["ok"] is False
    assert not events(screen, "/screen", "page")


def test_only_the_console_sets_the_pace(room):
    phone, screen = room["phone"], room["screen"]
    for event, payload in (("timer", {"action": "start"}), ("intro", {"mode": "open"}), ("page", {"action": "next"})):
        assert emit(phone, event, payload, "/phone")["error"]["code"] == "forbidden"
        assert emit(screen, event, payload, "/screen")["error"]["code"] == "forbidden"
    report = {"page": 1, "pages": 2}
    assert emit(phone, "page_shown", report, "/phone")["error"]["code"] == "forbidden"


def test_nothing_to_pace_before_the_meeting_starts(app, db, live_clients):
    with app.test_request_context():
        meeting = create_long_meeting(db)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    for event, payload in (("timer", {"action": "start"}), ("intro", {"mode": "open"}), ("page", {"action": "next"})):
        ack = emit(console, event, payload)
        assert ack["error"]["code"] == "not_started"


def test_the_qr_corner_hides_while_joining_is_locked(db, room, client):
    meeting = room["meeting"]
    corner = re.compile(rb'id="corner-join"[^>]*>')
    page = client.get(f"/m/{meeting.code}/screen", query_string={"key": meeting.screen_key}, follow_redirects=True)
    assert b"hidden" not in corner.search(page.data).group(0)
    assert emit(room["console"], "control", {"action": "lock_joining"})["ok"]
    [state] = events(room["screen"], "/screen", "state")
    assert state["meeting"]["joining_locked"] is True, "screen.js hides the corner"
    page = client.get(f"/m/{meeting.code}/screen", query_string={"key": meeting.screen_key}, follow_redirects=True)
    assert b"hidden" in corner.search(page.data).group(0), "and a screen opened now starts without it"

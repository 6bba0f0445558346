"""The live layer through Flask-SocketIO's test client: a screen, a console and two phones."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kit.core import queries
from kit.core.models import Contribution
from kit.meeting import lifecycle
from tests.conftest import gen_meeting, prepared_meeting


def events(client, namespace: str, name: str) -> list:
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


@pytest.fixture
def room(app, db, live_clients):
    """A prepared meeting with its screen, console and two joined phones."""
    meeting = gen_meeting(db)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for name in ("Awa", "Bruno"):
        phone = live_clients("phone", {"meeting": meeting.code})
        ack = phone.emit("join", {"name": name, "structure": "CCAS"}, callback=True, namespace="/phone")
        assert ack["ok"], ack
        phones.append(phone)
    for client, ns in ((screen, "/screen"), (console, "/console"), *((p, "/phone") for p in phones)):
        client.get_received(ns)
    return meeting, screen, console, phones


def test_every_view_gets_a_snapshot_on_connect(db, live_clients):
    meeting = gen_meeting(db, live=True)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    [snapshot] = events(screen, "/screen", "snapshot")
    assert snapshot["version"] == meeting.version
    assert snapshot["meeting"]["code"] == meeting.code
    assert snapshot["step"]["title"] == "Accueil"
    assert "Accueil" in snapshot["html"]
    assert snapshot["items"] == []


def test_a_participant_joins_contributes_and_the_screen_shows_it_once(db, room):
    meeting, screen, console, (awa, bruno) = room
    ack = console.emit("start", callback=True, namespace="/console")
    assert ack["ok"]
    ack = console.emit("next", callback=True, namespace="/console")
    board = ack["current_step_id"]
    for client, ns in ((screen, "/screen"), (awa, "/phone"), (bruno, "/phone")):
        states = events(client, ns, "state")
        assert states[-1]["step"]["id"] == board, f"{ns} did not follow the step change"

    sent = {"client_id": "awa-1", "step_id": board, "data": {"text": "Besoin d'un outil <script>alert(1)</script>"}}
    first = awa.emit("contribute", sent, callback=True, namespace="/phone")
    again = awa.emit("contribute", sent, callback=True, namespace="/phone")
    assert first["ok"] and first == again
    assert isinstance(first["id"], int) and first["step_id"] == board

    shown = events(screen, "/screen", "contribution")
    assert [e["item"]["id"] for e in shown] == [first["id"]], "a resend must not show twice"
    assert "&lt;script&gt;" in shown[0]["html"] and "<script>" not in shown[0]["html"]
    assert shown[0]["item"]["author"] == "Awa"
    assert [e["item"]["id"] for e in events(console, "/console", "contribution")] == [first["id"]]
    # phones get no one else's items one by one
    assert events(bruno, "/phone", "contribution") == []
    assert db.scalar(select(func.count(Contribution.id))) == 1


def test_phones_receive_coalesced_counts_not_every_item(app, db, live_clients):
    # a long interval: only the flush below sends counts, so what is sent is what is checked
    app.config["COUNTS_INTERVAL"] = 3600
    app.config["SCREEN_COUNTS_INTERVAL"] = 3600
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1).id
    awa, bruno = (live_clients("phone", {"meeting": meeting.code}) for _ in range(2))
    for phone, name in ((awa, "Awa"), (bruno, "Bruno")):
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
    bruno.get_received("/phone")
    for n in range(5):
        ack = awa.emit(
            "contribute",
            {"client_id": f"a{n}", "step_id": board, "data": {"text": f"idée {n}"}},
            callback=True,
            namespace="/phone",
        )
        assert ack["ok"]
    assert events(bruno, "/phone", "counts") == [] and events(bruno, "/phone", "contribution") == []
    app.extensions["kit.counts"].flush()
    [counts] = events(bruno, "/phone", "counts")
    assert (counts["contributions"], counts["participants"], counts["step_id"]) == (5, 2, board)


def test_a_reconnecting_phone_gets_its_own_contributions_back(db, room, live_clients):
    meeting, screen, console, (awa, _) = room
    console.emit("start", callback=True, namespace="/console")
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]
    ack = awa.emit("join", {"name": "Awa encore"}, callback=True, namespace="/phone")
    assert ack["error"]["code"] == "already_joined"
    participant = queries.participants(db, meeting)[0]
    awa.emit(
        "contribute",
        {"client_id": "k1", "step_id": board, "data": {"text": "gardé"}},
        callback=True,
        namespace="/phone",
    )
    awa.disconnect(namespace="/phone")
    again = live_clients("phone", {"meeting": meeting.code, "token": participant.token})
    [snapshot] = events(again, "/phone", "snapshot")
    assert snapshot["me"]["name"] == "Awa"
    assert [(m["client_id"], m["summary"]) for m in snapshot["mine"]] == [("k1", "gardé")]
    assert snapshot["step"]["id"] == board


def test_facilitator_actions_are_refused_to_a_phone_and_a_screen(db, room):
    meeting, screen, console, (awa, _) = room
    for event in ("start", "next", "goto", "close", "publish", "act"):
        ack = awa.emit(event, {"step_id": meeting.steps[1].id}, callback=True, namespace="/phone")
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", event
        ack = screen.emit(event, {}, callback=True, namespace="/screen")
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", event
    db.expire_all()
    assert meeting.status == "prepared" and meeting.current_step_id is None


def test_a_wrong_key_or_token_is_refused_at_connect(db, live_clients):
    meeting = gen_meeting(db)
    other = gen_meeting(db)
    refused = [
        ("console", {"meeting": meeting.code, "key": meeting.screen_key}),
        ("console", {"meeting": meeting.code, "key": other.facilitator_key}),
        ("console", {"meeting": meeting.code}),
        ("screen", {"meeting": meeting.code, "key": "guess"}),
        ("phone", {"meeting": meeting.code, "token": "forged"}),
        ("phone", {"meeting": "NOPE99"}),
        ("phone", "not an object"),
        ("phone", None),
    ]
    for view, auth in refused:
        client = live_clients(view, auth)
        assert not client.is_connected(f"/{view}"), (view, auth)


def test_a_participant_token_does_not_open_another_meeting(db, live_clients):
    meeting, other = gen_meeting(db, live=True), gen_meeting(db, live=True)
    stranger = lifecycle.join(db, other, "Chloé")
    client = live_clients("phone", {"meeting": meeting.code, "token": stranger.token})
    assert not client.is_connected("/phone")


def test_one_meeting_never_sees_another_meetings_events(db, live_clients):
    first, second = gen_meeting(db, live=True), gen_meeting(db, live=True)
    screen_one = live_clients("screen", {"meeting": first.code, "key": first.screen_key})
    phone_one = live_clients("phone", {"meeting": first.code})
    console_two = live_clients("console", {"meeting": second.code, "key": second.facilitator_key})
    phone_two = live_clients("phone", {"meeting": second.code})
    phone_two.emit("join", {"name": "Dan"}, callback=True, namespace="/phone")
    for client, ns in ((screen_one, "/screen"), (phone_one, "/phone")):
        client.get_received(ns)
    board = console_two.emit("next", callback=True, namespace="/console")["current_step_id"]
    phone_two.emit(
        "contribute",
        {"client_id": "d1", "step_id": board, "data": {"text": "secret"}},
        callback=True,
        namespace="/phone",
    )
    # a phone of meeting two cannot write into meeting one's steps either
    ack = phone_two.emit(
        "contribute",
        {"client_id": "d2", "step_id": first.steps[0].id, "data": {"name": "Dan"}},
        callback=True,
        namespace="/phone",
    )
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    assert screen_one.get_received("/screen") == []
    assert [e for e in phone_one.get_received("/phone") if e["name"] != "counts"] == []


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "text",
        42,
        [],
        {"client_id": 5, "step_id": 1, "data": {"text": "x"}},
        {"step_id": 1, "data": {"text": "x"}},
        {"client_id": "x" * 65, "step_id": 1, "data": {}},
        {"client_id": "ok", "step_id": "1", "data": {"text": "x"}},
        {"client_id": "ok", "step_id": None, "data": {"text": "x"}},
        {"client_id": "ok", "data": {"text": ""}},
        {"client_id": "ok\n", "step_id": 1, "data": {"text": "x"}},
    ],
)
def test_a_malformed_contribution_gets_a_clear_error_and_changes_nothing(db, room, payload):
    meeting, screen, console, (awa, _) = room
    console.emit("start", callback=True, namespace="/console")
    version = db.get(type(meeting), meeting.id).version
    ack = awa.emit("contribute", payload, callback=True, namespace="/phone")
    assert ack["ok"] is False
    assert ack["error"]["code"] in {"bad_request", "not_found", "invalid", "empty"}
    assert ack["error"]["message"]
    db.expire_all()
    assert db.scalar(select(func.count(Contribution.id))) == 0
    assert db.get(type(meeting), meeting.id).version == version
    assert events(screen, "/screen", "contribution") == []


def test_a_phone_that_has_not_joined_cannot_contribute(db, live_clients):
    meeting = gen_meeting(db, live=True)
    guest = live_clients("phone", {"meeting": meeting.code})
    ack = guest.emit(
        "contribute",
        {"client_id": "g", "step_id": meeting.steps[0].id, "data": {"name": "G"}},
        callback=True,
        namespace="/phone",
    )
    assert ack["error"]["code"] == "not_joined"


def test_errors_speak_english_when_the_browser_asks(app, live_clients):
    meeting = prepared_meeting(app, live=True)
    french = live_clients("phone", {"meeting": meeting.code})
    english = live_clients("phone", {"meeting": meeting.code}, headers={"Accept-Language": "en-GB,en;q=0.9"})
    fr = french.emit("join", {"name": "   "}, callback=True, namespace="/phone")
    en = english.emit("join", {"name": "   "}, callback=True, namespace="/phone")
    assert fr["error"]["code"] == en["error"]["code"] == "empty"
    assert en["error"]["message"] == "Please write something before sending."
    assert fr["error"]["message"] != en["error"]["message"]


def test_a_participant_is_slowed_down_not_the_whole_room(app, room):
    app.extensions["kit.rate_limiter"].limit = 3
    meeting, screen, console, (awa, bruno) = room
    console.emit("start", callback=True, namespace="/console")
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]

    def send(phone, cid):
        return phone.emit(
            "contribute", {"client_id": cid, "step_id": board, "data": {"text": cid}}, callback=True, namespace="/phone"
        )

    assert all(send(awa, f"a{n}")["ok"] for n in range(3))
    slowed = send(awa, "a3")
    assert slowed["ok"] is False and slowed["error"]["code"] == "rate_limited"
    # a resend of something already stored is still acknowledged
    assert send(awa, "a1")["ok"]
    # the neighbour on the same Wi-Fi is not affected
    assert send(bruno, "b0")["ok"]


def test_close_and_publish_reach_every_view(db, room):
    meeting, screen, console, (awa, _) = room
    console.emit("start", callback=True, namespace="/console")
    assert console.emit("publish", callback=True, namespace="/console")["error"]["code"] == "not_closed"
    assert console.emit("close", callback=True, namespace="/console")["status"] == "closed"
    assert events(awa, "/phone", "state")[-1]["meeting"]["status"] == "closed"
    assert console.emit("publish", callback=True, namespace="/console")["status"] == "published"
    [*_, last] = events(awa, "/phone", "state")
    assert meeting.share_token in last["html"]
    ack = awa.emit(
        "contribute",
        {"client_id": "z", "step_id": meeting.steps[0].id, "data": {"name": "Awa"}},
        callback=True,
        namespace="/phone",
    )
    assert ack["error"]["code"] == "closed"


def test_sync_sends_the_whole_state_again(room):
    meeting, screen, console, (awa, _) = room
    ack = screen.emit("sync", callback=True, namespace="/screen")
    assert ack["ok"] and ack["snapshot"]["meeting"]["code"] == meeting.code
    ack = awa.emit("sync", callback=True, namespace="/phone")
    assert ack["snapshot"]["me"]["name"] == "Awa"

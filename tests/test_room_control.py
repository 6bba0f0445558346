"""Keeping the room safe, through the live layer: lock joining, pause sending, remove someone."""

from __future__ import annotations

from kit.core import queries
from kit.meeting import lifecycle
from tests.conftest import gen_meeting


def events(client, namespace: str, name: str) -> list:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def setup(db, live_clients):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1).id
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    awa = live_clients("phone", {"meeting": meeting.code})
    ack = awa.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")
    return meeting, board, console, awa, ack["token"]


def control(console, action, **extra):  # type: ignore[no-untyped-def]
    return console.emit("control", {"action": action, **extra}, callback=True, namespace="/console")


def send(phone, board, cid):  # type: ignore[no-untyped-def]
    payload = {"client_id": cid, "step_id": board, "data": {"text": cid}}
    return phone.emit("contribute", payload, callback=True, namespace="/phone")


def test_a_locked_door_keeps_newcomers_out_but_not_those_inside(db, live_clients, client):
    meeting, board, console, awa, _token = setup(db, live_clients)
    assert control(console, "lock_joining")["ok"]
    late = live_clients("phone", {"meeting": meeting.code})
    refused = late.emit("join", {"name": "Tardif"}, callback=True, namespace="/phone")
    assert refused["error"]["code"] == "joining_locked"
    page = client.post(f"/j/{meeting.code}", data={"name": "Tardif"}, headers={"Origin": "http://localhost"})
    assert page.status_code == 400
    assert send(awa, board, "a1")["ok"], "someone already in still sends"
    assert control(console, "unlock_joining")["ok"]
    assert late.emit("join", {"name": "Tardif"}, callback=True, namespace="/phone")["ok"]


def test_paused_sending_keeps_the_text_for_later_and_resends_are_still_acknowledged(db, live_clients):
    meeting, board, console, awa, _token = setup(db, live_clients)
    assert send(awa, board, "before")["ok"]
    assert control(console, "pause_posting")["ok"]
    paused = send(awa, board, "during")
    assert paused["ok"] is False and paused["error"]["code"] == "paused"
    assert send(awa, board, "before")["ok"], "a resend of what was stored is acknowledged"
    assert control(console, "resume_posting")["ok"]
    assert send(awa, board, "during")["ok"]


def test_a_removed_participant_is_told_and_cannot_come_back_but_their_words_stay(db, live_clients):
    meeting, board, console, awa, token = setup(db, live_clients)
    assert send(awa, board, "kept")["ok"]
    [person] = queries.participants(db, meeting)
    assert control(console, "remove", participant_id=person.id)["ok"]
    assert not awa.is_connected("/phone")
    # the test client no longer reads a closed connection's messages: look at what it was sent
    told = [m for m in awa.queue if m["name"] == "removed"]
    assert told and "retiré" in told[0]["args"][0]["message"]
    again = live_clients("phone", {"meeting": meeting.code, "token": token})
    assert not again.is_connected("/phone")
    ack = control(console, "remove", participant_id=person.id)
    assert ack["error"]["code"] == "already_removed", "removing twice is refused plainly"
    db.expire_all()
    assert [c.data["text"] for c in queries.contributions(db, meeting.steps[1])] == ["kept"]


def test_room_control_is_the_facilitators_and_checks_what_it_is_given(db, live_clients):
    meeting, board, console, awa, _token = setup(db, live_clients)
    assert awa.emit("control", {"action": "pause_posting"}, callback=True, namespace="/phone")["error"]["code"] == (
        "forbidden"
    )
    for payload in (
        {"action": "explode"},
        {"action": ["remove"]},
        {"action": "remove", "participant_id": 99999},
        {"action": "remove", "participant_id": "1"},
    ):
        ack = console.emit("control", payload, callback=True, namespace="/console")
        assert ack["ok"] is False and ack["error"]["message"]
    db.expire_all()
    assert not meeting.posting_paused and not meeting.joining_locked


def test_the_console_sees_who_is_connected_now_and_the_peak(app, db, live_clients):
    meeting, board, console, awa, token = setup(db, live_clients)
    bruno = live_clients("phone", {"meeting": meeting.code})
    assert bruno.emit("join", {"name": "Bruno"}, callback=True, namespace="/phone")["ok"]
    again = live_clients("phone", {"meeting": meeting.code, "token": token})  # Awa's second tab counts once
    app.extensions["kit.counts"].flush()
    counts = events(console, "/console", "counts")[-1]
    assert (counts["connected"], counts["peak"]) == (2, 2)
    bruno.disconnect(namespace="/phone")
    again.disconnect(namespace="/phone")
    app.extensions["kit.counts"].flush()
    counts = events(console, "/console", "counts")[-1]
    assert (counts["connected"], counts["peak"]) == (1, 2)
    assert control(console, "hide_presence")["ok"]
    db.expire_all()
    assert meeting.presence_hidden

"""Needs in the room, through the live layer: phones see the needs, vote, and the screen keeps count."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kit.core import queries
from kit.core.models import Participant
from kit.meeting import lifecycle
from kit.meeting import room as room_control
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_template


def events(client, namespace: str, name: str) -> list:
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


@pytest.fixture
def room(app, db, live_clients):  # type: ignore[no-untyped-def]
    template = gen_template(StepTemplate("needs", "Besoins", "", {}), StepTemplate("board", "Idées", "", {}))
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for name in ("Awa", "Bruno"):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    for client, ns in ((screen, "/screen"), (console, "/console"), *((p, "/phone") for p in phones)):
        client.get_received(ns)
    return meeting, screen, console, phones


def send(phone, meeting, cid, text):  # type: ignore[no-untyped-def]
    payload = {"client_id": cid, "step_id": meeting.steps[0].id, "data": {"text": text}}
    return phone.emit("contribute", payload, callback=True, namespace="/phone")


def test_phones_see_each_new_need_and_their_votes_are_counted_once(app, room):
    meeting, screen, console, (awa, bruno) = room
    need = send(awa, meeting, "n1", "Un atelier sur les arnaques")
    shown = events(bruno, "/phone", "contribution")
    assert [e["item"]["id"] for e in shown] == [need["id"]]
    assert f'data-vote-for="{need["id"]}"' in shown[0]["html"]
    for _ in range(2):
        ack = bruno.emit("vote", {"contribution_id": need["id"], "vote": True}, callback=True, namespace="/phone")
        assert ack["ok"]
    app.extensions["kit.counts"].flush()
    tallies = events(screen, "/screen", "counts")[-1]["votes"]
    assert tallies == {str(need["id"]): 1}
    snapshot = bruno.emit("sync", callback=True, namespace="/phone")["snapshot"]
    assert snapshot["my_votes"] == [need["id"]]


def test_a_vote_for_something_else_is_refused_plainly(room):
    meeting, screen, console, (awa, bruno) = room
    for payload in (
        {"contribution_id": 999, "vote": True},
        {"contribution_id": "1", "vote": True},
        {"vote": True},
        {"contribution_id": 1, "vote": "oui"},
        None,
    ):
        ack = bruno.emit("vote", payload, callback=True, namespace="/phone")
        assert ack["ok"] is False and ack["error"]["message"]


def test_the_console_answers_hides_and_merges_and_every_view_follows(db, room):
    meeting, screen, console, (awa, bruno) = room
    first = send(awa, meeting, "n1", "Besoin A")["id"]
    second = send(bruno, meeting, "n2", "Besoin A bis")["id"]
    rude = send(bruno, meeting, "n3", "Hors sujet")["id"]
    ack = console.emit("act", {"action": "answer_now", "id": first}, callback=True, namespace="/console")
    assert ack["ok"], ack
    state = events(screen, "/screen", "state")[-1]
    assert "data-countdown" in state["html"]
    assert console.emit(
        "moderate", {"action": "merge", "id": second, "into": first}, callback=True, namespace="/console"
    )["ok"]
    assert console.emit("moderate", {"action": "hide", "id": rude}, callback=True, namespace="/console")["ok"]
    screen_items = [i["id"] for i in events(screen, "/screen", "state")[-1]["items"]]
    console_items = [i["id"] for i in events(console, "/console", "state")[-1]["items"]]
    phone_items = [i["id"] for i in events(awa, "/phone", "state")[-1]["items"]]
    assert screen_items == phone_items == [first]
    assert sorted(console_items) == sorted([first, second, rude]), "the console still lists everything"


def test_moderation_and_activity_actions_are_the_facilitators_alone(db, room):
    meeting, screen, console, (awa, bruno) = room
    need = send(awa, meeting, "n1", "Besoin")["id"]
    for event, payload in (
        ("moderate", {"action": "hide", "id": need}),
        ("act", {"action": "defer", "id": need, "channel": "chat"}),
    ):
        ack = bruno.emit(event, payload, callback=True, namespace="/phone")
        assert ack["error"]["code"] == "forbidden"
    db.expire_all()
    assert queries.contributions(db, meeting.steps[0])[0].status == "open"


def test_a_console_of_another_meeting_cannot_touch_this_one(db, room, live_clients):
    meeting, screen, console, (awa, bruno) = room
    need = send(awa, meeting, "n1", "Besoin")["id"]
    other = lifecycle.create_meeting(db, gen_template(StepTemplate("needs", "Besoins", "", {})))
    lifecycle.start(db, other)
    intruder = live_clients("console", {"meeting": other.code, "key": other.facilitator_key})
    for payload in ({"action": "hide", "id": need}, {"action": "edit", "id": need, "text": "x"}):
        assert intruder.emit("moderate", payload, callback=True, namespace="/console")["error"]["code"] == "not_found"
    ack = intruder.emit("act", {"action": "answer_now", "id": need}, callback=True, namespace="/console")
    assert ack["ok"] is False
    db.expire_all()
    assert queries.contributions(db, meeting.steps[0])[0].visible


NEED = (
    "Les personnes âgées de la commune n'arrivent plus à prendre rendez-vous à la préfecture depuis que "
    "tout passe par internet : il faudrait un créneau d'accompagnement chaque semaine, à la médiathèque."
)


def vote(phone, need, wanted=True, **more):  # type: ignore[no-untyped-def]
    return phone.emit("vote", {"contribution_id": need, "vote": wanted, **more}, callback=True, namespace="/phone")


def test_a_vote_is_refused_for_what_it_cannot_count_and_in_that_order(app, db, room, live_clients):
    meeting, screen, console, (awa, bruno) = room
    needs = [send(awa, meeting, f"n{n}", f"{NEED} ({n})")["id"] for n in range(3)]
    board = meeting.steps[1].id
    step = {"step_id": meeting.steps[0].id, "step_version": meeting.step_version}
    # a step that is no longer on screen is said first, before what the vote itself says
    stale = vote(bruno, needs[0], "oui", step_id=board, step_version=meeting.step_version)
    assert stale["error"]["code"] == "stale_step"
    assert vote(bruno, needs[0], "oui", **step)["error"]["code"] == "bad_request"
    assert vote(bruno, 10_000, **step)["error"]["code"] == "not_found"
    assert console.emit("moderate", {"action": "hide", "id": needs[1]}, callback=True, namespace="/console")["ok"]
    hidden = vote(bruno, needs[1], **step)
    assert hidden["error"]["code"] == "not_found" and "plus affiché" in hidden["error"]["message"]
    stranger = live_clients("phone", {"meeting": meeting.code})
    assert vote(stranger, needs[0])["error"]["code"] == "not_joined"
    assert [vote(bruno, needs[2], **step)["changed"] for _ in range(2)] == [True, False], "a resend changes nothing"
    assert [vote(bruno, needs[2], False, **step)["changed"] for _ in range(2)] == [True, False]
    assert vote(awa, needs[0], **step)["changed"] is True
    # a card of a board is not something to vote for
    lifecycle.go_to_step(db, meeting, board)
    card = awa.emit(
        "contribute",
        {"client_id": "c1", "step_id": board, "data": {"text": NEED}},
        callback=True,
        namespace="/phone",
    )
    assert vote(bruno, card["id"])["error"]["code"] == "not_votable"
    db.expire_all()
    assert queries.tallies(db, meeting.steps[0].id) == {needs[0]: 1}


def test_a_paused_room_and_a_removed_participant_cannot_vote(db, room):
    meeting, screen, console, (awa, bruno) = room
    need = send(awa, meeting, "n1", NEED)["id"]
    control = {"action": "pause_posting"}
    assert console.emit("control", control, callback=True, namespace="/console")["ok"]
    assert vote(bruno, need)["error"]["code"] == "paused"
    assert console.emit("control", {"action": "resume_posting"}, callback=True, namespace="/console")["ok"]
    db.expire_all()
    bruno_id = db.scalar(select(Participant.id).where(Participant.display_name == "Bruno"))
    room_control.remove_participant(db, meeting, bruno_id)  # the phone is not sent away: it still asks
    assert vote(bruno, need)["error"]["code"] == "removed"
    assert vote(awa, need)["changed"] is True
    db.expire_all()
    assert queries.tallies(db, meeting.steps[0].id) == {need: 1}

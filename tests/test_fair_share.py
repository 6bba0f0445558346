"""Fair share of the live layer: every event has a budget per connection and per participant, and
one connection's events are handled one at a time with a bounded backlog (docs/protocol.md)."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select

from kit.core.live_packets import nesting
from kit.core.models import Participant
from kit.live.ratelimit import FairShare, TokenBuckets, Turns, read_budgets
from kit.meeting import lifecycle, moderation
from tests.conftest import gen_meeting


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_refills_at_its_rate():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert [buckets.take("awa", "vote", (3, 0.5)) for _ in range(5)] == [True, True, True, False, False]
    clock.now += 2  # one more token
    assert buckets.take("awa", "vote", (3, 0.5))
    assert not buckets.take("awa", "vote", (3, 0.5))
    # another kind, another owner: their own budgets
    assert buckets.take("awa", "sync", (1, 0.1))
    assert buckets.take("bruno", "vote", (3, 0.5))
    clock.now += 3600
    refilled = [buckets.take("awa", "vote", (3, 0.5)) for _ in range(4)]
    assert refilled == [True, True, True, False], "never above the burst"


def test_budgets_left_out_of_the_settings_keep_their_defaults():
    budgets = read_budgets({"vote": [40, 4], "sync": [5, 0.5]}, {"vote": [1000, 100]})
    assert budgets == {"vote": (1000.0, 100.0), "sync": (5.0, 0.5)}


def test_one_connection_is_handled_one_at_a_time_and_a_backlog_beyond_the_bound_is_refused():
    turns = Turns()
    inside = []
    most_inside = []
    refused = []
    release = threading.Event()

    def event(n: int) -> None:
        if not turns.enter("sid-1", backlog=3):
            refused.append(n)
            return
        try:
            inside.append(n)
            most_inside.append(len(inside))
            release.wait(5)
            time.sleep(0.001)
            inside.remove(n)
        finally:
            turns.leave("sid-1")

    threads = [threading.Thread(target=event, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(refused) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(refused) == 6, "one handled and three waiting; the other six refused at once"
    assert max(most_inside) == 1
    assert turns.waiting("sid-1") == 0
    # another connection never waited for this one
    assert turns.enter("sid-2", backlog=0)
    turns.leave("sid-2")


def test_a_participant_shares_one_budget_across_their_connections():
    fair = FairShare(read_budgets({"vote": [2, 0.0001], "other": [1, 0]}, None), (1, 0), backlog=4)
    assert fair.allow("phone-a", 7, "vote", joined=True)
    assert fair.allow("phone-b", 7, "vote", joined=True)
    assert not fair.allow("phone-c", 7, "vote", joined=True), "a third tab of the same person"
    assert fair.allow("phone-d", 8, "vote", joined=True), "the neighbour is not affected"
    # a phone that has not joined has the smallest budget of all, whatever it sends
    assert fair.allow("anonymous", None, "vote", joined=False)
    assert not fair.allow("anonymous", None, "vote", joined=False)


def events(client, namespace: str, name: str) -> list:
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def test_a_phone_that_floods_syncs_is_refused_in_its_language_and_the_room_goes_on(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1).id
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    flooder = live_clients("phone", {"meeting": meeting.code})
    neighbour = live_clients("phone", {"meeting": meeting.code})
    assert flooder.emit("join", {"name": "Kévin Dupont-Lefèvre"}, callback=True, namespace="/phone")["ok"]
    assert neighbour.emit("join", {"name": "Maëlle Guérin"}, callback=True, namespace="/phone")["ok"]

    acks = [flooder.emit("sync", callback=True, namespace="/phone") for _ in range(60)]
    answered = [ack for ack in acks if ack["ok"]]
    refused = [ack for ack in acks if not ack["ok"]]
    assert 1 <= len(answered) <= app.config["LIVE_BUDGETS"]["sync"][0] + 1
    assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}
    french = "Vous envoyez beaucoup de choses très vite. Merci d'attendre quelques secondes."
    assert refused[0]["error"]["message"] == french

    # the neighbour, the console and the screen each have their own budgets
    text = "Nous cherchons un atelier sur les démarches de la CAF pour les personnes âgées du quartier."
    sent = {"client_id": "maelle-1", "step_id": board, "data": {"text": text}}
    assert neighbour.emit("contribute", sent, callback=True, namespace="/phone")["ok"]
    assert neighbour.emit("sync", callback=True, namespace="/phone")["ok"]
    assert console.emit("sync", callback=True, namespace="/console")["ok"]
    assert screen.emit("sync", callback=True, namespace="/screen")["ok"]
    assert [e["item"]["data"]["text"] for e in events(screen, "/screen", "contribution")] == [text]


def test_a_connection_refused_many_times_in_a_row_is_closed_and_the_person_can_come_back(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    phone = live_clients("phone", {"meeting": meeting.code})
    ack = phone.emit("join", {"name": "Soizic Kerbrat"}, callback=True, namespace="/phone")
    acks = []
    while phone.is_connected("/phone") and len(acks) < 1000:
        acks.append(phone.emit("sync", callback=True, namespace="/phone"))
    refused = [a for a in acks if not a["ok"]]
    assert len(refused) == app.config["LIVE_CLOSE_AFTER"] + 1, "closed at the threshold, not before"
    # the same person reconnects with their token: a new connection, a new budget
    again = live_clients("phone", {"meeting": meeting.code, "token": ack["token"]})
    assert again.is_connected("/phone")


def test_a_phone_that_has_not_joined_gets_the_smallest_budget_and_few_tries_at_joining(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    stranger = live_clients("phone", {"meeting": meeting.code})
    acks = [stranger.emit("sync", callback=True, namespace="/phone") for _ in range(20)]
    assert sum(ack["ok"] for ack in acks) == app.config["LIVE_UNJOINED_BUDGET"][0]
    assert acks[-1]["error"]["code"] == "rate_limited"

    joiner = live_clients("phone", {"meeting": meeting.code})
    tries = [joiner.emit("join", {"name": "   "}, callback=True, namespace="/phone") for _ in range(6)]
    codes = [ack["error"]["code"] for ack in tries]
    assert codes[: app.config["LIVE_BUDGETS"]["join"][0]] == ["empty"] * app.config["LIVE_BUDGETS"]["join"][0]
    assert codes[-1] == "rate_limited"
    assert db.scalar(select(func.count(Participant.id))) == 0


def test_the_console_removes_everyone_who_joined_in_the_last_minutes_and_tells_them(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    early = live_clients("phone", {"meeting": meeting.code})
    assert early.emit("join", {"name": "Léa Morvan, France services de Ploërmel"}, callback=True, namespace="/phone")[
        "ok"
    ]
    # Léa came an hour ago; then a burst of made-up names, each from its own connection
    lea = db.scalars(select(Participant)).one()
    lea.joined_at = lea.joined_at - timedelta(hours=1)
    db.commit()
    fakes = []
    for n in range(12):
        fake = live_clients("phone", {"meeting": meeting.code})
        assert fake.emit("join", {"name": f"Faux nom n°{n} à effacer"}, callback=True, namespace="/phone")["ok"]
        fakes.append(fake)

    for bad in (0, -3, "cinq", 10_000, None, True, 2.5):
        ack = console.emit("control", {"action": "remove_recent", "minutes": bad}, callback=True, namespace="/console")
        assert ack["ok"] is False and ack["error"]["code"] == "invalid" and ack["error"]["field"] == "minutes"
    db.expire_all()
    assert db.scalar(select(func.count(Participant.id)).where(Participant.removed_at.is_not(None))) == 0

    ack = console.emit("control", {"action": "remove_recent", "minutes": 10}, callback=True, namespace="/console")
    assert ack["ok"], ack
    db.expire_all()
    removed = db.scalars(select(Participant).where(Participant.removed_at.is_not(None))).all()
    assert sorted(p.display_name for p in removed) == sorted(f"Faux nom n°{n} à effacer" for n in range(12))
    assert db.get(Participant, lea.id).removed_at is None
    for fake in fakes:
        assert [m for m in fake.queue if m["name"] == "removed"]
        assert not fake.is_connected("/phone")
    # the console's list says so
    html = [e["args"][0] for e in console.get_received("/console") if e["name"] == "state"][-1]["html"]
    assert html.count("retiré") >= 12 or html.count("removed") >= 12


def test_removing_recent_joiners_is_a_plain_function(db):
    meeting = gen_meeting(db, live=True)
    now = lifecycle.join(db, meeting, "Inès Le Goff", None, None, "fr").joined_at
    assert [p.display_name for p in moderation.remove_recent_joiners(db, meeting, 1, now=now)] == ["Inès Le Goff"]
    assert moderation.remove_recent_joiners(db, meeting, 1, now=now) == [], "nobody twice"


def test_a_message_nested_a_thousand_levels_gets_a_clear_refusal_and_no_traceback(app, db, live_clients, caplog):
    meeting = gen_meeting(db, live=True)
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Yannick Le Roux"}, callback=True, namespace="/phone")["ok"]
    server = phone.socketio.server
    for depth in (40, 1000, 100_000):
        raw = '2/phone,7["vote",' + "[" * depth + "]" * depth + "]"
        server._handle_eio_message(phone.eio_sid, raw)
        ack = phone.acks["args"][0]
        phone.acks = None
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", depth
        assert ack["error"]["message"] == "Le message n'a pas été compris. Merci de recharger la page."
    # a bracket inside a text is a letter, not nesting
    text = "Idées : " + "[" * 200 + " fin"
    raw = '2/phone,8["sync",{"note":' + json.dumps(text) + "}]"
    server._handle_eio_message(phone.eio_sid, raw)
    assert phone.acks["args"][0]["ok"] is True
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert nesting('{"a": [[{"b": "[[[[["}]]]}') == 4


def test_when_the_server_is_behind_phones_wait_and_the_screen_and_console_go_on(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Nolwenn Tanguy"}, callback=True, namespace="/phone")["ok"]
    fair = app.extensions["kit.fair_share"]
    # events of other connections still in the works, as many as the bound
    busy = [f"elsewhere-{n}" for n in range(app.config["LIVE_SATURATED_AT"])]
    for key in busy:
        assert fair.turns.enter(key)
    try:
        assert fair.saturated()
        ack = phone.emit("sync", callback=True, namespace="/phone")
        assert ack["error"]["code"] == "rate_limited", "the phone is asked to wait"
        assert screen.emit("sync", callback=True, namespace="/screen")["ok"]
        assert console.emit("sync", callback=True, namespace="/console")["ok"]
    finally:
        for key in busy:
            fair.turns.leave(key)
    assert not fair.saturated()
    assert phone.emit("sync", callback=True, namespace="/phone")["ok"], "and goes on once the server caught up"
    assert phone.is_connected("/phone")

"""What the live layer saves in a big room must never change what anyone sees.

The phone page is rendered once per meeting version and language (kit.live.state.PhoneStates),
phones connect and join on the meeting's head (lifecycle.MeetingHead), items are rendered only
in the languages someone reads (listening_languages), and counts go to a big room in slices
(CountBroadcaster.emit_spread), its phones less often than the screen (phones_due). Each
shortcut is checked against the long way here.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from kit import create_app
from kit.core import queries
from kit.core.db import get_session
from kit.core.models import Meeting, Step
from kit.core.settings import queue_channel
from kit.live import state as live_state
from kit.meeting import lifecycle, moderation
from kit.meeting import room as room_control
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_template, prepared_meeting


def events(client, namespace: str, name: str) -> list:
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def test_a_phone_joining_after_a_change_never_gets_the_page_of_before(app, live_clients):
    meeting = prepared_meeting(app)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    first = live_clients("phone", {"meeting": meeting.code})
    [before] = events(first, "/phone", "snapshot")
    assert first.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")["snapshot"]["html"] == before["html"]
    assert console.emit("start", callback=True, namespace="/console")["ok"]
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]
    second = live_clients("phone", {"meeting": meeting.code})
    [after] = events(second, "/phone", "snapshot")
    assert after["step"]["id"] == board and after["html"] != before["html"]
    joined = second.emit("join", {"name": "Bruno"}, callback=True, namespace="/phone")
    assert joined["snapshot"]["step"]["id"] == board
    # counts are of the moment, never of the cached page: Bruno is counted in his own snapshot
    assert joined["snapshot"]["counts"]["participants"] == 2
    assert joined["snapshot"]["mine"] == [] and joined["snapshot"]["my_votes"] == []

    # a contribution changes the version: a phone reconnecting gets its own item back
    sent = {"client_id": "b-1", "step_id": board, "data": {"text": "Une idée"}}
    ack = second.emit("contribute", sent, callback=True, namespace="/phone")
    assert ack["ok"]
    again = live_clients("phone", {"meeting": meeting.code, "token": joined["token"]})
    [snapshot] = events(again, "/phone", "snapshot")
    assert [item["id"] for item in snapshot["mine"]] == [ack["id"]]
    assert snapshot["version"] > after["version"]


def test_items_are_rendered_in_the_languages_someone_reads(app, live_clients, monkeypatch):
    meeting = prepared_meeting(app, live=True)
    french = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")["ok"]
    rendered: list[str] = []
    real = live_state.item_event

    def counting(db, meeting, contribution, view, lang, **options):  # type: ignore[no-untyped-def]
        rendered.append(f"{view}:{lang}")
        return real(db, meeting, contribution, view, lang, **options)

    monkeypatch.setattr("kit.live.broadcast.item_event", counting)
    sent = {"client_id": "a-1", "step_id": board, "data": {"text": "Une idée"}}
    assert phone.emit("contribute", sent, callback=True, namespace="/phone")["ok"]
    assert sorted(rendered) == ["console:fr", "screen:fr"], "nobody reads English yet"
    assert len(events(french, "/screen", "contribution")) == 1

    english = live_clients(
        "screen", {"meeting": meeting.code, "key": meeting.screen_key}, headers={"Accept-Language": "en"}
    )
    english.get_received("/screen")
    rendered.clear()
    sent = {"client_id": "a-2", "step_id": board, "data": {"text": "Une autre"}}
    assert phone.emit("contribute", sent, callback=True, namespace="/phone")["ok"]
    assert sorted(rendered) == ["console:fr", "screen:en", "screen:fr"]
    [item] = events(english, "/screen", "contribution")
    assert item["item"]["data"]["text"] == "Une autre"


def test_counts_reach_every_phone_of_a_room_bigger_than_a_slice(app, live_clients, monkeypatch):
    monkeypatch.setattr("kit.live.counts.SLICE", 2)
    app.config["COUNTS_INTERVAL"] = 1000  # only the flush below sends counts
    app.config["SCREEN_COUNTS_INTERVAL"] = 1000
    meeting = prepared_meeting(app, live=True)
    phones = []
    for n in range(5):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": f"P{n}"}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    for phone in phones:
        phone.get_received("/phone")
    with app.app_context():
        app.extensions["kit.counts"].dirty.add(meeting.id)
        app.extensions["kit.counts"].flush()
    for phone in phones:
        [counts] = events(phone, "/phone", "counts")
        assert counts["participants"] == 5 and counts["connected"] == 5


def test_a_big_rooms_phones_get_counts_less_often_and_never_miss_the_last(app, live_clients, monkeypatch):
    monkeypatch.setattr("kit.live.counts.PHONES_PER_INTERVAL", 2)
    clock = [1000.0]
    app.config["COUNTS_INTERVAL"] = 1000  # only the flushes below send counts
    app.config["SCREEN_COUNTS_INTERVAL"] = 1000
    meeting = prepared_meeting(app, live=True)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phones = []
    for n in range(5):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": f"P{n}"}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    for client, namespace in ((screen, "/screen"), *((phone, "/phone") for phone in phones)):
        client.get_received(namespace)
    broadcaster = app.extensions["kit.counts"]
    broadcaster.clock = lambda: clock[0]

    def flush() -> None:
        with app.app_context():
            broadcaster.dirty.add(meeting.id)
            broadcaster.flush()

    flush()
    assert [len(events(phone, "/phone", "counts")) for phone in phones] == [1] * 5
    assert len(events(screen, "/screen", "counts")) == 1
    # 4 phones left, 2 per interval: their next counts wait 2 intervals; the screen's never wait
    phones[0].disconnect(namespace="/phone")
    clock[0] += 1000
    flush()
    assert [len(events(phone, "/phone", "counts")) for phone in phones[1:]] == [0] * 4
    [seen] = events(screen, "/screen", "counts")
    assert seen["connected"] == 4
    assert meeting.id in broadcaster.phones_waiting, "the phones' turn is kept, not dropped"
    # the next flush after their wait sends what changed meanwhile, with nothing newly marked
    clock[0] += 1000
    with app.app_context():
        broadcaster.flush()
    for phone in phones[1:]:
        [counts] = events(phone, "/phone", "counts")
        assert counts["connected"] == 4
    assert not broadcaster.phones_waiting


def test_a_big_rooms_list_of_people_is_drawn_less_often_and_never_misses_the_last(app, live_clients, monkeypatch):
    """The console's list of who is here is drawn again every interval in a small room, less
    often as the room grows (drawing it costs as much as the room is big), and whoever came
    meanwhile is in the next one."""
    monkeypatch.setattr("kit.live.counts.PEOPLE_PER_INTERVAL", 2)
    clock = [700.0]
    app.config["COUNTS_INTERVAL"] = 1000  # only the passes below send
    app.config["SCREEN_COUNTS_INTERVAL"] = 1000
    meeting = prepared_meeting(app, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    broadcaster = app.extensions["kit.counts"]
    broadcaster.clock = lambda: clock[0]
    names = ["Élodie Le Goff", "Zoé Martin", "Anaïs Keravec", "Bruno Ménard", "Rémi Coët"]

    def arrive(name: str) -> None:
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]

    def tick() -> list[str]:
        with app.app_context():
            broadcaster.flush(due_only=True)
        return [e["html"] for e in events(console, "/console", "people")]

    arrive(names[0])
    console.get_received("/console")
    [drawn] = tick()  # one person: every interval
    assert names[0] in drawn
    for name in names[1:]:
        arrive(name)
    clock[0] += 1000
    [drawn] = tick()  # still drawn this interval: the room was small at the last counts
    assert all(name in drawn for name in names)
    assert broadcaster.room_size[meeting.id] == 5
    arrive("Fañch Le Bihan")
    clock[0] += 1000
    assert tick() == [], "5 people, 2 per interval: the list waits 3 intervals"
    assert meeting.id in broadcaster.people, "the change is kept, not dropped"
    clock[0] += 2000
    [drawn] = tick()
    assert "Fañch Le Bihan" in drawn and not broadcaster.people


def test_votes_reach_the_screen_every_tick_while_phones_and_redraws_keep_their_interval(app, live_clients):
    """The background task's pass (`due_only`): the screen and the console get counts each tick,
    so a "Me too" shows within a fraction of a second; phones get them once per COUNTS_INTERVAL,
    and a redraw of live results waits for its interval too — nothing marked is dropped."""
    clock = [500.0]
    app.config["COUNTS_INTERVAL"] = 1000  # only the passes below send
    app.config["SCREEN_COUNTS_INTERVAL"] = 1000
    meeting = prepared_meeting(app, live=True)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for name in ("Élodie", "Zoé", "Anaïs"):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    for client, namespace in ((screen, "/screen"), (console, "/console"), *((p, "/phone") for p in phones)):
        client.get_received(namespace)
    broadcaster = app.extensions["kit.counts"]
    broadcaster.clock = lambda: clock[0]

    def tick(results: bool = False) -> None:
        with app.app_context():
            broadcaster.dirty.add(meeting.id)
            if results:
                broadcaster.results.add(meeting.id)
            broadcaster.flush(due_only=True)

    tick(results=True)  # the first pass: everyone, and the redraw
    assert [len(events(p, "/phone", "counts")) for p in phones] == [1, 1, 1]
    screen_events = [e["name"] for e in screen.get_received("/screen")]
    assert screen_events.count("counts") == 1 and screen_events.count("state") == 1

    for _ in range(5):  # five ticks within one interval: five counts to the views, none to phones
        clock[0] += 10
        tick(results=True)
    assert len(events(console, "/console", "counts")) == 6
    screen_events = [e["name"] for e in screen.get_received("/screen")]
    assert screen_events.count("counts") == 5 and "state" not in screen_events
    assert [len(events(p, "/phone", "counts")) for p in phones] == [0, 0, 0]
    assert meeting.id in broadcaster.phones_waiting and meeting.id in broadcaster.results
    clock[0] += 10  # a tick with nothing new: the phones still wait, and the views hear nothing
    with app.app_context():
        broadcaster.flush(due_only=True)
    assert not screen.get_received("/screen") and not events(console, "/console", "counts")
    assert meeting.id in broadcaster.phones_waiting

    clock[0] += 1000  # the interval is over: phones get the latest counts, the screen its redraw
    with app.app_context():
        broadcaster.flush(due_only=True)
    assert [len(events(p, "/phone", "counts")) for p in phones] == [1, 1, 1]
    assert [e["name"] for e in screen.get_received("/screen")].count("state") == 1
    assert not broadcaster.phones_waiting and not broadcaster.results


def test_each_installation_has_its_own_message_queue_channel(tmp_path):
    one = create_app({"INSTANCE_PATH": str(tmp_path / "one"), "ASYNC_MODE": "threading"})
    same = create_app({"INSTANCE_PATH": str(tmp_path / "one"), "ASYNC_MODE": "threading"})
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "ASYNC_MODE": "threading"})
    chosen = create_app(
        {"INSTANCE_PATH": str(tmp_path / "other"), "ASYNC_MODE": "threading", "MESSAGE_QUEUE_CHANNEL": "kit-ours"}
    )
    assert one.config["MESSAGE_QUEUE_CHANNEL"] == same.config["MESSAGE_QUEUE_CHANNEL"]
    assert one.config["MESSAGE_QUEUE_CHANNEL"] != other.config["MESSAGE_QUEUE_CHANNEL"]
    assert chosen.config["MESSAGE_QUEUE_CHANNEL"] == "kit-ours"
    # derived from the secret key, without showing it
    assert one.config["MESSAGE_QUEUE_CHANNEL"] == queue_channel(one.config["SECRET_KEY"])
    assert one.config["SECRET_KEY"][:8] not in one.config["MESSAGE_QUEUE_CHANNEL"]


def test_a_flush_asked_for_while_one_is_sending_returns_only_once_that_one_has_sent(app, monkeypatch):
    """Tests (and the console's own redraws) flush and then read what was sent: the background
    task must not have taken the marked meetings and still be sending them when that flush returns."""
    counts = app.extensions["kit.counts"]
    sending, release = threading.Event(), threading.Event()
    sent: list[set[int]] = []

    def slow_send(ids: set[int], redraw: set[int], *_people: set[int]) -> None:
        sending.set()
        release.wait(10)
        sent.append(ids)

    monkeypatch.setattr(counts, "_send", slow_send)
    with counts.lock:
        counts.dirty.add(1)
    background = threading.Thread(target=counts.flush)
    background.start()
    assert sending.wait(10)
    returned = threading.Event()
    asked = threading.Thread(target=lambda: (counts.flush(), returned.set()))
    asked.start()
    assert not returned.wait(0.2), "the second flush returned while the first was still sending"
    release.set()
    assert returned.wait(10)
    background.join(10)
    asked.join(10)
    assert sent == [{1}]


EVERY_ACTIVITY = Path(__file__).resolve().parent / "fixtures" / "every-activity.toml"
MARKUP = "Un « café numérique » où l'on apprend à 100 % : <b>vraiment</b> & sans stress"


def test_every_card_drawn_the_short_way_is_the_card_drawn_the_long_way(app):
    """item_event draws a card straight with Jinja (draw_card), with the language's catalogue
    looked up once and only the card's own count of votes (item_votes): for every activity, the
    console's and the screen's cards, in French and in English, new, voted for, edited, merged,
    hidden or a decision, come out as Flask's render_template draws them with the step's tallies."""
    from flask import render_template
    from flask_babel import force_locale

    from kit.activities import activity_for
    from kit.core import queries
    from kit.core.db import get_session
    from kit.meeting import decisions, lifecycle, moderation, votes
    from kit.meeting.templates import load_template
    from tests.conftest import gen_participant
    from tests.sample_data import contribution_for

    with app.test_request_context():
        db = get_session()
        meeting = lifecycle.create_meeting(db, load_template(EVERY_ACTIVITY))
        lifecycle.start(db, meeting)
        people = [gen_participant(db, meeting, name) for name in ("Élodie", "Bruno", "Awa", "Rémi")]
        drawn = 0
        for step in meeting.steps:
            lifecycle.go_to_step(db, meeting, step.id)
            activity = activity_for(step)
            cards = []
            for n, person in enumerate(people[:3]):
                # short: a word cloud's answer is a few words; the markup is in it all the same
                data = contribution_for(step, f"<b>café</b> & « n°{n} »", person.display_name)
                cards.append(lifecycle.contribute(db, meeting, person, step.id, f"{step.id}-{n}", data).contribution)
            new = live_state.item_event(db, meeting, cards[0], "screen", "fr", votes={})
            if activity.votable:
                for person in people[1:]:
                    votes.set_vote(db, meeting, person, cards[0].id, True)
            if activity.editable_field:
                moderation.edit(db, meeting, cards[0].id, MARKUP + " (revu)")
                moderation.merge(db, meeting, cards[1].id, cards[0].id)
            if activity.decision_text(cards[0]):
                decisions.set_decision(db, meeting, cards[0].id, True)
            moderation.hide(db, meeting, cards[2].id)
            for card in cards:
                db.refresh(card)
                for view in ("screen", "console"):
                    for lang in ("fr", "en"):
                        short = live_state.item_event(db, meeting, card, view, lang)["html"]
                        with force_locale(lang):
                            long = render_template(
                                activity.template("_item"),
                                item=card,
                                activity=activity,
                                view=view,
                                votes=queries.tallies(db, card.step_id) if activity.votable else {},
                                meeting=meeting,
                            )
                        assert short == long, (step.activity, view, lang)
                        drawn += 1
            if activity.votable:
                assert 'data-votes="3"' in live_state.item_event(db, meeting, cards[0], "screen", "fr")["html"]
                assert 'data-votes="0"' in new["html"]
        assert drawn == len(meeting.steps) * 3 * 4
        english = live_state.item_event(db, meeting, cards[0], "console", "en")["html"]
        assert "hidden" in live_state.item_event(db, meeting, cards[2], "console", "en")["html"]
        assert "&lt;b&gt;vraiment" in english or "<b>" not in english


def test_a_cards_catalogue_is_the_language_asked_whatever_the_callers(app):
    """template_translations is kept per language for the app's life: asked for English first
    from a French page, it must keep English, or every English card after it would be French."""
    from kit.core.i18n import template_translations

    def hide(lang: str) -> str:
        return app.jinja_env.from_string("{{ _('Hide') }}").render(**template_translations(lang))

    with app.test_request_context("/?lang=fr"):
        assert hide("en") == "Hide"
        assert hide("fr") == "Masquer"
    with app.test_request_context("/?lang=en"):
        assert hide("fr") == "Masquer"
        assert hide("en") == "Hide"


def test_live_events_leave_the_garbage_collector_nothing(app, live_clients):
    """What a busy room's events leave in cycles, only the garbage collector frees, and its pauses
    were what a contribution waited for at the p99 (docs/performance.md). Flask-SocketIO runs each
    event in a request context for the Socket.IO path: routing that path to nothing raised
    NotFound every time (the exception, its traceback and frames in cycles), and matching it at all
    left a cycle of werkzeug's matcher. Contributions and votes now leave none."""
    import gc

    from werkzeug.exceptions import HTTPException

    with app.app_context():
        meeting = lifecycle.create_meeting(get_session(), gen_template(StepTemplate("needs", "Besoins", "", {})))
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    needs = console.emit("start", callback=True, namespace="/console")["current_step_id"]
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Anaïs"}, callback=True, namespace="/phone")["ok"]

    def events(first: int, count: int) -> None:
        for n in range(first, first + count):
            text = f"Un atelier numérique pour les aidants n°{n}, le mardi matin à la médiathèque"
            sent = {"client_id": f"g-{n}", "step_id": needs, "data": {"text": text}}
            ack = phone.emit("contribute", sent, callback=True, namespace="/phone")
            assert ack["ok"], ack
            vote = {"contribution_id": ack["id"], "vote": True}
            assert phone.emit("vote", vote, callback=True, namespace="/phone")["ok"]

    events(0, 2)  # the first cards compile their templates, which makes cycles once
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        events(2, 15)  # a participant may send 20 in 30 s
        gc.collect()
        exceptions = [type(o).__name__ for o in gc.garbage if isinstance(o, HTTPException)]
        left = [type(o).__qualname__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert exceptions == []
    # under one object per contribution and vote: before, eight per event, and more before that
    assert len(left) < 15, f"{len(left) / 15:.1f} objects in cycles per contribution: {sorted(set(left))}"
    # the test client's requests are neither websockets nor on the exact path a browser asks for
    routes = app.url_map.bind("kit.test")
    for path in ("/socket.io/", "/socket.io"):
        for websocket, methods in ((False, ("GET", "POST")), (True, ("GET",))):
            for method in methods:
                assert routes.match(path, method=method, websocket=websocket)[0] == "live_transport"


def test_a_connections_events_reuse_its_url_adapter_and_session(app, live_clients, monkeypatch):
    """Every live event runs in a request context on the environ of the request that opened its
    connection. The URL adapter and the session built for the first event serve the next ones:
    rebuilding them was about 4 % of a join storm's CPU (docs/performance.md). Links drawn in
    the cards stay right, and each connection keeps its own."""
    from flask.sessions import SecureCookieSessionInterface

    opened: list[str] = []
    bound: list[str] = []
    open_session = SecureCookieSessionInterface.open_session
    bind = type(app.url_map).bind_to_environ

    def counting_open(self, app_, request):  # type: ignore[no-untyped-def]
        opened.append(request.path)
        return open_session(self, app_, request)

    def counting_bind(self, environ, *args, **kwargs):  # type: ignore[no-untyped-def]
        bound.append(environ.get("PATH_INFO", ""))
        return bind(self, environ, *args, **kwargs)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", counting_open)
    monkeypatch.setattr(type(app.url_map), "bind_to_environ", counting_bind)
    with app.app_context():
        meeting = lifecycle.create_meeting(get_session(), gen_template(StepTemplate("needs", "Besoins", "", {})))
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    [before] = [e["args"][0]["html"] for e in screen.get_received("/screen") if e["name"] == "snapshot"]
    assert f'src="/j/{meeting.code}/qr.svg"' in before
    for _ in range(2):  # drawn by the connection's first event, and the same by later ones
        assert screen.emit("sync", callback=True, namespace="/screen")["snapshot"]["html"] == before
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    needs = console.emit("start", callback=True, namespace="/console")["current_step_id"]
    phones = [live_clients("phone", {"meeting": meeting.code}) for _ in range(2)]
    opened.clear()
    bound.clear()
    for number, phone in enumerate(phones):
        assert phone.emit("join", {"name": f"Élodie {number}"}, callback=True, namespace="/phone")["ok"]
        for n in range(10):
            text = f"Accompagner les démarches de retraite en ligne, atelier n°{n} de la maison France services"
            sent = {"client_id": f"s-{number}-{n}", "step_id": needs, "data": {"text": text}}
            ack = phone.emit("contribute", sent, callback=True, namespace="/phone")
            assert ack["ok"], ack
            assert phone.emit("vote", {"contribution_id": ack["id"], "vote": True}, callback=True, namespace="/phone")
    # 42 events, and neither the cookie nor the address was read again for any of them
    assert [p for p in opened if "socket.io" in p] == []
    assert [p for p in bound if "socket.io" in p] == []
    # the console's cards, drawn in those contexts, are all there
    snapshot = console.emit("sync", callback=True, namespace="/console")["snapshot"]
    assert snapshot["html"].count('class="item-number"') == 20


def test_the_list_of_people_drawn_alone_is_the_consoles_own(app, live_clients):
    """The `people` event draws the console's list the short way (one read of the participants,
    the catalogue looked up once, each name's sort key worked out once); it is exactly the list
    the whole console draws: French order, the removed last, who is connected, names as text."""
    import re

    meeting = prepared_meeting(app, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    names = [
        "Zoé Martin",
        "élodie Le Goff",
        "Œuvre commune du quartier",
        "<img src=x onerror=alert(1)>",
        "Anaïs Keravec",
        "Élodie Le Goff",
        "Oeuvre de la médiathèque",
    ]
    phones = []
    for name in names:
        phone = live_clients("phone", {"meeting": meeting.code})
        ack = phone.emit(
            "join",
            {"name": name, "structure": "Espace France services & <b>CCAS</b>"},
            callback=True,
            namespace="/phone",
        )
        assert ack["ok"], ack
        phones.append(phone)
    with app.app_context():
        from sqlalchemy import select

        from kit.core.models import Participant

        ids = list(get_session().scalars(select(Participant.id).order_by(Participant.id)))
    phones[0].disconnect(namespace="/phone")  # Zoé left the room
    removed = console.emit(
        "control", {"action": "remove", "participant_id": ids[2]}, callback=True, namespace="/console"
    )
    assert removed["ok"], removed
    console.get_received("/console")
    with app.app_context():
        app.extensions["kit.counts"].mark(meeting.id, people=True)
        app.extensions["kit.counts"].flush()
    *_, alone = [e["html"] for e in events(console, "/console", "people")]
    whole = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    inside = re.search(r'<div id="console-people">(.*?)</div>', whole, re.S)
    assert inside is not None and inside.group(1) == alone
    shown = re.findall(r'<span class="person-name">(.*?)</span>', alone)
    # accents and case second ("élodie" before "Élodie"), "Oeuvre" where "Œuvre" would be, the
    # removed "Œuvre" after everyone present, the markup as text
    assert shown == [
        "&lt;img src=x onerror=alert(1)&gt;",
        "Anaïs Keravec",
        "élodie Le Goff",
        "Élodie Le Goff",
        "Oeuvre de la médiathèque",
        "Zoé Martin",
        "Œuvre commune du quartier",
    ]
    assert alone.count('class="is-removed"') == 1
    assert alone.index('class="is-removed"') > alone.index("Zoé Martin")
    assert "<img" not in alone and "<b>" not in alone
    assert alone.count('class="badge ok">en ligne<') == len(names) - 2  # Zoé's phone gone, the removed one left out
    # the question before removing someone is written once for the whole list, and console.js
    # puts in the name of the line clicked: 1,000 people no longer carry 1,000 copies of it
    assert alone.count("de la réunion\u00a0?") == 1
    assert 'data-confirm-remove="Retirer {name} de la réunion\u00a0? Cette personne' in alone
    assert alone.count('data-control="remove"') == len(names) - 1 and "data-confirm=" not in alone
    assert '<span class="visually-hidden"> Zoé Martin</span>' in alone  # each button still says whom
    assert alone.count(">Retirer<span") == len(names) - 1  # "retirer": what they sent stays, nothing is deleted


def test_the_console_lists_people_as_rows_with_their_names_as_shown(app):
    """The console's list reads four columns of each participant, not entities: the same people
    in the order they joined, removed or not, and "Anonyme" for whoever joined without a name."""
    from flask_babel import force_locale

    from kit.core import queries
    from kit.core.models import Participant, utcnow

    meeting = prepared_meeting(app, live=True)
    with app.test_request_context():
        db = get_session()
        meeting = db.merge(meeting)
        meeting.anonymous_allowed = True
        db.commit()
        joined = [
            lifecycle.join(db, meeting, name, "Médiathèque de Quimperlé")
            for name in ("Gaëlle Le Goff", "", "Ibrahim Benali")
        ]
        db.get(Participant, joined[2].id).removed_at = utcnow()
        db.commit()
        with force_locale("fr"):
            rows = queries.people(db, meeting)
            assert [(p.id, p.shown_name, p.structure, p.removed_at is not None) for p in rows] == [
                (joined[0].id, "Gaëlle Le Goff", "Médiathèque de Quimperlé", False),
                (joined[1].id, "Anonyme", "Médiathèque de Quimperlé", False),
                (joined[2].id, "Ibrahim Benali", "Médiathèque de Quimperlé", True),
            ]
            assert [p.shown_name for p in rows] == [p.shown_name for p in queries.participants(db, meeting)]
            assert [p.shown_name for p in queries.by_name(rows)] == ["Anonyme", "Gaëlle Le Goff", "Ibrahim Benali"]


def test_a_phone_connects_in_the_language_its_pages_remember(app):
    """The language a person chose on kit's pages (remembered in their session) is the one their
    phone's live connection speaks: the connection's own session is read as the dict it is
    (kit.core.i18n._remembered), and a phone with no choice gets French."""
    from kit.core.extensions import socketio

    meeting = prepared_meeting(app, live=True)
    spoken = {}
    for lang in ("en", None):
        pages = app.test_client()
        assert pages.get(f"/j/{meeting.code}" + (f"?lang={lang}" if lang else "")).status_code == 200
        phone = socketio.test_client(app, namespace="/phone", auth={"meeting": meeting.code}, flask_test_client=pages)
        ack = phone.emit("join", {"name": "Awa Diallo"}, callback=True, namespace="/phone")
        assert ack["ok"], ack
        wrong = phone.emit("vote", {"contribution_id": 10**6, "vote": True}, callback=True, namespace="/phone")
        spoken[lang] = wrong["error"]["message"]
        phone.disconnect(namespace="/phone")
    assert spoken == {
        "en": "This contribution does not exist in this meeting.",
        None: "Cette contribution n'existe pas dans cette réunion.",
    }, spoken


def test_phones_connect_and_join_on_the_meetings_head_and_see_what_the_meeting_draws(app, live_clients):
    meeting = prepared_meeting(app, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]
    text = "Créer un annuaire partagé des permanences numériques du territoire, avec les horaires à jour."
    first = live_clients("phone", {"meeting": meeting.code})
    sent = {"client_id": "a-1", "step_id": board, "data": {"text": text}}
    joined = first.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")
    contributed = first.emit("contribute", sent, callback=True, namespace="/phone")
    assert contributed["ok"]
    loads: list[int] = []
    here = threading.get_ident()  # the test client runs the handlers here; the counts, in their own thread

    def loaded(target: Meeting, _context: object) -> None:
        if threading.get_ident() == here:
            loads.append(target.id)

    listen = (Meeting, "load", loaded)
    event.listen(*listen)
    try:
        # the page of this version is not drawn yet: the meeting is loaded once, to draw it
        second = live_clients("phone", {"meeting": meeting.code})
        [drawn] = events(second, "/phone", "snapshot")
        assert len(loads) == 1
        # drawn: the next phones connect, join and come back with their token without loading it
        third = live_clients("phone", {"meeting": meeting.code})
        [kept] = events(third, "/phone", "snapshot")
        again = third.emit("join", {"name": "Chloé"}, callback=True, namespace="/phone")
        back = live_clients("phone", {"meeting": meeting.code, "token": joined["token"]})
        [mine] = events(back, "/phone", "snapshot")
        assert len(loads) == 1, "a phone connecting or joining on a drawn page reads the head alone"
    finally:
        event.remove(*listen)
    with app.app_context():
        db = get_session()
        whole = live_state.state(db, db.get(Meeting, meeting.id), "phone", "fr")
    for snapshot in (drawn, kept, again["snapshot"], mine):
        assert snapshot["html"] == whole["html"] and snapshot["version"] == whole["version"]
        assert snapshot["step"] == whole["step"] and snapshot["meeting"] == whole["meeting"]
    assert [item["id"] for item in mine["mine"]] == [contributed["id"]], "a phone back with its token finds its own"
    assert again["snapshot"]["counts"]["participants"] == 2


def test_a_phone_cannot_join_a_meeting_deleted_since_it_connected(app, live_clients):
    meeting = prepared_meeting(app, live=True)
    phone = live_clients("phone", {"meeting": meeting.code})
    with app.app_context():
        db = get_session()
        db.delete(db.get(Meeting, meeting.id))
        db.commit()
    ack = phone.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_a_phone_coming_back_reads_its_own_in_one_statement_whatever_the_steps(app, live_clients):
    meeting = prepared_meeting(app, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    texts = (
        "Mutualiser les créneaux d'accompagnement entre la médiathèque et le centre social.",
        "Un atelier mensuel sur les arnaques en ligne, ouvert aux aidants familiaux.",
    )
    phones = []
    for name in ("Awa", "Bruno"):
        phone = live_clients("phone", {"meeting": meeting.code})
        phones.append((phone, phone.emit("join", {"name": name}, callback=True, namespace="/phone")["token"]))
    sent: dict[str, list[int]] = {"Awa": [], "Bruno": []}
    for position, text in enumerate(texts):
        step = console.emit("next", callback=True, namespace="/console")["current_step_id"]
        # Awa sends on both boards, Bruno on the first only
        for (phone, _token), name in zip(phones, ("Awa", "Bruno"), strict=True):
            if name == "Awa" or position == 0:
                payload = {"client_id": f"{name}-{position}", "step_id": step, "data": {"text": text}}
                sent[name].append(phone.emit("contribute", payload, callback=True, namespace="/phone")["id"])
    with app.app_context():
        engine = get_session().get_bind()
    here = threading.get_ident()
    statements: list[str] = []

    def counted(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # the room's counts are kept a moment (PhoneStates.counts): whether they were is not the point
        if threading.get_ident() == here and "count(" not in statement:
            statements.append(statement)

    read: dict[str, int] = {}
    for (phone, token), name in zip(phones, ("Awa", "Bruno"), strict=True):
        phone.disconnect(namespace="/phone")
        # the page of this version is drawn once, by the first to come back: then counted alone
        live_clients("phone", {"meeting": meeting.code, "token": token})
        statements.clear()
        event.listen(engine, "before_cursor_execute", counted)
        try:
            back = live_clients("phone", {"meeting": meeting.code, "token": token})
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        [snapshot] = events(back, "/phone", "snapshot")
        assert [item["id"] for item in snapshot["mine"]] == sent[name]
        assert all(item["summary"] in texts for item in snapshot["mine"])
        read[name] = len(statements)
        assert sum("FROM participant" in statement for statement in statements) == 1, "read once, by its token"
    assert read["Awa"] == read["Bruno"], f"one step more, statements more: {read}"


def test_kit_sends_json_alone_and_answers_a_message_with_bytes_plainly(app, live_clients):
    meeting = prepared_meeting(app, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    board = console.emit("next", callback=True, namespace="/console")["current_step_id"]
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")["ok"]
    # a binary message (a Socket.IO attachment) is read as before: its bytes are bad input
    payload = {"client_id": "bin-1", "step_id": board, "data": {"text": b"\xff\xfe une image ?"}}
    ack = phone.emit("contribute", payload, callback=True, namespace="/phone")
    assert ack["ok"] is False and ack["error"]["code"] == "invalid" and ack["error"]["message"], ack
    sent = {"client_id": "txt-1", "step_id": board, "data": {"text": "Une idée en toutes lettres, accentuée."}}
    assert phone.emit("contribute", sent, callback=True, namespace="/phone")["ok"]
    # what the server sends is never searched for bytes, and never a binary packet
    server = app.extensions["socketio"].server
    packet = server.packet_class(2, data=["contribution", {"item": {"data": {"text": "é"}}}], namespace="/phone")
    assert packet.packet_type == 2 and packet.encode().startswith("2/phone,")
    with pytest.raises(TypeError):
        server.packet_class(2, data=["photo", b"\x89PNG"], namespace="/phone").encode()


def test_a_ticks_counts_are_the_rooms_read_in_three_statements_and_no_entity(app, live_clients):
    """A busy room's screen and console are sent its counts every tick (a tenth of a second), and
    the server does nothing else meanwhile: the meeting's head, its step's activity and both counts
    in one statement, who was removed in another, the tallies of a step with votes in a third,
    and no entity built. What they are sent is the room's counts."""
    app.config["COUNTS_INTERVAL"] = 1000  # only the pass below sends
    app.config["SCREEN_COUNTS_INTERVAL"] = 1000
    template = gen_template(StepTemplate("needs", "Besoins", "De quoi avez-vous besoin ?", {}))
    with app.app_context():
        meeting = lifecycle.create_meeting(get_session(), template)
        lifecycle.start(get_session(), meeting)
        step_id, code = meeting.current_step_id, meeting.code
    screen = live_clients("screen", {"meeting": code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": code, "key": meeting.facilitator_key})
    phones, ids = [], []
    for name in ("Awa Ndiaye", "Élodie Lefèvre-Guérin", "Zoé Le Bihan", "Anaïs Kerbrat", "Bruno Oger"):
        phone = live_clients("phone", {"meeting": code})
        phone.emit("join", {"name": name}, callback=True, namespace="/phone")
        phones.append(phone)
    text = "Un annuaire partagé des permanences numériques du territoire, horaires à jour ({n})."
    for n in range(12):
        payload = {"client_id": f"n{n}", "step_id": step_id, "data": {"text": text.format(n=n)}}
        ids.append(phones[n % 4].emit("contribute", payload, callback=True, namespace="/phone")["id"])
    for n, need in enumerate(ids[:6]):
        ballot = {"contribution_id": need, "vote": True}
        assert phones[(n + 1) % 4].emit("vote", ballot, callback=True, namespace="/phone")["changed"]
    with app.app_context():
        db = get_session()
        whole = db.get(Meeting, meeting.id)
        removed = room_control.remove_participant(db, whole, queries.people(db, whole)[-1].id)
        moderation.hide(db, whole, ids[0])
        expected_votes = {str(k): v for k, v in queries.tallies(db, step_id).items()}
        version, step_version = whole.version, whole.step_version
    assert removed.display_name == "Bruno Oger" and len(expected_votes) == 6
    broadcaster = app.extensions["kit.counts"]
    broadcaster.flush(due_only=True)  # the phones' first turn and the console's list of who came
    for client, namespace in ((screen, "/screen"), (console, "/console"), *((p, "/phone") for p in phones)):
        client.get_received(namespace)
    with app.app_context():
        engine = get_session().get_bind()
    loads: list[object] = []
    statements: list[str] = []

    def loaded(target: object, _context: object) -> None:
        loads.append(target)

    def counted(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    listening = [(Meeting, "load", loaded), (Step, "load", loaded), (engine, "before_cursor_execute", counted)]
    for listened in listening:
        event.listen(*listened)
    try:
        broadcaster.mark(meeting.id)
        broadcaster.flush(due_only=True)
    finally:
        for listened in listening:
            event.remove(*listened)
    assert loads == [], "a tick reads rows, it builds no entity"
    assert len(statements) == 3, statements
    wanted = {
        "version": version,
        "step_id": step_id,
        "step_version": step_version,
        "participants": 4,
        "contributions": 11,
        "connected": 4,
        "votes": expected_votes,
    }
    for client, namespace in ((screen, "/screen"), (console, "/console")):
        [counts] = events(client, namespace, "counts")
        assert {key: counts[key] for key in wanted} == wanted
    assert not any(events(p, "/phone", "counts") for p in phones), "phones wait for their turn"

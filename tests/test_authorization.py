"""Who may do what: every role against every live event and every page, in one table.

A meeting ("this meeting") runs next to another one. Six people try everything:

- someone with nothing but the code (``nobody``),
- a participant of this meeting, and one of the other meeting (each holding their phone token),
- the facilitator of the other meeting, the facilitator of this one (holding its keys),
- the admin (the admin cookie, and the links the admin page shows).

What a role may do must work; everything else must be refused with a clear answer and leave the
database exactly as it was. Nobody may receive a secret they do not already hold.

To add an event: add a row to EVENTS (who may send it, on which namespace, with what payload).
To add a page: add a row to ROUTES. The completeness tests fail until the table mentions every
event of every namespace and every route of the app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from kit import create_app, places
from kit.core.db import get_session
from kit.core.extensions import socketio
from kit.live.namespaces import LiveNamespace
from kit.meeting import lifecycle
from kit.network import networks
from tests.conftest import gen_meeting, gen_participant, gen_template

SAME_ORIGIN = {"Origin": "http://localhost"}

ROLES = (
    "nobody",
    "participant of this meeting",
    "participant of another meeting",
    "facilitator of another meeting",
    "facilitator",
    "admin",
)
EVERYONE = frozenset(ROLES)
FACILITATORS = frozenset({"facilitator", "admin"})
# those who may open a phone connection to this meeting: anyone with the code, and its participants
PHONE_HOLDERS = frozenset(ROLES) - {"participant of another meeting"}

# the answers that mean "not you": a refusal that is about who asks, not about what was sent
REFUSALS = {"forbidden", "not_joined", "unknown_identity", "not_found", "already_joined"}


# -- the world: this meeting, another meeting, and what each role holds --------------------------
@dataclass
class World:
    """Plain values (no ORM objects) describing the two meetings of one matrix cell."""

    code: str
    facilitator_key: str
    screen_key: str
    share_token: str
    steps: list[int]
    participant_token: str
    card_id: int | None
    other_code: str
    other_facilitator_key: str
    other_participant_token: str
    other_steps: list[int]
    other_card_id: int
    status: str
    network_id: int
    place_id: int
    place_member_id: int

    def secrets(self) -> dict[str, str]:
        """Every secret of both meetings, by what it opens."""
        found = {
            "this facilitator key": self.facilitator_key,
            "this screen key": self.screen_key,
            "this participant's token": self.participant_token,
            "other facilitator key": self.other_facilitator_key,
            "the other participant's token": self.other_participant_token,
        }
        if self.status not in PUBLISHED:
            found["this share token"] = self.share_token
        return found


HELD = {
    "nobody": set(),
    "participant of this meeting": {"this participant's token"},
    "participant of another meeting": {"the other participant's token"},
    "facilitator of another meeting": {"other facilitator key"},
    "facilitator": {"this facilitator key", "this screen key", "this share token"},
    "admin": {"this facilitator key", "this screen key", "this share token", "other facilitator key"},
}


# published minutes whose network has a next meeting (a date for their calendar), or with nothing dated
PUBLISHED = ("published", "published, nothing dated")


def make_world(app: Flask, status: str) -> World:
    """This meeting in `status` (Awa joined; from "live" on she has a card on the board), and another one live."""
    with app.app_context():
        db = get_session()
        this = gen_meeting(db)
        network = networks.create_network(db, "Réseau du matrix")
        this.network_id = network.id
        db.commit()
        place = places.create_place(db, network, "Médiathèque du matrix", "Vitré")
        place_member = places.add_member(db, place, "Awa")
        awa = gen_participant(db, this, "Awa")
        card_id = None
        if status != "prepared":
            lifecycle.start(db, this)
            lifecycle.move(db, this, +1)
            card_id = lifecycle.contribute(
                db, this, awa, this.steps[1].id, "awa-1", {"text": "Un guide"}
            ).contribution.id
        if status in ("closed", *PUBLISHED):
            lifecycle.close(db, this)
        if status in PUBLISHED:
            lifecycle.publish(db, this)
        if status == "published":
            soon = date.today() + timedelta(days=30)
            lifecycle.create_meeting(db, gen_template(), title="Suite", meeting_date=soon, network_id=network.id)
        other = gen_meeting(db, live=True)
        lifecycle.move(db, other, +1)
        bruno = gen_participant(db, other, "Bruno")
        other_card = lifecycle.contribute(db, other, bruno, other.steps[1].id, "bruno-1", {"text": "Autre"})
        return World(
            code=this.code,
            facilitator_key=this.facilitator_key,
            screen_key=this.screen_key,
            share_token=this.share_token,
            steps=[s.id for s in this.steps],
            participant_token=awa.token,
            card_id=card_id,
            other_code=other.code,
            other_facilitator_key=other.facilitator_key,
            other_participant_token=bruno.token,
            other_steps=[s.id for s in other.steps],
            other_card_id=other_card.contribution.id,
            status=status,
            network_id=this.network_id,
            place_id=place.id,
            place_member_id=place_member.id,
        )


def live_auth(role: str, namespace: str, world: World) -> dict[str, Any]:
    """What a role puts in `auth` to reach this meeting: the best credential it holds."""
    auth: dict[str, Any] = {"meeting": world.code}
    held = {
        "nobody": None,
        "participant of this meeting": world.participant_token,
        "participant of another meeting": world.other_participant_token,
        "facilitator of another meeting": world.other_facilitator_key,
        "facilitator": world.facilitator_key,
        "admin": world.facilitator_key,  # read from the console link of the admin page (checked below)
    }[role]
    if held is None:
        return auth
    if namespace == "/phone":
        # a phone sends a token; a facilitator has none, so opens a phone like anyone with the code
        if role.startswith("participant"):
            auth["token"] = held
        return auth
    auth["key"] = held
    return auth


def dump(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to tell whether anything changed."""
    engine = app.extensions["kit.engine"]
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))]
            for table in sorted(inspect(engine).get_table_names())
            if table != "alembic_version"
        }


def leaked(role: str, world: World, received: Any, asked: str = "") -> list[str]:
    """The secrets in what a role received that it did not hold before (what it put in the address it holds)."""
    seen = json.dumps(received, default=str)
    return [
        name
        for name, value in world.secrets().items()
        if name not in HELD[role] and value in seen and value not in asked
    ]


# -- live events ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """A client → server event: who may send it on which namespace, from which state, with what."""

    payload: Callable[[World], Any]
    allowed: dict[str, frozenset[str]]
    status: str = "live"
    # events whose success depends on the step's activity: allowed means "not refused for who you are"
    loose: bool = False


EVENTS: dict[str, Event] = {
    "sync": Event(
        lambda w: None,
        {"/screen": FACILITATORS, "/console": FACILITATORS, "/phone": PHONE_HOLDERS},
    ),
    "start": Event(lambda w: None, {"/console": FACILITATORS}, status="prepared"),
    "next": Event(lambda w: None, {"/console": FACILITATORS}),
    "previous": Event(lambda w: None, {"/console": FACILITATORS}),
    "goto": Event(lambda w: {"step_id": w.steps[2]}, {"/console": FACILITATORS}),
    "close": Event(lambda w: None, {"/console": FACILITATORS}),
    "publish": Event(lambda w: None, {"/console": FACILITATORS}, status="closed"),
    # sending the minutes by email: this app has no mail account, so "allowed" means "not refused for who you are"
    "send_minutes": Event(lambda w: None, {"/console": FACILITATORS}, status="published", loose=True),
    # publishing to the network's public kit: this network has none, so "allowed" means "not refused for who you are"
    "publish_public": Event(lambda w: None, {"/console": FACILITATORS}, status="published", loose=True),
    # no activity has facilitator actions yet: the facilitator gets `unknown_action`, others are refused
    "act": Event(lambda w: {"action": "reveal"}, {"/console": FACILITATORS}, loose=True),
    "join": Event(
        lambda w: {"name": "Eve"},
        {"/phone": PHONE_HOLDERS - {"participant of this meeting"}},
    ),
    "contribute": Event(
        lambda w: {"client_id": "matrix-1", "step_id": w.steps[1], "data": {"text": "Une idée"}},
        {"/phone": frozenset({"participant of this meeting"})},
    ),
    # adding a step while the meeting runs (the preparation work): allowed means "not refused for who you are"
    "add_step": Event(
        lambda w: {"activity": "board", "title": "Une étape de plus", "prompt": ""},
        {"/console": FACILITATORS},
        loose=True,
    ),
    # a poll's results shown or hidden: this meeting's step is not a poll (see tests/test_poll_results.py)
    "show_results": Event(lambda w: {"step_id": w.steps[1]}, {"/console": FACILITATORS}, loose=True),
    "hide_results": Event(lambda w: {"step_id": w.steps[1]}, {"/console": FACILITATORS}, loose=True),
    # room control: refused for everyone once the meeting is over, so "allowed" means "not refused for who you are"
    "control": Event(lambda w: {"action": "pause_posting"}, {"/console": FACILITATORS}, loose=True),
    # moderation and votes: whether they succeed depends on the card and the step (see their own tests)
    "moderate": Event(lambda w: {"action": "hide", "id": w.card_id}, {"/console": FACILITATORS}, loose=True),
    # the facilitator's marks for the minutes' first lines: decisions and each step's summary
    "mark_decision": Event(lambda w: {"id": w.card_id, "decision": True}, {"/console": FACILITATORS}),
    # what is under a card's "More", drawn when opened: nothing changes, but it is the console's alone
    "item_menu": Event(lambda w: {"id": w.card_id}, {"/console": FACILITATORS}),
    "save_summary": Event(
        lambda w: {"step_id": w.steps[1], "text": "On garde l'atelier du jeudi."}, {"/console": FACILITATORS}
    ),
    "vote": Event(
        lambda w: {"contribution_id": w.card_id, "vote": True},
        {"/phone": frozenset({"participant of this meeting"})},
        loose=True,
    ),
    # giving a name one did not give when joining: refused (`already_named`) for someone who has one
    "give_name": Event(
        lambda w: {"name": "Eve"},
        {"/phone": frozenset({"participant of this meeting"})},
        loose=True,
    ),
    # the room's pace (kit.meeting.pacing): the step's timer, its introduction, the screen's pages
    "timer": Event(lambda w: {"action": "start", "minutes": 3}, {"/console": FACILITATORS}),
    "intro": Event(lambda w: {"mode": "folded"}, {"/console": FACILITATORS}),
    "page": Event(lambda w: {"action": "next"}, {"/console": FACILITATORS}),
    # the page a screen shows, told to the consoles: whoever holds the screen's link
    "page_shown": Event(lambda w: {"page": 1, "pages": 2}, {"/screen": FACILITATORS}),
    # deleting one's own card: only its author may
    "withdraw": Event(
        lambda w: {"contribution_id": w.card_id},
        {"/phone": frozenset({"participant of this meeting"})},
    ),
}


# rows written while the code they describe is being written elsewhere: skipped while absent
COMING_EVENTS = {"add_step"}


def declared_events() -> dict[str, set[str]]:
    """The events each namespace of the running app answers (its on_* handlers)."""
    found: dict[str, set[str]] = {}
    for handler in socketio.namespace_handlers:
        assert isinstance(handler, LiveNamespace), handler
        found[handler.namespace] = {
            name.removeprefix("on_")
            for name in dir(handler)
            if name.startswith("on_") and name not in ("on_connect", "on_disconnect", "on_unknown_event")
        }
    return found


@dataclass(frozen=True)
class Cell:
    role: str
    namespace: str
    event: str

    @property
    def allowed(self) -> bool:
        return self.role in EVENTS[self.event].allowed.get(self.namespace, frozenset())

    def __str__(self) -> str:
        verb = "may" if self.allowed else "may not"
        return f"{self.role} {verb} send {self.event} on {self.namespace}"


NAMESPACES = ("/screen", "/console", "/phone")
CELLS = [Cell(role, ns, event) for role in ROLES for ns in NAMESPACES for event in EVENTS]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = Path(tmp_path_factory.mktemp("authorization"))
    yield create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder / "instance"),
            "ASYNC_MODE": "threading",
            "PUBLIC_URL": "http://kit.test",
            "COUNTS_INTERVAL": 0.01,
        }
    )


@pytest.fixture
def connect(app: Flask) -> Iterator[Callable[[str, dict[str, Any]], Any]]:
    made: list[tuple[Any, str]] = []

    def open_live(namespace: str, auth: dict[str, Any]) -> Any:
        client = socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=app.test_client())
        made.append((client, namespace))
        return client

    yield open_live
    for client, namespace in made:
        if client.is_connected(namespace):
            client.disconnect(namespace=namespace)


def test_the_table_names_every_event_of_every_namespace(app):
    declared = declared_events()
    assert set(declared) == set(NAMESPACES), "a namespace was added or removed: update NAMESPACES"
    missing = {(ns, e) for ns, events in declared.items() for e in events if e not in EVENTS}
    assert not missing, f"events nobody told the matrix about (add them to EVENTS): {sorted(missing)}"
    # an event a namespace answers must say who may send it there (an empty set is a decision too)
    unsaid = {(ns, e) for ns, events in declared.items() for e in events if e in EVENTS and ns not in EVENTS[e].allowed}
    assert not unsaid, f"events whose rows do not say who may send them on their namespace: {sorted(unsaid)}"
    stale = {
        (ns, e) for e, row in EVENTS.items() for ns in row.allowed if e not in declared[ns] and e not in COMING_EVENTS
    }
    assert not stale, f"EVENTS names events that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_live_event(app: Flask, connect, cell: Cell) -> None:
    row = EVENTS[cell.event]
    if cell.allowed and cell.event not in declared_events()[cell.namespace]:
        pytest.skip(f"{cell.event} is not in this version yet")
    world = make_world(app, row.status)
    before = dump(app)
    client = connect(cell.namespace, live_auth(cell.role, cell.namespace, world))
    if not client.is_connected(cell.namespace):
        assert not cell.allowed, f"{cell}, but the connection was refused"
        assert dump(app) == before
        return
    ack = client.emit(cell.event, row.payload(world), callback=True, namespace=cell.namespace)
    received = [ack, client.get_received(cell.namespace)]
    assert not leaked(cell.role, world, received), f"{cell}: received {leaked(cell.role, world, received)}"
    if cell.allowed:
        if row.loose:
            assert ack["ok"] or ack["error"]["code"] not in REFUSALS, f"{cell}: {ack}"
        else:
            assert ack["ok"], f"{cell}: {ack}"
        return
    assert ack["ok"] is False, f"{cell}, but it was accepted: {ack}"
    assert ack["error"]["code"] in REFUSALS and ack["error"]["message"], f"{cell}: {ack}"
    assert dump(app) == before, f"{cell}, and was refused, but the database changed"


@dataclass(frozen=True)
class Reach:
    """Someone connected to their own meeting names something of this meeting in a payload."""

    story: str
    role: str
    namespace: str
    event: str
    payload: Callable[[World], Any]


REACHES = [
    Reach(
        "a phone of another meeting cannot post a card on this meeting's board",
        "participant of another meeting",
        "/phone",
        "contribute",
        lambda w: {"client_id": "reach-1", "step_id": w.steps[1], "data": {"text": "Intrusion"}},
    ),
    Reach(
        "a phone of another meeting cannot vote for this meeting's card",
        "participant of another meeting",
        "/phone",
        "vote",
        lambda w: {"contribution_id": w.card_id, "vote": True},
    ),
    Reach(
        "a phone of another meeting cannot delete this meeting's card",
        "participant of another meeting",
        "/phone",
        "withdraw",
        lambda w: {"contribution_id": w.card_id},
    ),
    Reach(
        "the facilitator of another meeting cannot show a step of this meeting",
        "facilitator of another meeting",
        "/console",
        "goto",
        lambda w: {"step_id": w.steps[2]},
    ),
    Reach(
        "the facilitator of another meeting cannot hide this meeting's card",
        "facilitator of another meeting",
        "/console",
        "moderate",
        lambda w: {"action": "hide", "id": w.card_id},
    ),
]


@pytest.mark.parametrize("reach", REACHES, ids=lambda r: r.story)
def test_nobody_reaches_into_this_meeting_from_their_own(app: Flask, connect, reach: Reach) -> None:
    world = make_world(app, "live")
    auth = (
        {"meeting": world.other_code, "token": world.other_participant_token}
        if reach.namespace == "/phone"
        else {"meeting": world.other_code, "key": world.other_facilitator_key}
    )
    if reach.event not in declared_events()[reach.namespace]:
        pytest.skip(f"{reach.event} is not in this version yet")
    client = connect(reach.namespace, auth)
    assert client.is_connected(reach.namespace)
    before = dump(app)
    ack = client.emit(reach.event, reach.payload(world), callback=True, namespace=reach.namespace)
    assert ack["ok"] is False and ack["error"]["message"], ack
    assert ack["error"]["code"] in REFUSALS | {"invalid", "bad_request"}, ack
    assert dump(app) == before


# -- pages ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """A request to one route of the app, and the roles it must work for (the others are refused)."""

    endpoint: str
    method: str
    story: str
    path: Callable[[World, str | None], str]
    allowed: frozenset[str]
    status: str = "live"
    data: dict[str, str] = field(default_factory=dict)
    # how a refusal answers: 403 or 404 for a page, 401 for the API (no publishing key)
    refusals: tuple[int, ...] = (403, 404)


def _key(key: str | None) -> str:
    return f"?key={key}" if key else ""


ROUTES = [
    Route("static", "GET", "the stylesheet", lambda w, k: "/static/kit.css", EVERYONE),
    # answered by Socket.IO's middleware before Flask (a request without Engine.IO's query is refused)
    Route(
        "live_transport", "GET", "the live connection's path", lambda w, k: "/socket.io/", frozenset(), refusals=(400,)
    ),
    Route(
        "live_transport", "POST", "the live connection's path", lambda w, k: "/socket.io/", frozenset(), refusals=(400,)
    ),
    Route("public.home", "GET", "the home page", lambda w, k: "/", EVERYONE),
    Route("public.go", "GET", "the home page's code form", lambda w, k: f"/go?code={w.code}", EVERYONE),
    Route("public.phone", "GET", "the join page", lambda w, k: f"/j/{w.code}", EVERYONE),
    Route("public.phone", "POST", "joining", lambda w, k: f"/j/{w.code}", EVERYONE, data={"name": "Eve"}),
    Route("public.join_qr", "GET", "the join QR code", lambda w, k: f"/j/{w.code}/qr.svg", EVERYONE),
    Route(
        "public.minutes_qr",
        "GET",
        "the QR code of the published minutes",
        lambda w, k: f"/minutes/{w.share_token}/qr.svg",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_qr",
        "GET",
        "the QR code of minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}/qr.svg",
        frozenset(),
        "closed",
    ),
    Route(
        "public.upload", "GET", "a photo that was never uploaded", lambda w, k: f"/uploads/{'A' * 24}.png", frozenset()
    ),
    Route(
        "public.minutes",
        "GET",
        "the published minutes",
        lambda w, k: f"/minutes/{w.share_token}",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes",
        "GET",
        "minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}",
        frozenset(),
        "closed",
    ),
    Route(
        "public.minutes_markdown",
        "GET",
        "the published minutes as Markdown",
        lambda w, k: f"/minutes/{w.share_token}.md",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_markdown",
        "GET",
        "Markdown minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}.md",
        frozenset(),
        "closed",
    ),
    Route(
        "public.minutes_yeswiki",
        "GET",
        "the published minutes for YesWiki",
        lambda w, k: f"/minutes/{w.share_token}.yeswiki.txt",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_yeswiki",
        "GET",
        "YesWiki minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}.yeswiki.txt",
        frozenset(),
        "closed",
    ),
    Route(
        "public.minutes_file",
        "GET",
        "the published minutes as one file",
        lambda w, k: f"/minutes/{w.share_token}.html",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_file",
        "GET",
        "the one-file minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}.html",
        frozenset(),
        "closed",
    ),
    Route(
        "public.minutes_json",
        "GET",
        "the published minutes as JSON",
        lambda w, k: f"/minutes/{w.share_token}.json",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_json",
        "GET",
        "JSON minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}.json",
        frozenset(),
        "closed",
    ),
    Route(
        "public.minutes_calendar",
        "GET",
        "the published minutes' calendar",
        lambda w, k: f"/minutes/{w.share_token}.ics",
        EVERYONE,
        "published",
    ),
    Route(
        "public.minutes_calendar",
        "GET",
        "the calendar of published minutes with nothing dated",
        lambda w, k: f"/minutes/{w.share_token}.ics",
        frozenset(),
        "published, nothing dated",
    ),
    Route(
        "public.minutes_calendar",
        "GET",
        "the calendar of minutes not yet published",
        lambda w, k: f"/minutes/{w.share_token}.ics",
        frozenset(),
        "closed",
    ),
    Route(
        "public.own_entry",
        "GET",
        "a directory entry of someone who never checked in",
        lambda w, k: f"/directory/{w.participant_token}",
        frozenset(),
    ),
    Route(
        "public.own_entry",
        "POST",
        "correcting a directory entry of someone who never checked in",
        lambda w, k: f"/directory/{w.participant_token}",
        frozenset(),
        data={"name": "Intrus", "action": "save"},
    ),
    # a participant's personal page: the link holds their phone's secret (a facilitator key opens nothing)
    Route(
        "public.mine",
        "GET",
        "one's own contributions, at one's personal link",
        lambda w, k: f"/mine/{k or 'no-token-at-all-here'}",
        frozenset({"participant of this meeting", "participant of another meeting"}),
    ),
    Route(
        "public.forget_email",
        "POST",
        "forgetting one's email address, at one's personal link",
        lambda w, k: f"/mine/{k or 'no-token-at-all-here'}/email",
        frozenset({"participant of this meeting", "participant of another meeting"}),
    ),
    Route(
        "public.delete_own",
        "GET",
        "the question before deleting this meeting's card",
        lambda w, k: f"/mine/{k or 'no-token-at-all-here'}/{w.card_id}",
        frozenset({"participant of this meeting"}),
    ),
    Route(
        "public.delete_own",
        "POST",
        "deleting this meeting's card",
        lambda w, k: f"/mine/{k or 'no-token-at-all-here'}/{w.card_id}",
        frozenset({"participant of this meeting"}),
    ),
    Route("public.network_feed", "GET", "a feed that does not exist", lambda w, k: "/feeds/guess.atom", frozenset()),
    Route("public.network_page", "GET", "a network page that does not exist", lambda w, k: "/n/guess", frozenset()),
    Route(
        "public.network_calendar",
        "GET",
        "a network calendar that does not exist",
        lambda w, k: "/feeds/guess.ics",
        frozenset(),
    ),
    # accounts are a server's (ACCOUNTS): on a laptop their pages do not exist (tests/test_accounts.py has their matrix)
    *(
        Route(endpoint, method, f"{endpoint} on a laptop", lambda w, k, path=path: path, frozenset())
        for endpoint, method, path in (
            ("accounts.sign_in", "GET", "/sign-in"),
            ("accounts.sign_in", "POST", "/sign-in"),
            ("accounts.use_link", "GET", "/sign-in/guess-a-token-of-twenty-chars"),
            ("accounts.use_link", "POST", "/sign-in/guess-a-token-of-twenty-chars"),
            ("accounts.sign_out", "POST", "/sign-out"),
            ("accounts.members", "GET", "/networks/1/members"),
            ("accounts.change_members", "POST", "/networks/1/members"),
        )
    ),
    # the link in each email: its secret is the whole right; a made-up one opens nothing
    Route(
        "public.mail_stop",
        "GET",
        "a stop link that does not exist",
        lambda w, k: "/mail/stop/guess-a-token-0",
        frozenset(),
    ),
    Route(
        "public.mail_stop",
        "POST",
        "stopping with a made-up link",
        lambda w, k: "/mail/stop/guess-a-token-0",
        frozenset(),
    ),
    Route("facilitator.admin", "GET", "the admin page", lambda w, k: "/admin", frozenset({"admin"})),
    Route(
        "facilitator.template_preview",
        "GET",
        "a template's screen preview in the gallery",
        lambda w, k: "/admin/templates/rencontre-mensuelle/steps/1/screen",
        frozenset({"admin"}),
    ),
    Route("places.sheet", "GET", "an offer sheet that does not exist", lambda w, k: "/offer/guess", frozenset()),
    Route(
        "places.edit_sheet",
        "GET",
        "editing an offer sheet with a made-up personal link",
        lambda w, k: f"/offer/edit/{w.participant_token}",
        frozenset(),
    ),
    Route(
        "places.edit_sheet",
        "POST",
        "saving an offer sheet with a made-up personal link",
        lambda w, k: f"/offer/edit/{w.participant_token}",
        frozenset(),
        data={"nom": "Intrusion", "commune": "Vitré"},
    ),
    Route(
        "places.import_preview",
        "POST",
        "previewing a places import",
        lambda w, k: f"/networks/{w.network_id}/places/import",
        frozenset({"admin"}),
        data={"file": ""},
    ),
    Route(
        "places.import_confirm",
        "POST",
        "confirming a places import",
        lambda w, k: f"/networks/{w.network_id}/places/import/confirm",
        frozenset({"admin"}),
        data={"upload": "x" * 24},
    ),
    Route(
        "places.export",
        "GET",
        "the network's places as CSV",
        lambda w, k: f"/networks/{w.network_id}/places.csv",
        frozenset({"admin"}),
    ),
    Route(
        "places.open_data_setting",
        "POST",
        "publishing a network's places as open data",
        lambda w, k: f"/networks/{w.network_id}/places/open-data",
        frozenset({"admin"}),
        data={"open_data": "yes"},
    ),
    # a network's open data is public once its coordinators chose it; the test network did not
    Route(
        "places.open_data_page",
        "GET",
        "the open-data page of a network that did not choose it",
        lambda w, k: f"/open-data/{w.network_id}/",
        frozenset(),
    ),
    Route(
        "places.open_data_csv",
        "GET",
        "the open-data CSV of a network that did not choose it",
        lambda w, k: f"/open-data/{w.network_id}/lieux-de-mediation-numerique.csv",
        frozenset(),
    ),
    Route(
        "places.open_data_json",
        "GET",
        "the open-data JSON of a network that did not choose it",
        lambda w, k: f"/open-data/{w.network_id}/lieux-de-mediation-numerique.json",
        frozenset(),
    ),
    Route(
        "places.create",
        "POST",
        "adding a place to a network",
        lambda w, k: f"/networks/{w.network_id}/places",
        frozenset({"admin"}),
        data={"nom": "Intrusion", "commune": "Vitré"},
    ),
    Route(
        "places.add_member",
        "POST",
        "linking a member to a place",
        lambda w, k: f"/networks/{w.network_id}/places/{w.place_id}/members",
        frozenset({"admin"}),
        data={"name": "Intrus"},
    ),
    Route(
        "places.remove_member",
        "POST",
        "unlinking a member from a place",
        lambda w, k: f"/networks/{w.network_id}/places/{w.place_id}/members/{w.place_member_id}/remove",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.create",
        "POST",
        "preparing a meeting",
        lambda w, k: "/admin/meetings",
        frozenset({"admin"}),
        data={"template": "rencontre-mensuelle", "title": "Intrusion"},
    ),
    Route("facilitator.console", "GET", "the console", lambda w, k: f"/m/{w.code}/console{_key(k)}", FACILITATORS),
    Route(
        "facilitator.prepare",
        "GET",
        "the preparation page",
        lambda w, k: f"/m/{w.code}/prepare{_key(k)}",
        FACILITATORS,
        "prepared",
    ),
    Route(
        "facilitator.prepare",
        "POST",
        "adding a step before the meeting",
        lambda w, k: f"/m/{w.code}/prepare{_key(k)}",
        FACILITATORS,
        "prepared",
        data={"action": "add", "activity": "board", "title": "Une étape de plus", "prompt": ""},
    ),
    Route(
        "facilitator.download_template",
        "GET",
        "the meeting as a template file",
        lambda w, k: f"/m/{w.code}/template.toml{_key(k)}",
        FACILITATORS,
    ),
    Route("facilitator.screen", "GET", "the screen", lambda w, k: f"/m/{w.code}/screen{_key(k)}", FACILITATORS),
    Route(
        "facilitator.network", "GET", "a network's page", lambda w, k: f"/networks/{w.network_id}", frozenset({"admin"})
    ),
    Route(
        "facilitator.export_network",
        "GET",
        "a network's export",
        lambda w, k: f"/networks/{w.network_id}/export.json",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.import_network",
        "POST",
        "importing a network",
        lambda w, k: "/admin/networks/import",
        frozenset({"admin"}),
        data={"file": ""},
    ),
    Route(
        "facilitator.newsletter",
        "GET",
        "a network's newsletter draft",
        lambda w, k: f"/networks/{w.network_id}/newsletter.md",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.newsletter_yeswiki",
        "GET",
        "a network's newsletter draft for YesWiki",
        lambda w, k: f"/networks/{w.network_id}/newsletter.yeswiki.txt",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.public_kit_target",
        "POST",
        "setting a network's public kit and key",
        lambda w, k: f"/networks/{w.network_id}/public-kit",
        frozenset({"admin"}),
        data={"publish_url": "https://kit.example.fr", "publish_key": "kitpub_matrix"},
    ),
    Route(
        "facilitator.network_chat",
        "POST",
        "setting a network's chat webhook and its format",
        lambda w, k: f"/networks/{w.network_id}/chat",
        frozenset({"admin"}),
        data={"chat_webhook_url": "https://chat.example.fr/hooks/matrix", "chat_format": "mattermost"},
    ),
    Route(
        "facilitator.create_publishing_key",
        "POST",
        "making a publishing key for a network",
        lambda w, k: f"/networks/{w.network_id}/publishing-keys",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.revoke_publishing_key",
        "POST",
        "revoking a publishing key that does not exist",
        lambda w, k: f"/networks/{w.network_id}/publishing-keys/999/revoke",
        frozenset(),
    ),
    Route(
        "api.receive_meeting",
        "POST",
        "sending a meeting to the publishing API without a key",
        lambda w, k: "/api/v1/meetings",
        frozenset(),
        data={"format": "1"},
        refusals=(401,),
    ),
    Route(
        "facilitator.mailing_list",
        "POST",
        "setting a network's list address",
        lambda w, k: f"/networks/{w.network_id}/mailing-list",
        frozenset({"admin"}),
        data={"mailing_list": "liste@exemple.org"},
    ),
    Route(
        "facilitator.send_newsletter",
        "POST",
        "sending a network's newsletter to its list",
        lambda w, k: f"/networks/{w.network_id}/newsletter/send",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.newsletter_file",
        "GET",
        "a network's newsletter as one file",
        lambda w, k: f"/networks/{w.network_id}/newsletter.html",
        frozenset({"admin"}),
    ),
    Route(
        "facilitator.create_network",
        "POST",
        "creating a network",
        lambda w, k: "/admin/networks",
        frozenset({"admin"}),
        data={"name": "Intrusion"},
    ),
    Route(
        "facilitator.edit_minutes",
        "GET",
        "the minutes editor",
        lambda w, k: f"/m/{w.code}/minutes{_key(k)}",
        FACILITATORS,
    ),
    Route(
        "facilitator.edit_minutes",
        "POST",
        "saving edited minutes",
        lambda w, k: f"/m/{w.code}/minutes{_key(k)}",
        FACILITATORS,
        "closed",
        data={"minutes": "# Compte rendu relu"},
    ),
    Route(
        "facilitator.preview_minutes",
        "POST",
        "previewing minutes",
        lambda w, k: f"/m/{w.code}/minutes/preview{_key(k)}",
        FACILITATORS,
        data={"minutes": "# Aperçu"},
    ),
    Route(
        "facilitator.draft_minutes",
        "GET",
        "the draft minutes, at any moment",
        lambda w, k: f"/m/{w.code}/minutes/draft{_key(k)}",
        FACILITATORS,
    ),
    Route(
        "facilitator.draft_minutes_markdown",
        "GET",
        "the draft minutes as Markdown",
        lambda w, k: f"/m/{w.code}/minutes/draft.md{_key(k)}",
        FACILITATORS,
    ),
    Route(
        "facilitator.draft_minutes_yeswiki",
        "GET",
        "the draft minutes for YesWiki",
        lambda w, k: f"/m/{w.code}/minutes/draft.yeswiki.txt{_key(k)}",
        FACILITATORS,
    ),
    Route("facilitator.export", "GET", "the CSV export", lambda w, k: f"/m/{w.code}/export.csv{_key(k)}", FACILITATORS),
    Route(
        "facilitator.duplicate",
        "POST",
        "preparing the next meeting from this one",
        lambda w, k: f"/m/{w.code}/duplicate{_key(k)}",
        FACILITATORS,
    ),
]


# routes being written elsewhere: skipped while absent
COMING_ROUTES = {
    ("facilitator.prepare", "GET"),
    ("facilitator.prepare", "POST"),
    ("facilitator.download_template", "GET"),
}


def page_client(app: Flask, role: str, world: World) -> tuple[FlaskClient, str | None]:
    """A browser for this role (with its cookie) and the key it would put in a link."""
    client = app.test_client()
    if role == "participant of this meeting":
        with client.session_transaction() as session:
            session["participants"] = {world.code: world.participant_token}
        return client, world.participant_token
    if role == "participant of another meeting":
        with client.session_transaction() as session:
            session["participants"] = {world.other_code: world.other_participant_token}
        return client, world.other_participant_token
    if role == "facilitator of another meeting":
        return client, world.other_facilitator_key
    if role == "facilitator":
        return client, world.facilitator_key
    if role == "admin":
        client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
        return client, admin_page_key(client, world)
    return client, None


def admin_page_key(client: FlaskClient, world: World) -> str:
    """The key of this meeting's console link, as the admin page shows it."""
    page = client.get("/admin").get_data(as_text=True)
    [key] = set(re.findall(rf"/m/{world.code}/console\?key=([\w-]+)", page))
    return key


def test_the_table_names_every_route_of_the_app(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    listed = {(route.endpoint, route.method) for route in ROUTES} - (COMING_ROUTES - served)
    assert not served - listed, f"routes nobody told the matrix about (add them to ROUTES): {sorted(served - listed)}"
    assert not listed - served, f"ROUTES names routes that no longer exist: {sorted(listed - served)}"


PAGE_CELLS = [(role, route) for route in ROUTES for role in ROLES]


@pytest.mark.parametrize(
    ("role", "route"),
    PAGE_CELLS,
    ids=[f"{role} {'may' if role in route.allowed else 'may not'} open {route.story}" for role, route in PAGE_CELLS],
)
def test_page(app: Flask, role: str, route: Route) -> None:
    if route.endpoint not in app.view_functions:
        pytest.skip(f"{route.endpoint} is not in this version yet")
    world = make_world(app, route.status)
    client, key = page_client(app, role, world)
    before = dump(app)
    path = route.path(world, key)
    response = client.open(path, method=route.method, data=route.data, headers=SAME_ORIGIN)
    body = response.get_data(as_text=True)
    if role in route.allowed:
        assert response.status_code < 400, f"{role} should open {route.story}: {response.status_code}"
        assert not leaked(role, world, body, path), (
            f"{role} opened {route.story}: saw {leaked(role, world, body, path)}"
        )
        return
    assert response.status_code in route.refusals, f"{role} should not open {route.story}: {response.status_code}"
    assert body.strip(), "a refusal says why"
    assert not leaked(role, world, body, path)
    assert dump(app) == before, f"{role} was refused {route.story}, but the database changed"


def test_the_admin_cookie_alone_opens_a_console_but_not_a_screen(app: Flask) -> None:
    world = make_world(app, "live")
    admin = app.test_client()
    admin.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    assert admin.get(f"/m/{world.code}/console").status_code == 200
    # the screen page needs a key to hand to its live connection; the admin page links it with one
    assert admin.get(f"/m/{world.code}/screen").status_code == 403


def test_a_join_or_a_new_meeting_posted_from_another_site_is_refused(app: Flask) -> None:
    world = make_world(app, "live")
    admin = app.test_client()
    admin.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    before = dump(app)
    foreign = {"Origin": "http://evil.example"}
    assert app.test_client().post(f"/j/{world.code}", data={"name": "Eve"}, headers=foreign).status_code == 403
    created = admin.post("/admin/meetings", data={"template": "rencontre-mensuelle"}, headers=foreign)
    assert created.status_code == 403
    assert dump(app) == before


def matrix_size() -> dict[str, int]:
    return {"live cells": len(CELLS), "reach cells": len(REACHES), "page cells": len(PAGE_CELLS)}

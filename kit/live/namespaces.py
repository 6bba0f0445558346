"""The three namespaces. Handlers stay thin: check who is asking, call kit.meeting.lifecycle, broadcast.

Every event a client sends gets an ack: ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}`` with the message in the viewer's language.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from flask import current_app, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_socketio import Namespace, emit, join_room
from socketio import exceptions as socketio_errors
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from kit.core import queries
from kit.core.access import same_secret
from kit.core.db import get_session
from kit.core.errors import Forbidden, InvalidInput, KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.live_packets import TOO_DEEP
from kit.core.models import Contribution, Meeting, Participant, Status, Step
from kit.core.validation import client_id, require_mapping
from kit.live import broadcast
from kit.live.ratelimit import FairShare
from kit.live.state import MEETING_GONE, item_menu, own_item, participant_room, phone_snapshot, room, state
from kit.meeting import decisions, lifecycle, moderation, pacing, preparation, privacy, results, votes
from kit.meeting import room as room_control
from kit.meeting.lifecycle import MeetingHead
from kit.publishing import mailing, public_kit

log = logging.getLogger(__name__)

# statements built once (see kit.meeting.lifecycle): the viewer's meeting, asked by most events, and who
# sends, in which meeting, to which step, asked by every contribution
_MEETING = select(Meeting).where(Meeting.id == bindparam("meeting"))
# a contribution's sender, their meeting and step, and whether they already sent this client id:
# the resend check rides on the same statement, one round trip fewer for every contribution
# (almost always "no")
_CONTRIBUTOR = (
    select(Participant, Meeting, Step)
    .join(Meeting, Meeting.id == Participant.meeting_id)
    .outerjoin(Step, and_(Step.id == bindparam("step"), Step.meeting_id == Meeting.id))
    .where(Participant.id == bindparam("participant"), Meeting.id == bindparam("meeting"))
    .add_columns(
        select(Contribution.id)
        .where(Contribution.participant_id == Participant.id, Contribution.client_id == bindparam("client_id"))
        .scalar_subquery()
    )
)


# what a removed phone reads, on the spot (`removed`) and at every later connection (refused with
# `removed`): plain, and what to do about it
REMOVED = _l("The facilitator removed you from this meeting. If you think it is a mistake, speak to them.")
UNKNOWN_IDENTITY = _l("This phone is no longer known in this meeting. Join again: it only takes your name.")


def refused(refusal: ConnectionRefusedError) -> socketio_errors.ConnectionRefusedError:
    """A refused connection, as the client's `connect_error` reads it: `err.data` is the error
    object `{"code", "message"}` (docs/protocol.md, "Refusals").

    Raise Python's own `ConnectionRefusedError({"code": …, "message": …})` anywhere a connection
    is handled: python-socketio only knows its own exception, and answered the built-in one with a
    bare "Connection refused by server"; and its own, given one dict, sends it as a string."""
    error = refusal.args[0] if refusal.args and isinstance(refusal.args[0], dict) else {}
    error = {"code": str(error.get("code") or "refused"), "message": str(error.get("message") or "")}
    return socketio_errors.ConnectionRefusedError(error["message"], error)


def current_sid() -> str:
    """The Socket.IO session id Flask-SocketIO sets on the request of each event."""
    return str(request.sid)  # type: ignore[attr-defined]


@dataclass(slots=True)
class Viewer:
    meeting_id: int
    lang: str
    participant_id: int | None = None


# who connects to which meeting (its entity, or a phone's head), and, for a phone coming back,
# its participant
Admission = tuple[Meeting | MeetingHead, Viewer, Participant | None]


def answers(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn a handler's refusals into error acks; nothing half-done stays in the session."""

    @functools.wraps(handler)
    def wrapper(self: LiveNamespace, *args: Any) -> dict[str, Any]:
        try:
            return handler(self, *args)
        except KitError as error:
            get_session().rollback()
            return error.as_ack()
        except Exception:
            get_session().rollback()
            log.exception("live event %s failed", handler.__name__)
            return {
                "ok": False,
                "error": {"code": "internal", "message": _("Something went wrong on the server. Please try again.")},
            }

    return wrapper


class LiveNamespace(Namespace):
    """What every view shares: connecting to a meeting, getting its snapshot, asking for it again."""

    view: ClassVar[str]

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.viewers: dict[str, Viewer] = {}

    def trigger_event(self, event: str, *args: Any) -> Any:
        try:
            if event in ("connect", "disconnect"):
                return super().trigger_event(event, *args)
            # an event this view may not send still gets an answer, never silence
            if not hasattr(self, f"on_{event}") and event != TOO_DEEP:
                event = "unknown_event"
            return self.fair_turn(event, args)
        except ConnectionRefusedError as refusal:
            raise refused(refusal) from None

    def kind_of(self, event: str) -> str:
        """The budget an event takes from (settings LIVE_BUDGETS; "other" when not named there)."""
        return event

    def fair_turn(self, event: str, args: tuple[Any, ...]) -> Any:
        """Every event, whatever it is: within its budgets, then one at a time per connection
        (kit.live.ratelimit). A refusal costs no handler, no database, no broadcast."""
        sid = args[0]
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace)  # type: ignore[union-attr]
        fair: FairShare | None = environ["flask.app"].extensions.get("kit.fair_share") if environ else None
        viewer = self.viewers.get(sid)
        if fair is None or viewer is None:  # not connected (any more): the handler says so
            return super().trigger_event("unknown_event" if event == TOO_DEEP else event, *args)
        joined = self.view != "phone" or viewer.participant_id is not None
        if self.view == "phone" and fair.saturated():
            # the server is behind: phones are asked to wait (their outbox sends again), so the
            # screen and the console stay connected and up to date instead of timing out
            return fair.refusal(environ["flask.app"], viewer.lang)
        if not (fair.allow(sid, viewer.participant_id, self.kind_of(event), joined) and fair.turns.enter(sid)):
            if fair.refused(sid):
                self.close_flooding(sid)
            return fair.refusal(environ["flask.app"], viewer.lang)
        if event == TOO_DEEP:  # nested too deep to be read: never decoded, never handled
            fair.turns.leave(sid)
            return fair.refusal(environ["flask.app"], viewer.lang, "invalid_input")
        try:
            return super().trigger_event(event, *args)
        finally:
            fair.turns.leave(sid)

    def close_flooding(self, sid: str) -> None:
        """A client refused again and again without waiting: its namespace, then its whole
        connection, are closed, so what it still sends is not even read (TCP slows it down)."""
        server = self.socketio.server  # type: ignore[union-attr]
        eio_sid = server.manager.eio_sid_from_sid(sid, self.namespace)
        server.disconnect(sid, namespace=self.namespace, ignore_queue=True)
        if eio_sid is not None:
            server.eio.disconnect(eio_sid)

    # -- connecting ------------------------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> None:
        if current_sid() in self.viewers:
            raise ConnectionRefusedError({"code": "already_connected", "message": _("Already connected.")})
        db = get_session()
        try:
            auth = require_mapping(auth)
            code = auth.get("meeting")
            if not isinstance(code, str):
                raise InvalidInput(_l("The message was not understood. Please reload the page."), code="bad_request")
            meeting, viewer, participant = self.admit(db, code, auth)
        except KitError as error:
            raise ConnectionRefusedError(error.as_ack()["error"]) from None
        self.viewers[current_sid()] = viewer
        if viewer.participant_id is not None:
            self.arrived(meeting.id, viewer.participant_id)
            join_room(participant_room(meeting, viewer.participant_id))
        join_room(room(meeting))
        join_room(room(meeting, viewer.lang))
        emit("snapshot", self.snapshot(meeting, viewer, participant))

    def on_disconnect(self, reason: Any = None) -> None:
        viewer = self.viewers.pop(current_sid(), None)
        current_app.extensions["kit.fair_share"].forget(current_sid())
        if viewer is not None and viewer.participant_id is not None:
            current_app.extensions["kit.presence"].leave(viewer.meeting_id, viewer.participant_id)
            current_app.extensions["kit.counts"].mark(viewer.meeting_id, people=True)

    def admit(self, db: Session, code: str, auth: Mapping[str, Any]) -> Admission:
        """The meeting with this code and who connects to it, or KitError to refuse."""
        meeting = lifecycle.get_meeting(db, code)
        return meeting, self.authenticate(meeting, auth), None

    def authenticate(self, meeting: Meeting, auth: Mapping[str, Any]) -> Viewer:
        """Check the credentials in `auth` for this view; raise KitError to refuse."""
        raise NotImplementedError

    def snapshot(
        self, meeting: Meeting | MeetingHead, viewer: Viewer, participant: Participant | None = None
    ) -> dict[str, Any]:
        """What this view shows now; `participant` is the viewer's, when the caller holds it."""
        return state(get_session(), meeting, self.view, viewer.lang)

    def viewer(self) -> Viewer:
        viewer = self.viewers.get(current_sid())
        if viewer is None:
            raise KitError("not_connected", _l("The connection was lost. Please reload the page."))
        return viewer

    def meeting(self) -> Meeting:
        meeting = get_session().scalar(_MEETING, {"meeting": self.viewer().meeting_id})
        if meeting is None:
            raise KitError("not_found", MEETING_GONE)
        return meeting

    @staticmethod
    def arrived(meeting_id: int, participant_id: int) -> None:
        """A participant's phone is connected: count it and tell the console soon."""
        current_app.extensions["kit.presence"].arrive(meeting_id, participant_id)
        current_app.extensions["kit.counts"].mark(meeting_id, people=True)

    @staticmethod
    def _lang() -> str:
        return str(get_locale() or "fr")

    # -- events ----------------------------------------------------------------------------------
    @answers
    def on_sync(self, *_args: Any) -> dict[str, Any]:
        """Send the whole current state again (a view that doubts it is up to date)."""
        return {"ok": True, "snapshot": self.snapshot(self.meeting(), self.viewer())}

    @answers
    def on_unknown_event(self, *_args: Any) -> dict[str, Any]:
        raise Forbidden(_l("This action is not allowed from this page."))


class ScreenNamespace(LiveNamespace):
    """The projected screen: shows, never changes anything."""

    view = "screen"

    def authenticate(self, meeting: Meeting, auth: Any) -> Viewer:
        key = auth.get("key")
        if not (same_secret(key, meeting.screen_key) or same_secret(key, meeting.facilitator_key)):
            raise Forbidden(_l("This screen link is not valid. Open the screen from the console."))
        return Viewer(meeting.id, self._lang())

    @answers
    def on_page_shown(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """The page this screen shows now (it computes its own pages): told to the consoles."""
        meeting = self.meeting()
        report = pacing.page_report(meeting, require_mapping(payload))
        broadcast.screen_paged(meeting, report)
        return {"ok": True}


class ConsoleNamespace(LiveNamespace):
    """The facilitator's console: drives the meeting."""

    view = "console"

    def authenticate(self, meeting: Meeting, auth: Any) -> Viewer:
        if not same_secret(auth.get("key"), meeting.facilitator_key):
            raise Forbidden(_l("This console link is not valid."))
        return Viewer(meeting.id, self._lang())

    def kind_of(self, event: str) -> str:
        return "console"

    def _drive(self, change: Callable[[Session, Meeting], object]) -> dict[str, Any]:
        """Apply a lifecycle change (it commits), then tell every view."""
        meeting = self.meeting()
        change(get_session(), meeting)
        return self._changed(meeting)

    def _changed(self, meeting: Meeting) -> dict[str, Any]:
        broadcast.meeting_changed(get_session(), meeting)
        return {
            "ok": True,
            "version": meeting.version,
            "status": meeting.status,
            "current_step_id": meeting.current_step_id,
        }

    def _at_current_step(self, payload: Any) -> None:
        """A command about the step on screen may say which one the console saw (`at`); refuse
        it with `stale_step` when the meeting has moved on since (another console, a lost state)."""
        at = payload.get("at") if isinstance(payload, dict) else None
        if at is None:
            return
        at = require_mapping(at)
        lifecycle.check_step(self.meeting(), at.get("step_id"), at.get("step_version"))

    @answers
    def on_start(self, *_args: Any) -> dict[str, Any]:
        return self._drive(lifecycle.start)

    @answers
    def on_next(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        self._at_current_step(payload)
        return self._drive(lambda db, meeting: lifecycle.move(db, meeting, +1))

    @answers
    def on_previous(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        self._at_current_step(payload)
        return self._drive(lambda db, meeting: lifecycle.move(db, meeting, -1))

    @answers
    def on_goto(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        step_id = require_mapping(payload).get("step_id")
        return self._drive(lambda db, meeting: lifecycle.go_to_step(db, meeting, step_id))

    @answers
    def on_close(self, *_args: Any) -> dict[str, Any]:
        return self._drive(lifecycle.close)

    @answers
    def on_publish(self, *_args: Any) -> dict[str, Any]:
        answer = self._drive(lifecycle.publish)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        public_kit.announce_when_published(app, self.meeting(), broadcast.public_kit_changed)
        return answer

    @answers
    def on_publish_public(self, *_args: Any) -> dict[str, Any]:
        """Send the published minutes to the network's public kit now (see kit.publishing.public_kit)."""
        meeting = self.meeting()
        if meeting.state is not Status.PUBLISHED:
            raise KitError("not_published", _l("Publish the minutes before sending them to the public kit."))
        if not public_kit.is_set_up(meeting.network):
            raise KitError(
                "public_kit_not_set_up",
                _l("This meeting's network has no public kit: enter its address and key on the network's page."),
            )
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        started = public_kit.start(app, meeting, broadcast.public_kit_changed)
        broadcast.console_changed(get_session(), meeting)
        return {"ok": True, "started": started}

    @answers
    def on_send_minutes(self, *_args: Any) -> dict[str, Any]:
        """Send the published minutes by email to whoever has not had them yet (see kit.publishing.mailing)."""
        meeting = self.meeting()
        queued = mailing.queue_minutes(get_session(), meeting)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        mailing.start_sending(app, meeting, broadcast.mailing_changed)
        broadcast.console_changed(get_session(), meeting)
        return {"ok": True, "queued": queued}

    @answers
    def on_act(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """An action of the current step's activity (see Activity.facilitator_actions)."""
        payload = require_mapping(payload)
        self._at_current_step(payload)
        meeting = self.meeting()
        action = payload.get("action")
        changed = lifecycle.act(get_session(), meeting, action, payload)
        answer = self._changed(meeting)
        broadcast.tell_authors(meeting, str(action), changed)
        return answer

    @answers
    def on_show_results(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """A poll's results on the screen and the phones (`{"step_id"}`; see kit.meeting.results)."""
        step_id = require_mapping(payload).get("step_id")
        return self._drive(lambda db, meeting: results.set_results_shown(db, meeting, step_id, True))

    @answers
    def on_hide_results(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """A poll's results off the screen and the phones: the screen shows how many answered."""
        step_id = require_mapping(payload).get("step_id")
        return self._drive(lambda db, meeting: results.set_results_shown(db, meeting, step_id, False))

    @answers
    def on_control(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Room control: joining, sending, sending without a name, what the screen shows, removing
        someone, or everyone who joined in the last `minutes` minutes."""
        payload = require_mapping(payload)
        action = payload.get("action")
        changes: dict[str, Callable[[Session, Meeting], object]] = {
            "lock_joining": lambda db, meeting: room_control.set_joining_locked(db, meeting, True),
            "unlock_joining": lambda db, meeting: room_control.set_joining_locked(db, meeting, False),
            "pause_posting": lambda db, meeting: room_control.set_posting_paused(db, meeting, True),
            "resume_posting": lambda db, meeting: room_control.set_posting_paused(db, meeting, False),
            "hide_presence": lambda db, meeting: room_control.set_presence_hidden(db, meeting, True),
            "show_presence": lambda db, meeting: room_control.set_presence_hidden(db, meeting, False),
            "allow_anonymous": lambda db, meeting: room_control.set_anonymous_allowed(db, meeting, True),
            "require_names": lambda db, meeting: room_control.set_anonymous_allowed(db, meeting, False),
            "screen_picked_only": lambda db, meeting: room_control.set_screen_picked_only(db, meeting, True),
            "screen_everything": lambda db, meeting: room_control.set_screen_picked_only(db, meeting, False),
            "remove": lambda db, meeting: self._remove(db, meeting, payload.get("participant_id")),
            "remove_recent": lambda db, meeting: self._remove_recent(db, meeting, payload.get("minutes")),
        }
        if not isinstance(action, str) or action not in changes:
            raise KitError("unknown_action", _l("This action does not exist for this step."))
        return self._drive(changes[action])

    def _remove(self, db: Session, meeting: Meeting, participant_id: object) -> None:
        person = room_control.remove_participant(db, meeting, participant_id)
        # out of the counts at once, even before their phones hear of it
        current_app.extensions["kit.presence"].forget(meeting.id, person.id)
        current_app.extensions["kit.counts"].mark(meeting.id)
        phones = self.socketio.server.namespace_handlers.get("/phone")  # type: ignore[union-attr]
        if isinstance(phones, PhoneNamespace):
            # told in the participant's language, not the facilitator's
            with force_locale(person.language):
                phones.send_away(person.id, str(REMOVED))

    def _remove_recent(self, db: Session, meeting: Meeting, minutes: object) -> None:
        """Everyone who joined in the last `minutes` minutes, told as `_remove` tells one person."""
        phones = self.socketio.server.namespace_handlers.get("/phone")  # type: ignore[union-attr]
        for person in moderation.remove_recent_joiners(db, meeting, minutes):
            if isinstance(phones, PhoneNamespace):
                with force_locale(person.language):
                    phones.send_away(person.id, _("The facilitator removed you from this meeting."))

    # -- the room's pace (kit.meeting.pacing) -----------------------------------------------------
    @answers
    def on_timer(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """The step's timer: start (or resume), pause, add a minute, reset."""
        payload = require_mapping(payload)
        self._at_current_step(payload)
        return self._drive(
            lambda db, meeting: pacing.set_timer(db, meeting, payload.get("action"), payload.get("minutes"))
        )

    @answers
    def on_intro(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """The step's introduction on the screen: auto (folded once contributions arrive), open, folded."""
        payload = require_mapping(payload)
        self._at_current_step(payload)
        return self._drive(lambda db, meeting: pacing.set_intro(db, meeting, payload.get("mode")))

    @answers
    def on_page(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Turn the screen's page, pause or resume its paging, blank it: told to the screens, not stored."""
        payload = require_mapping(payload)
        meeting = self.meeting()
        command = pacing.page_command(meeting, payload.get("action"))
        broadcast.page_command(meeting, command)
        return {"ok": True, **command}

    @answers
    def on_add_step(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """A new step at the end of the meeting, even while it runs."""
        payload = require_mapping(payload)
        return self._drive(
            lambda db, meeting: preparation.add_step(
                db, meeting, payload.get("activity"), payload.get("title"), payload.get("prompt")
            )
        )

    @answers
    def on_moderate(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Hide, show again, edit or merge a contribution of this meeting; pick it for the screen, or not."""
        payload = require_mapping(payload)
        action = payload.get("action")
        target = payload.get("id")
        changes: dict[str, Callable[[Session, Meeting], object]] = {
            "hide": lambda db, meeting: moderation.hide(db, meeting, target),
            "show": lambda db, meeting: moderation.show(db, meeting, target),
            "edit": lambda db, meeting: moderation.edit(db, meeting, target, payload.get("text")),
            "merge": lambda db, meeting: moderation.merge(db, meeting, target, payload.get("into")),
            "pick": lambda db, meeting: room_control.set_picked(db, meeting, target, True),
            "unpick": lambda db, meeting: room_control.set_picked(db, meeting, target, False),
        }
        if not isinstance(action, str) or action not in changes:
            raise KitError("unknown_action", _l("This action does not exist for this step."))
        return self._drive(changes[action])

    @answers
    def on_item_menu(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """What is under "More" on a contribution's card, drawn when the facilitator opens it."""
        payload = require_mapping(payload)
        meeting = self.meeting()
        contribution = queries.get_contribution(get_session(), meeting, payload.get("id"))
        html = item_menu(meeting, contribution, self.viewer().lang)
        return {"ok": True, "id": contribution.id, "html": html}

    @answers
    def on_mark_decision(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Mark a contribution as a decision of the meeting (`"decision": true`) or not; the
        minutes list the decisions at the top. Only the console shows the mark."""
        payload = require_mapping(payload)
        meeting = self.meeting()
        marked = decisions.set_decision(get_session(), meeting, payload.get("id"), payload.get("decision"))
        broadcast.console_changed(get_session(), meeting)
        return {"ok": True, "id": marked.id, "decision": marked.decision}

    @answers
    def on_save_summary(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """A step's two-line summary ("En bref"), at the top of the minutes; empty text takes it away."""
        payload = require_mapping(payload)
        meeting = self.meeting()
        step = decisions.set_summary(get_session(), meeting, payload.get("step_id"), payload.get("text"))
        broadcast.console_changed(get_session(), meeting)
        return {"ok": True, "step_id": step.id, "summary": step.summary}


class PhoneNamespace(LiveNamespace):
    """A participant's phone: joins, sends contributions, follows the steps."""

    view = "phone"

    def admit(self, db: Session, code: str, auth: Mapping[str, Any]) -> Admission:
        """A phone connects to a meeting's head: a join storm, or a room's Wi-Fi coming back,
        connects every phone at once (lifecycle.MeetingHead). A phone coming back with its token
        is given its participant, which its snapshot reads (the session keeps no entity nobody
        holds: reading it again by its id was one more query for every phone coming back)."""
        head = lifecycle.get_head(db, code)
        token = auth.get("token")
        if token is None:
            # not joined yet: may only send `join`
            return head, Viewer(head.id, self._lang()), None
        participant = lifecycle.get_participant(db, head, token)
        if participant is None:
            # a restore or `kit forget` since: the phone goes back to the join form (docs/protocol.md, Refusals)
            raise KitError("unknown_identity", UNKNOWN_IDENTITY)
        if participant.removed_at is not None:
            raise KitError("removed", REMOVED)
        return head, Viewer(head.id, self._lang(), participant.id), participant

    def snapshot(
        self, meeting: Meeting | MeetingHead, viewer: Viewer, participant: Participant | None = None
    ) -> dict[str, Any]:
        db = get_session()
        if participant is None and viewer.participant_id is not None:
            participant = db.get(Participant, viewer.participant_id)
        return phone_snapshot(db, meeting, participant, viewer.lang)

    def send_away(self, participant_id: int, message: str) -> None:
        """Tell a removed participant's phones plainly, then close their connections (this process)."""
        for sid, viewer in list(self.viewers.items()):
            if viewer.participant_id == participant_id:
                self.socketio.emit("removed", {"message": message}, namespace=self.namespace, to=sid)  # type: ignore[union-attr]
                self.socketio.server.disconnect(sid, namespace=self.namespace)  # type: ignore[union-attr]

    def participant(self) -> Participant:
        viewer = self.viewer()
        participant = get_session().get(Participant, viewer.participant_id) if viewer.participant_id else None
        if participant is None:
            raise KitError("not_joined", _l("Please give your name first."))
        return participant

    def contributor(self, step_id: object, cid: str) -> tuple[Participant, Meeting, Step | None, bool]:
        """The participant sending, their meeting, the step they send to (None if it is not one of
        this meeting's) and whether they already sent `cid`: one query, asked by every contribution."""
        viewer = self.viewer()
        row = None
        if viewer.participant_id is not None:
            params = {
                "step": step_id if queries.is_row_id(step_id) else None,
                "client_id": cid,
                "participant": viewer.participant_id,
                "meeting": viewer.meeting_id,
            }
            row = get_session().execute(_CONTRIBUTOR, params).first()
        if row is None:
            self.not_joined()
        return row[0], row[1], row[2], row[3] is not None

    def not_joined(self) -> NoReturn:
        """Refuse what only a participant may send: a meeting gone is said so first."""
        self.meeting()
        raise KitError("not_joined", _l("Please give your name first."))

    @answers
    def on_join(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Join with a name (and optionally structure and territory); the ack carries the secret token."""
        payload = require_mapping(payload)
        viewer = self.viewer()
        if viewer.participant_id is not None:
            raise KitError("already_joined", _l("You have already joined this meeting."))
        meeting = lifecycle.head_of(get_session(), viewer.meeting_id)
        if meeting is None:
            raise KitError("not_found", MEETING_GONE)
        config = current_app.config
        participant = lifecycle.join(
            get_session(),
            meeting,
            payload.get("name"),
            payload.get("structure"),
            payload.get("territory"),
            viewer.lang,
            max_name=config["MAX_NAME_LENGTH"],
            max_field=config["MAX_FIELD_LENGTH"],
        )
        viewer.participant_id = participant.id
        join_room(participant_room(meeting, participant.id))
        # this snapshot counts the new participant
        current_app.extensions["kit.phone_states"].count_join(meeting.id)
        self.arrived(meeting.id, participant.id)
        snapshot = phone_snapshot(get_session(), meeting, participant, viewer.lang, new=True)
        return {"ok": True, "token": participant.token, "snapshot": snapshot}

    @answers
    def on_contribute(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """A contribution: stored once per client id, acknowledged, then shown on the screen."""
        payload = require_mapping(payload)
        cid = client_id(payload.get("client_id"))
        participant, meeting, step, sent = self.contributor(payload.get("step_id"), cid)
        db = get_session()

        def slow_down_if_needed() -> None:
            # per participant, never per address: a whole room shares one Wi-Fi
            if not current_app.extensions["kit.rate_limiter"].allow(participant.id):
                raise KitError("rate_limited", _l("You are sending a lot very quickly. Please wait a few seconds."))

        outcome = lifecycle.contribute(
            db,
            meeting,
            participant,
            payload.get("step_id"),
            cid,
            payload.get("data"),
            step_version=payload.get("step_version"),
            before_new=slow_down_if_needed,
            step=step,
            unsent=not sent,
        )
        if outcome.changed:
            broadcast.contribution_stored(db, meeting, outcome.contribution, new=outcome.created)
        return {"ok": True, **own_item(outcome.contribution)}

    @answers
    def on_withdraw(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Delete one of one's own contributions (during or after the meeting); safe to resend."""
        payload = require_mapping(payload)
        participant = self.participant()
        contribution, changed = privacy.withdraw(get_session(), participant, payload.get("contribution_id"))
        if changed:
            meeting = self.meeting()
            broadcast.meeting_changed(get_session(), meeting)
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            public_kit.send_network_if_needed(app, meeting, broadcast.public_kit_changed)
        return {"ok": True, **own_item(contribution), "changed": changed}

    @answers
    def on_vote(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Support a contribution (`"vote": true`) or take the support back (`false`); safe to resend."""
        payload = require_mapping(payload)
        viewer = self.viewer()
        target = payload.get("contribution_id")
        db = get_session()
        ballot = None
        if viewer.participant_id is not None:
            ballot = votes.read_ballot(db, viewer.meeting_id, viewer.participant_id, target)
        if ballot is None:
            self.not_joined()
        step = {"step_id": payload.get("step_id"), "step_version": payload.get("step_version")}
        changed = votes.cast_vote(db, ballot, payload.get("vote"), **step) is not None
        if changed:
            broadcast.counts_changed(viewer.meeting_id)
        return {"ok": True, "contribution_id": target, "vote": payload.get("vote"), "changed": changed}

    @answers
    def on_give_name(self, payload: Any = None, *_args: Any) -> dict[str, Any]:
        """Someone who joined without a name gives one (the facilitator now requires names)."""
        payload = require_mapping(payload)
        participant = self.participant()
        meeting = self.meeting()
        room_control.give_name(
            get_session(), meeting, participant, payload.get("name"), current_app.config["MAX_NAME_LENGTH"]
        )
        broadcast.console_changed(get_session(), meeting)
        me = {"name": participant.display_name, "structure": participant.structure, "territory": participant.territory}
        return {"ok": True, "me": me}

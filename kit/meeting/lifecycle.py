"""A meeting's life: prepared → live → closed → published, and what people send into it.

Plain functions on a database session, callable from tests, the CLI, pages and the live layer
alike. Each one checks what it is asked, changes what it must, commits, and returns what
changed; none of them broadcasts anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kit.activities import activity_class, activity_for
from kit.core.db import insert_row
from kit.core.errors import InvalidInput, KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Participant, Status, Step, utcnow
from kit.core.queries import is_row_id
from kit.core.validation import clean_name, clean_text
from kit.meeting.templates import MeetingTemplate
from kit.network.networks import carry_news, carry_over, carry_roadmap
from kit.publishing.minutes import build_markdown

# Statements that run on every join, contribution or snapshot are built once, with bound
# parameters: on SQLite, building a statement and its cache key costs more than running it
# (profiled with benchmarks/handlers.py). Run them with `db.execute(STATEMENT, {...})`.
_MEETING_TABLE = cast(Table, Meeting.__table__)
_CONTRIBUTION_TABLE = cast(Table, Contribution.__table__)
_BY_CODE = select(Meeting).where(Meeting.code == bindparam("code"))
_BY_TOKEN = select(Participant).where(Participant.token == bindparam("token"))
# a phone coming back lists its own, each with its step's activity: one statement, not one per step
_OWN = (
    select(Contribution)
    .where(Contribution.participant_id == bindparam("participant"))
    .order_by(Contribution.id)
    .options(joinedload(Contribution.step))
)
_SENT = select(Contribution).where(
    Contribution.participant_id == bindparam("participant"), Contribution.client_id == bindparam("client_id")
)
# the same question without loading the row: asked of every contribution, and almost always "no"
_SENT_ID = select(_CONTRIBUTION_TABLE.c.id).where(
    _CONTRIBUTION_TABLE.c.participant_id == bindparam("participant"),
    _CONTRIBUTION_TABLE.c.client_id == bindparam("client_id"),
)
_BUMP_VERSION = (
    update(_MEETING_TABLE)
    .where(_MEETING_TABLE.c.id == bindparam("meeting"))
    .values(version=_MEETING_TABLE.c.version + 1)
    .returning(_MEETING_TABLE.c.version)
)
# the facilitator's removals are not counted among who joined
_COUNT_PEOPLE = select(func.count(Participant.id)).where(Participant.removed_at.is_(None))
# a step's count leaves out what the facilitator hid or merged into another
_COUNT_SHOWN = select(func.count(Contribution.id)).where(
    Contribution.hidden_at.is_(None), Contribution.merged_into_id.is_(None)
)
_JOINED = _COUNT_PEOPLE.where(Participant.meeting_id == bindparam("meeting"))
_IN_STEP = _COUNT_SHOWN.where(Contribution.step_id == bindparam("step"))

# a meeting's head (MeetingHead): the columns a phone's connection and join read
_HEAD_COLUMNS = (
    Meeting.id,
    Meeting.code,
    Meeting.version,
    Meeting.status,
    Meeting.current_step_id,
    Meeting.step_version,
    Meeting.joining_locked,
    Meeting.anonymous_allowed,
    Meeting.posting_paused,
)
_HEAD_BY_CODE = select(*_HEAD_COLUMNS).where(Meeting.code == bindparam("code"))
_HEAD_BY_ID = select(*_HEAD_COLUMNS).where(Meeting.id == bindparam("meeting"))
# what the counts sent every tick read (Tally): the head, the current step's activity, both counts
_TALLY = (
    select(
        *_HEAD_COLUMNS,
        Step.activity,
        _COUNT_PEOPLE.where(Participant.meeting_id == Meeting.id).scalar_subquery().label("participants"),
        _COUNT_SHOWN.where(Contribution.step_id == Meeting.current_step_id).scalar_subquery().label("contributions"),
    )
    .outerjoin(Step, Step.id == Meeting.current_step_id)
    .where(Meeting.id == bindparam("meeting"))
)

NO_SUCH_CODE = _l("No meeting has this code. Check the code shown on the screen.")

# no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G: a code read off a projector must not be misread
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6


def new_code(db: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.scalar(select(Meeting.id).where(Meeting.code == code)) is None:
            return code


def normalise_code(typed: str) -> str:
    """What someone typed as a code, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def bump_version(db: Session, meeting: Meeting) -> int:
    """Count one more change to the meeting (in the caller's transaction) and return the new version."""
    version = next_version(db, meeting.id)
    set_committed_value(meeting, "version", version)
    return version


def next_version(db: Session, meeting_id: int) -> int:
    """`bump_version` for a caller that holds no entity of the meeting (a vote)."""
    # one UPDATE … RETURNING: atomic across processes, and on PostgreSQL it orders writers. On the
    # table, not the ORM entity: the ORM's bulk-update path costs several times the statement on
    # every contribution (profiled), and nothing here needs it
    return int(db.execute(_BUMP_VERSION, {"meeting": meeting_id}).scalar_one())


def save_change(db: Session, meeting: Meeting) -> None:
    """Commit a change to the meeting, counted in its version so views can order what they hear."""
    bump_version(db, meeting)
    db.commit()


# -- preparing -------------------------------------------------------------------------------
def create_meeting(
    db: Session,
    template: MeetingTemplate,
    *,
    title: str | None = None,
    meeting_date: date | None = None,
    place: str = "",
    host: str = "",
    network_id: int | None = None,
) -> Meeting:
    """A prepared meeting with the template's steps, its secrets and its join code."""
    meeting = Meeting(
        code=new_code(db),
        title=clean_text(title, "title", 200, required=False, multiline=False) or template.title,
        meeting_date=meeting_date,
        place=clean_text(place, "place", 200, required=False, multiline=False),
        host=clean_text(host, "host", 200, required=False, multiline=False),
        network_id=network_id,
        language=template.language,
        template_name=template.name,
        status=Status.PREPARED.value,
        version=0,
        facilitator_key=secrets.token_urlsafe(24),
        screen_key=secrets.token_urlsafe(18),
        share_token=secrets.token_urlsafe(18),
    )
    meeting.steps = [
        Step(
            position=position,
            activity=step.activity,
            title=step.title,
            prompt=step.prompt,
            options=activity_class(step.activity).validate_options(step.options),
        )
        for position, step in enumerate(template.steps)
    ]
    db.add(meeting)
    db.commit()
    if network_id is not None:
        # the network's memory: needs deferred to this meeting open its needs step
        carry_over(db, meeting)
        carry_roadmap(db, meeting)
        carry_news(db, meeting)
    return meeting


def get_meeting(db: Session, code: str) -> Meeting:
    """The meeting with this code (as typed), or a clear refusal."""
    meeting = db.scalar(_BY_CODE, {"code": normalise_code(code)})
    if meeting is None:
        raise NotFound(NO_SUCH_CODE)
    return meeting


@dataclass(frozen=True, slots=True)
class MeetingHead:
    """The few columns of a meeting that a phone's connection and its join read, as a plain row.

    A join storm read the whole meeting as an entity twice a phone, a seventh of the storm's CPU
    (profiled): its thirty-odd columns, and the ORM's work to build it. The phone's state, drawn
    once per version (`kit.live.state.PhoneStates`), loads the entity only when it draws. A
    head satisfies `Room`."""

    id: int
    code: str
    version: int
    status: str
    current_step_id: int | None
    step_version: int
    joining_locked: bool
    anonymous_allowed: bool
    posting_paused: bool


def get_head(db: Session, code: str) -> MeetingHead:
    """`get_meeting`, as a head: read on the session's connection, no entity built."""
    row = db.connection().execute(_HEAD_BY_CODE, {"code": normalise_code(code)}).first()
    if row is None:
        raise NotFound(NO_SUCH_CODE)
    return MeetingHead(**row._mapping)


def head_of(db: Session, meeting_id: int) -> MeetingHead | None:
    """The head of the meeting with this id, if it still exists."""
    row = db.connection().execute(_HEAD_BY_ID, {"meeting": meeting_id}).first()
    return None if row is None else MeetingHead(**row._mapping)


@dataclass(frozen=True, slots=True)
class Tally:
    """What the counts a meeting's views are sent read, as one plain row: its head, the activity
    of its current step (None before the first) and the counts `counts` gives.

    The screen and the console are sent them every tick of a busy room (a tenth of a second), and
    the server does nothing else meanwhile. Read from the meeting as an entity, then its step, then
    each count, they took five statements and two entities built: 2.7 ms a tick in a room of 1,000."""

    head: MeetingHead
    activity: str | None
    counts: dict[str, int]


def tally(db: Session, meeting_id: int) -> Tally | None:
    """The tally of the meeting with this id, if it still exists: one statement on the session's connection."""
    row = db.connection().execute(_TALLY, {"meeting": meeting_id}).first()
    if row is None:
        return None
    values = row._mapping
    head = MeetingHead(**{column.key: values[column.key] for column in _HEAD_COLUMNS})
    counted = {"participants": values["participants"] or 0, "contributions": values["contributions"] or 0}
    return Tally(head, values["activity"], counted)


def get_step(db: Session, meeting: Meeting, step_id: object) -> Step:
    step = db.get(Step, step_id) if is_row_id(step_id) else None
    if step is None or step.meeting_id != meeting.id:
        raise NotFound(_l("This step does not exist in this meeting."))
    return step


# -- running ---------------------------------------------------------------------------------
def start(db: Session, meeting: Meeting) -> Step:
    """Open the meeting on its first step."""
    if meeting.state is not Status.PREPARED:
        raise KitError("not_prepared", _l("This meeting has already started."))
    meeting.status = Status.LIVE.value
    meeting.started_at = utcnow()
    return _open(db, meeting, meeting.steps[0])


def go_to_step(db: Session, meeting: Meeting, step_id: object) -> Step:
    """Show another step on the screen and the phones."""
    require_live(meeting)
    return _open(db, meeting, get_step(db, meeting, step_id))


def move(db: Session, meeting: Meeting, offset: int) -> Step:
    """Go to the next (+1) or previous (-1) step."""
    require_live(meeting)
    current = meeting.current_step
    position = (current.position if current else -1) + offset
    if not 0 <= position < len(meeting.steps):
        raise KitError("no_such_step", _l("There is no step in that direction."))
    return _open(db, meeting, meeting.steps[position])


def _open(db: Session, meeting: Meeting, step: Step) -> Step:
    # showing again the step already on screen changes nothing phones are typing for
    moved = meeting.current_step_id != step.id
    meeting.current_step_id = step.id
    meeting.current_step = step
    if step.opened_at is None:
        step.opened_at = utcnow()
    version = bump_version(db, meeting)
    if moved:
        meeting.step_version = version
    db.commit()
    return step


class Room(Protocol):
    """What the checks of something sent read of its meeting: the entity, or a row read without
    one (a vote's ballot)."""

    @property
    def status(self) -> str: ...
    @property
    def posting_paused(self) -> bool: ...
    @property
    def anonymous_allowed(self) -> bool: ...
    @property
    def current_step_id(self) -> int | None: ...
    @property
    def step_version(self) -> int: ...


class Sender(Protocol):
    """What the same checks read of the participant sending."""

    @property
    def removed_at(self) -> datetime | None: ...
    @property
    def display_name(self) -> str: ...


def check_step(meeting: Room, step_id: object, step_version: object) -> None:
    """Refuse a message meant for a step that is no longer the one on screen.

    `step_id` and `step_version` are what the sender saw (`step.id` and `step.version` of its
    last snapshot or state); a view that is behind is told with `stale_step`, and resynchronises.
    """
    if step_version is not None and not is_row_id(step_version) and step_version != 0:
        raise InvalidInput(_l("The message was not understood. Please reload the page."), "step_version", "bad_request")
    if step_id != meeting.current_step_id or (step_version is not None and step_version != meeting.step_version):
        raise KitError(
            "stale_step",
            _l("The facilitator has moved to another step. Your text is kept: check it, then send it again."),
        )


def require_live(meeting: Room) -> None:
    state = Status(meeting.status)
    if state is Status.PREPARED:
        raise KitError("not_started", _l("The meeting has not started yet. Please wait for the facilitator."))
    if state is not Status.LIVE:
        raise KitError("closed", _l("This meeting is over: nothing more can be sent."))


def check_may_send(meeting: Room, participant: Sender) -> None:
    """Refuse, plainly, a participant who was removed, a room whose sending is paused, or someone
    without a name when the facilitator requires names."""
    if participant.removed_at is not None:
        raise KitError("removed", _l("The facilitator removed you from this meeting: you can no longer send anything."))
    if meeting.posting_paused:
        raise KitError(
            "paused", _l("Sending is paused for a moment. Keep your text: it will be sent when sending resumes.")
        )
    if not participant.display_name and not meeting.anonymous_allowed:
        raise KitError(
            "name_required",
            _l("The facilitator asks everyone to give their name before sending. Give yours: your text is kept."),
        )


def act(db: Session, meeting: Meeting, action: object, payload: Mapping[str, Any]) -> list[Contribution]:
    """Carry out an action of the current step's activity (answer a need, accept a news item…)."""
    require_live(meeting)
    step = meeting.current_step
    activity = activity_for(step) if step else None
    if activity is None or not isinstance(action, str) or action not in activity.facilitator_actions:
        raise KitError("unknown_action", _l("This action does not exist for this step."))
    changed = activity.perform(db, action, payload)
    save_change(db, meeting)
    return changed


def close(db: Session, meeting: Meeting) -> str:
    """End the meeting and write its draft minutes; return them."""
    require_live(meeting)
    meeting.status = Status.CLOSED.value
    meeting.closed_at = utcnow()
    bump_version(db, meeting)
    meeting.write_minutes(build_markdown(db, meeting))
    db.commit()
    return meeting.minutes_md or ""


def edit_minutes(db: Session, meeting: Meeting, text: object) -> str:
    """The facilitator's reviewed minutes (Markdown), before or after publishing."""
    if meeting.state not in (Status.CLOSED, Status.PUBLISHED):
        raise KitError("not_closed", _l("The minutes are written when the meeting is closed."))
    meeting.write_minutes(clean_text(text, "minutes", 200_000) + "\n")
    save_change(db, meeting)
    return meeting.minutes_md or ""


def publish(db: Session, meeting: Meeting) -> str:
    """Make the minutes readable at the share link; return the link's token."""
    if meeting.state is not Status.CLOSED:
        raise KitError("not_closed", _l("Close the meeting before publishing its minutes."))
    meeting.status = Status.PUBLISHED.value
    meeting.published_at = utcnow()
    # the text readers see changes from nothing to these minutes: a feed entry's `updated` starts here
    meeting.minutes_updated_at = meeting.published_at
    save_change(db, meeting)
    return meeting.share_token


# -- participants ----------------------------------------------------------------------------
def join(
    db: Session,
    meeting: Meeting | MeetingHead,
    name: object,
    structure: object = "",
    territory: object = "",
    language: str = "fr",
    *,
    max_name: int = 60,
    max_field: int = 120,
) -> Participant:
    """A new participant with a secret token; no account, just a name."""
    if Status(meeting.status) in (Status.CLOSED, Status.PUBLISHED):
        raise KitError("closed", _l("This meeting is over: you can no longer join it."))
    if meeting.joining_locked:
        raise KitError("joining_locked", _l("Joining this meeting is closed for now. Ask the facilitator."))
    participant = insert_row(
        db,
        Participant,
        meeting_id=meeting.id,
        token=secrets.token_urlsafe(24),
        display_name=clean_name(name, "name", max_name, required=not meeting.anonymous_allowed),
        structure=clean_name(structure, "structure", max_field, required=False),
        territory=clean_name(territory, "territory", max_field, required=False),
        language=language if language in ("fr", "en") else "fr",
    )
    db.commit()
    return participant


def get_participant(db: Session, meeting: Meeting | MeetingHead, token: object) -> Participant | None:
    """The participant holding this token in this meeting; never one of another meeting."""
    if not isinstance(token, str) or not token:
        return None
    participant = db.scalar(_BY_TOKEN, {"token": token})
    if participant is None or participant.meeting_id != meeting.id:
        return None
    return participant


@dataclass(frozen=True)
class Outcome:
    """What a submission did: the contribution, and whether it is new or changed (to broadcast)."""

    contribution: Contribution
    changed: bool
    # stored just now as a new row (not a resend, not an answer replacing the previous one)
    created: bool = False


def contribute(
    db: Session,
    meeting: Meeting,
    participant: Participant,
    step_id: object,
    client_id: str,
    data: object,
    *,
    step_version: object = None,
    before_new: Callable[[], None] | None = None,
    step: Step | None = None,
    unsent: bool = False,
) -> Outcome:
    """Store what a phone sent, once: the same client id sent again finds the first copy.

    `before_new` runs only for something not sent before (the live layer's rate limit), so a
    resend is always acknowledged. With `step_version` (what browsers send), a contribution meant
    for a step that is no longer the one on screen is refused with `stale_step`, so nothing lands
    where its writer did not see it; without, any opened step is accepted. `step` is the step
    `step_id` names, when the caller has already read it (the live layer reads it with the sender),
    and `unsent` says the caller has just read that nothing was sent under this client id (asked
    in the same statement): a resend racing in after that still finds the first copy, through the
    unique constraint.
    """
    if participant.meeting_id != meeting.id:
        raise InvalidInput(_l("You are not a participant of this meeting."), code="forbidden")
    existing = None if unsent else find_sent(db, participant, client_id)
    if existing is not None:
        return Outcome(existing, changed=False)
    if before_new is not None:
        before_new()
    require_live(meeting)
    if step_version is not None:
        check_step(meeting, step_id, step_version)
    check_may_send(meeting, participant)
    if step is None or step.id != step_id or step.meeting_id != meeting.id:
        step = get_step(db, meeting, step_id)
    if step.opened_at is None:
        raise KitError("step_not_open", _l("This step has not been opened yet."))
    activity = activity_for(step)
    clean, private = activity.split_private(activity.validate_submission(data, participant))

    previous = None
    if activity.one_per_participant:
        previous = db.scalar(
            select(Contribution).where(Contribution.step_id == step.id, Contribution.participant_id == participant.id)
        )
    try:
        if previous is not None:
            # a new answer replaces the old one; the new client id is remembered for resends
            contribution = previous
            contribution.data = clean
            contribution.client_id = client_id
            contribution.updated_at = utcnow()
        else:
            contribution = insert_row(
                db,
                Contribution,
                meeting_id=meeting.id,
                step_id=step.id,
                participant_id=participant.id,
                client_id=client_id,
                data=clean,
            )
        set_committed_value(contribution, "participant", participant)
        set_committed_value(contribution, "step", step)
        activity.after_submission(db, participant, clean, private)
        bump_version(db, meeting)
        db.commit()
    except IntegrityError:
        # the same resend raced in on another connection: the first copy wins
        db.rollback()
        winner = find_sent(db, participant, client_id)
        if winner is None:
            raise
        return Outcome(winner, changed=False)
    return Outcome(contribution, changed=True, created=previous is None)


def find_sent(db: Session, participant: Participant, client_id: str) -> Contribution | None:
    """What this participant already sent under this client id, if anything. Asked first on
    the table alone (a plain statement, no row to load): a resend is rare, every contribution asks."""
    params = {"participant": participant.id, "client_id": client_id}
    if db.execute(_SENT_ID, params).first() is None:
        return None
    return db.scalar(_SENT, params)


def own_contributions(db: Session, participant: Participant) -> list[Contribution]:
    """What this participant sent, in every step, with its step (what a phone's own items show)."""
    return list(db.scalars(_OWN, {"participant": participant.id}))


def counts(db: Session, meeting: Meeting | MeetingHead) -> dict[str, int]:
    """How many people joined (less those removed) and how many contributions the current step has."""
    joined = db.scalar(_JOINED, {"meeting": meeting.id}) or 0
    in_step = 0
    if meeting.current_step_id is not None:
        in_step = db.scalar(_IN_STEP, {"step": meeting.current_step_id}) or 0
    return {"participants": joined, "contributions": in_step}

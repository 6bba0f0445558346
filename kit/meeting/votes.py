"""Votes: one person supports a need or a question once, and may take it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kit.activities import activity_class
from kit.core.errors import InvalidInput, KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Participant, Step, Vote
from kit.core.queries import NO_SUCH_CONTRIBUTION, is_row_id
from kit.meeting.lifecycle import check_may_send, check_step, next_version, require_live

_VOTE_TABLE = cast(Table, Vote.__table__)
# What a vote is checked against, in one statement: who votes and their meeting, the contribution
# voted for if it is one of that meeting's, its step's activity, and this person's vote for it if
# any. Plain columns, no entity: a vote is the commonest event of a big room and draws nothing,
# and the same rows read as entities cost about twice as much (measured). No row: the voter is not
# (or no longer) a participant of this meeting.
_BALLOT = (
    select(
        Meeting.id.label("meeting_id"),
        Meeting.status,
        Meeting.posting_paused,
        Meeting.anonymous_allowed,
        Meeting.current_step_id,
        Meeting.step_version,
        Participant.id.label("participant_id"),
        Participant.removed_at,
        Participant.display_name,
        Contribution.id.label("contribution_id"),
        Contribution.hidden_at,
        Contribution.merged_into_id,
        Step.activity,
        Vote.id.label("vote_id"),
    )
    .select_from(Participant)
    .join(Meeting, Meeting.id == Participant.meeting_id)
    .outerjoin(Contribution, and_(Contribution.id == bindparam("contribution"), Contribution.meeting_id == Meeting.id))
    .outerjoin(Step, Step.id == Contribution.step_id)
    .outerjoin(Vote, and_(Vote.contribution_id == Contribution.id, Vote.participant_id == Participant.id))
    .where(Participant.id == bindparam("participant"), Meeting.id == bindparam("meeting"))
)
_ADD = insert(_VOTE_TABLE)
_TAKE_BACK = delete(_VOTE_TABLE).where(_VOTE_TABLE.c.id == bindparam("vote"))
_MINE = select(Vote.contribution_id).where(Vote.participant_id == bindparam("participant"))


@dataclass(frozen=True, slots=True)
class Ballot:
    """One vote's checks, as `_BALLOT` read them: the meeting (a `lifecycle.Room`), the voter
    (a `lifecycle.Sender`), and the contribution voted for (None: not one of this meeting's)."""

    meeting_id: int
    status: str
    posting_paused: bool
    anonymous_allowed: bool
    current_step_id: int | None
    step_version: int
    participant_id: int
    removed_at: datetime | None
    display_name: str
    contribution_id: int | None
    hidden_at: datetime | None
    merged_into_id: int | None
    activity: str | None
    vote_id: int | None


def read_ballot(db: Session, meeting_id: int, participant_id: int, contribution_id: object) -> Ballot | None:
    """What a vote of this participant for this contribution is checked against, read on the
    session's connection (nothing the session holds unflushed is seen); None if this participant
    is not one of this meeting's."""
    params = {
        "meeting": meeting_id,
        "participant": participant_id,
        "contribution": contribution_id if is_row_id(contribution_id) else None,
    }
    row = db.connection().execute(_BALLOT, params).first()
    return None if row is None else Ballot(**row._mapping)


def cast_vote(
    db: Session, ballot: Ballot, wanted: object, *, step_id: object = None, step_version: object = None
) -> int | None:
    """Make the ballot's vote be `wanted`: the meeting's new version when that changed something,
    None when it was so already (a resend, safe to repeat). With `step_version` (what phones send),
    a vote sent from a step that is no longer the one on screen is refused with `stale_step`."""
    if step_version is not None:
        check_step(ballot, step_id, step_version)
    if not isinstance(wanted, bool):
        raise KitError("bad_request", _l("The message was not understood. Please reload the page."))
    require_live(ballot)
    check_may_send(ballot, ballot)
    if ballot.contribution_id is None or ballot.activity is None:
        raise NotFound(NO_SUCH_CONTRIBUTION)
    if not activity_class(ballot.activity).votable:
        raise KitError("not_votable", _l("There is nothing to vote for in this step."))
    if ballot.hidden_at is not None or ballot.merged_into_id is not None:
        raise KitError("not_found", _l("This contribution is no longer shown."))
    if (ballot.vote_id is not None) == wanted:
        return None
    connection = db.connection()
    try:
        if wanted:
            mine = {"contribution_id": ballot.contribution_id, "participant_id": ballot.participant_id}
            connection.execute(_ADD, mine)
        elif connection.execute(_TAKE_BACK, {"vote": ballot.vote_id}).rowcount == 0:
            # taken back meanwhile on another connection: it is gone, which is what was asked
            db.rollback()
            return None
        version = next_version(db, ballot.meeting_id)
        db.commit()
    except IntegrityError:
        # the same vote raced in on another connection: it is there, which is what was asked
        db.rollback()
        return None
    return version


def set_vote(db: Session, meeting: Meeting, participant: Participant, contribution_id: object, wanted: object) -> bool:
    """Make this person's vote for a contribution be `wanted`; return True when that changed something.

    Saying the same thing twice (a resend) changes nothing, so it is safe to repeat. The live
    layer reads the ballot and casts it itself (`read_ballot`, `cast_vote`): it holds no entity.
    """
    db.flush()  # the ballot is read on the connection: what the caller changed first is seen
    ballot = read_ballot(db, meeting.id, participant.id, contribution_id)
    if ballot is None:
        raise InvalidInput(_l("You are not a participant of this meeting."), code="forbidden")
    version = cast_vote(db, ballot, wanted)
    if version is None:
        return False
    set_committed_value(meeting, "version", version)
    return True


def my_votes(db: Session, participant: Participant) -> list[int]:
    """The contributions this person supports, in every step."""
    return list(db.scalars(_MINE, {"participant": participant.id}))

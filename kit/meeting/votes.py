"""Votes: one person supports a need or a question once, and may take it back."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core.db import insert_row
from kit.core.errors import KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Participant, Vote
from kit.core.queries import get_contribution
from kit.meeting.lifecycle import bump_version, check_may_send, require_live

# built once, like the lifecycle's hot statements: each vote and each count of votes runs them
_EXISTING = select(Vote).where(
    Vote.contribution_id == bindparam("contribution"), Vote.participant_id == bindparam("participant")
)
_MINE = select(Vote.contribution_id).where(Vote.participant_id == bindparam("participant"))


def set_vote(db: Session, meeting: Meeting, participant: Participant, contribution_id: object, wanted: object) -> bool:
    """Make this person's vote for a contribution be `wanted`; return True when that changed something.

    Saying the same thing twice (a resend) changes nothing, so it is safe to repeat.
    """
    if not isinstance(wanted, bool):
        raise KitError("bad_request", _l("The message was not understood. Please reload the page."))
    require_live(meeting)
    check_may_send(meeting, participant)
    contribution = get_contribution(db, meeting, contribution_id)
    if not activity_for(contribution.step).votable:
        raise KitError("not_votable", _l("There is nothing to vote for in this step."))
    if not contribution.visible:
        raise KitError("not_found", _l("This contribution is no longer shown."))
    existing = db.scalar(_EXISTING, {"contribution": contribution.id, "participant": participant.id})
    if (existing is not None) == wanted:
        return False
    try:
        if wanted:
            insert_row(db, Vote, contribution_id=contribution.id, participant_id=participant.id)
        else:
            db.delete(existing)
        bump_version(db, meeting)
        db.commit()
    except IntegrityError:
        # the same vote raced in on another connection: it is there, which is what was asked
        db.rollback()
        return False
    return True


def my_votes(db: Session, participant: Participant) -> list[int]:
    """The contributions this person supports, in every step."""
    return list(db.scalars(_MINE, {"participant": participant.id}))

"""Moderation from the console: hide, show again, edit, merge duplicates.

Nothing a participant sent disappears without a trace: hidden and merged contributions stay
in the database with who hid them and when, an edit keeps the participant's own words, and
the console still lists them all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core.errors import InvalidInput, KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Participant, Status, Vote, utcnow
from kit.core.queries import get_contribution
from kit.core.validation import clean_text
from kit.meeting.lifecycle import save_change

FACILITATOR = "facilitator"


def hide(db: Session, meeting: Meeting, contribution_id: object, by: str = FACILITATOR) -> Contribution:
    """Take a contribution off the screen and out of the minutes (it stays in the database)."""
    contribution = get_contribution(db, meeting, contribution_id)
    if contribution.hidden_at is None:
        contribution.hidden_at = utcnow()
        contribution.hidden_by = by
    return _done(db, meeting, contribution)


def show(db: Session, meeting: Meeting, contribution_id: object) -> Contribution:
    """Undo a hide or a merge (never a participant's own withdrawal: its words are gone)."""
    contribution = get_contribution(db, meeting, contribution_id)
    _not_withdrawn(contribution)
    contribution.hidden_at = None
    contribution.hidden_by = None
    contribution.merged_into_id = None
    return _done(db, meeting, contribution)


def edit(db: Session, meeting: Meeting, contribution_id: object, text: object) -> Contribution:
    """Rewrite the words of a contribution (a typo, a clearer title); the original is kept."""
    contribution = get_contribution(db, meeting, contribution_id)
    _not_withdrawn(contribution)
    activity = activity_for(contribution.step)
    field = activity.editable_field
    if field is None:
        raise KitError("not_editable", _l("This kind of contribution cannot be edited."))
    new_text = clean_text(text, field, activity.max_text_length())
    if contribution.original is None:
        contribution.original = dict(contribution.data)
    contribution.data = {**contribution.data, field: new_text}
    contribution.edited_at = utcnow()
    return _done(db, meeting, contribution)


def merge(db: Session, meeting: Meeting, contribution_id: object, into_id: object) -> Contribution:
    """Fold a duplicate into another contribution of the same step; its votes follow it."""
    duplicate = get_contribution(db, meeting, contribution_id)
    target = get_contribution(db, meeting, into_id)
    _not_withdrawn(duplicate)
    if target.id == duplicate.id or target.step_id != duplicate.step_id:
        raise InvalidInput(_l("Choose another contribution of the same step to merge with."), "into")
    if not target.visible:
        raise InvalidInput(_l("This contribution is hidden or merged already: choose a visible one."), "into")
    duplicate.merged_into_id = target.id
    supporters = set(db.scalars(select(Vote.participant_id).where(Vote.contribution_id == target.id)))
    for vote in list(duplicate.votes):
        if vote.participant_id not in supporters:
            db.add(Vote(contribution_id=target.id, participant_id=vote.participant_id))
        db.delete(vote)
    # whatever was merged into the duplicate now belongs to the target too
    for earlier in db.scalars(select(Contribution).where(Contribution.merged_into_id == duplicate.id)):
        earlier.merged_into_id = target.id
    _done(db, meeting, duplicate)
    return target


def _not_withdrawn(contribution: Contribution) -> None:
    if contribution.hidden_by == "participant":
        raise KitError("withdrawn", _l("Its author deleted this contribution: it cannot be shown or edited again."))


def merged_into(db: Session, contribution: Contribution) -> list[Contribution]:
    """The duplicates folded into this contribution, oldest first."""
    query = select(Contribution).where(Contribution.merged_into_id == contribution.id).order_by(Contribution.id)
    return list(db.scalars(query))


def _done(db: Session, meeting: Meeting, contribution: Contribution) -> Contribution:
    contribution.updated_at = utcnow()
    save_change(db, meeting)
    return contribution


# the longest look back of `remove_recent_joiners`: beyond, remove people one by one
MAX_RECENT_MINUTES = 240


def remove_recent_joiners(
    db: Session, meeting: Meeting, minutes: object, now: datetime | None = None
) -> list[Participant]:
    """Remove at once everyone who joined this meeting in the last `minutes` minutes (a flood of
    made-up names); returns who was removed. As with one removal, what they sent stays."""
    if meeting.state not in (Status.PREPARED, Status.LIVE):
        raise KitError("closed", _l("This meeting is over: nothing more can be sent."))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_RECENT_MINUTES:
        raise InvalidInput(
            _l("Give a number of minutes between 1 and %(most)d.", most=MAX_RECENT_MINUTES), field="minutes"
        )
    since = (now or utcnow()) - timedelta(minutes=minutes)
    people = list(
        db.scalars(
            select(Participant)
            .where(
                Participant.meeting_id == meeting.id,
                Participant.removed_at.is_(None),
                Participant.joined_at >= since,
            )
            .order_by(Participant.id)
        )
    )
    if people:
        removed_at = utcnow()
        for person in people:
            person.removed_at = removed_at
        save_change(db, meeting)
    return people

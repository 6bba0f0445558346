"""Keeping the room safe: lock the door to newcomers, pause all sending, remove someone, allow
or refuse sending without a name; and what the projected screen lists (everything, or only
what the facilitator picked).

What a removed participant sent stays, for moderation; they just cannot send any more.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kit.core.errors import KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Participant, Status, utcnow
from kit.core.queries import get_contribution, is_row_id
from kit.core.validation import clean_name
from kit.meeting.lifecycle import save_change


def _open(meeting: Meeting) -> None:
    if meeting.state not in (Status.PREPARED, Status.LIVE):
        raise KitError("closed", _l("This meeting is over: nothing more can be sent."))


def set_joining_locked(db: Session, meeting: Meeting, locked: bool) -> None:
    _open(meeting)
    meeting.joining_locked = locked
    save_change(db, meeting)


def set_posting_paused(db: Session, meeting: Meeting, paused: bool) -> None:
    _open(meeting)
    meeting.posting_paused = paused
    save_change(db, meeting)


def set_anonymous_allowed(db: Session, meeting: Meeting, allowed: bool) -> None:
    """Whether someone may join and send without giving a name (shown as "Anonymous")."""
    _open(meeting)
    meeting.anonymous_allowed = allowed
    save_change(db, meeting)


def give_name(db: Session, meeting: Meeting, participant: Participant, name: object, max_name: int = 60) -> None:
    """Someone who joined without a name gives one (asked when the facilitator requires names)."""
    _open(meeting)
    if participant.display_name:
        raise KitError("already_named", _l("You have already given your name."))
    participant.display_name = clean_name(name, "name", max_name)
    save_change(db, meeting)


def set_picked(db: Session, meeting: Meeting, contribution_id: object, picked: bool) -> None:
    """Pick a contribution for the screen's "only what I picked" mode, or take it back."""
    contribution = get_contribution(db, meeting, contribution_id)
    contribution.picked_at = utcnow() if picked else None
    save_change(db, meeting)


def set_screen_picked_only(db: Session, meeting: Meeting, only: bool) -> None:
    """The screen lists only the picked contributions of the step (True), or all of them again."""
    meeting.screen_picked_only = only
    save_change(db, meeting)


def set_presence_hidden(db: Session, meeting: Meeting, hidden: bool) -> None:
    """Whether the projected screen shows how many people are connected."""
    meeting.presence_hidden = hidden
    save_change(db, meeting)


def remove_participant(db: Session, meeting: Meeting, participant_id: object) -> Participant:
    """Take someone out of the meeting: they can no longer send anything here."""
    _open(meeting)
    person = db.get(Participant, participant_id) if is_row_id(participant_id) else None
    if person is None or person.meeting_id != meeting.id:
        raise NotFound(_l("This person is not in this meeting."))
    if person.removed_at is not None:
        raise KitError("already_removed", _l("This person was already removed."))
    person.removed_at = utcnow()
    save_change(db, meeting)
    return person

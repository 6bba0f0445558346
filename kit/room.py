"""Keeping the room safe: lock the door to newcomers, pause all sending, remove someone.

What a removed participant sent stays, for moderation; they just cannot send any more.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from kit.errors import KitError, NotFound
from kit.meetings import is_row_id, save_change
from kit.models import Meeting, Participant, Status, utcnow


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


def check_may_send(meeting: Meeting, participant: Participant) -> None:
    """Refuse, plainly, a participant who was removed or a room whose sending is paused."""
    if participant.removed_at is not None:
        raise KitError("removed", _l("The facilitator removed you from this meeting: you can no longer send anything."))
    if meeting.posting_paused:
        raise KitError(
            "paused", _l("Sending is paused for a moment. Keep your text: it will be sent when sending resumes.")
        )

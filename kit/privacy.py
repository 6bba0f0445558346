"""Personal data kept no longer than needed: after the retention period, who came and who said
what are erased from a meeting, and what was said stays (the minutes are rebuilt without names).

`kit forget` runs it; it is safe to run again and again, from cron.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from kit import meetings
from kit.models import Contribution, Meeting, Status, utcnow

# what a check-in or a signature says about a person, beyond the name
PERSONAL_FIELDS = ("structure", "territory", "role")


def erase_personal_data(db: Session, meeting: Meeting) -> None:
    """Replace each person of a meeting by an anonymous label; keep their contributions' content."""
    with force_locale(meeting.language):
        labels = {}
        for number, person in enumerate(meetings.participants(db, meeting), start=1):
            labels[person.id] = _("Participant %(number)d", number=number)
            person.display_name = labels[person.id]
            person.structure = ""
            person.territory = ""
            # the phone that held the old token is no longer anyone
            person.token = secrets.token_urlsafe(24)
        for contribution in db.scalars(select(Contribution).where(Contribution.meeting_id == meeting.id)):
            if "name" not in contribution.data:
                continue  # a card, a need, an answer: content, kept as written
            data = {**contribution.data, "name": labels.get(contribution.participant_id or 0, "")}
            data.update({field: "" for field in PERSONAL_FIELDS if field in data})
            contribution.data = data
        meeting.personal_data_erased_at = utcnow()
        if meeting.state in (Status.CLOSED, Status.PUBLISHED):
            from kit.minutes import build_markdown

            db.flush()
            meeting.minutes_md = build_markdown(db, meeting)
    meetings.save_change(db, meeting)


def forget_old_meetings(db: Session, days: int, now: datetime | None = None) -> list[Meeting]:
    """Erase the personal data of every meeting closed more than `days` days ago; return them."""
    if days < 1:
        raise ValueError(days)
    limit = (now or utcnow()) - timedelta(days=days)
    due = db.scalars(
        select(Meeting).where(
            Meeting.closed_at.is_not(None), Meeting.closed_at < limit, Meeting.personal_data_erased_at.is_(None)
        )
    ).all()
    for meeting in due:
        erase_personal_data(db, meeting)
    return list(due)

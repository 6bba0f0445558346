"""The dates a meeting's minutes carry, as iCalendar: deadlines and events from the news, and the
network's next meeting — so absentees can put them in their own calendar."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.activities.news import News
from kit.core import queries
from kit.core.models import Meeting, Status, utcnow


def _all_day(uid: str, day: date, summary: str, description: str = "") -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", day)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    return event


def next_meeting(db: Session, meeting: Meeting) -> Meeting | None:
    """The network's next meeting with a date, after this one."""
    if meeting.network_id is None:
        return None
    today = utcnow().date()
    return db.scalars(
        select(Meeting)
        .where(
            Meeting.network_id == meeting.network_id,
            Meeting.id != meeting.id,
            Meeting.status == Status.PREPARED.value,
            Meeting.meeting_date >= today,
        )
        .order_by(Meeting.meeting_date)
    ).first()


def minutes_calendar(db: Session, meeting: Meeting) -> bytes:
    """An iCalendar file of the dates and deadlines in this meeting's news, and the next meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//kit//minutes//FR")
    calendar.add("version", "2.0")
    with force_locale(meeting.language):
        calendar.add("x-wr-calname", meeting.title)
        for step in meeting.steps:
            if step.opened_at is None or step.activity != "news":
                continue
            activity = activity_for(step)
            assert isinstance(activity, News)
            for number, entry in enumerate(activity.dated(queries.contributions(db, step))):
                what = _("Deadline: %(title)s", title=entry["title"]) if entry["is_deadline"] else entry["title"]
                uid = f"{meeting.share_token}-{step.id}-{number}@kit"
                calendar.add_component(_all_day(uid, date.fromisoformat(entry["when"]), what, entry.get("link") or ""))
        following = next_meeting(db, meeting)
        if following is not None and following.meeting_date is not None:
            summary = _("Next meeting: %(title)s", title=following.title)
            place = following.place or ""
            calendar.add_component(_all_day(f"meeting-{following.code}@kit", following.meeting_date, summary, place))
    return calendar.to_ical()

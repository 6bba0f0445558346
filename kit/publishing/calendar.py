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
from kit.publishing import links
from kit.publishing.identifiers import Identifiers


def _all_day(uid: str, day: date, summary: str, description: str = "", *, location: str = "", url: str = "") -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", day)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
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


def dated_events(db: Session, meeting: Meeting) -> list[Event]:
    """The events of this meeting's minutes: its news' dates and deadlines, then the network's next
    meeting; none when the minutes carry no date. Their UIDs come from the records' own ids
    (kit.publishing.identifiers), so a calendar that imports them again updates them in place."""
    minutes_url = links.minutes_url(meeting) if meeting.state is Status.PUBLISHED else ""
    if meeting.received is not None:
        return _received_events(meeting, minutes_url)
    ids = Identifiers(db)
    events: dict[str, Event] = {}
    with force_locale(meeting.language):
        for step in meeting.steps:
            if step.opened_at is None or step.activity != "news":
                continue
            activity = activity_for(step)
            assert isinstance(activity, News)
            for entry in activity.dated(queries.contributions(db, step)):
                what = _("Deadline: %(title)s", title=entry["title"]) if entry["is_deadline"] else entry["title"]
                uid = ids.news_event(step.id, entry)
                # the same item prepared twice in a step is one event, not two with one UID
                events.setdefault(
                    uid,
                    _all_day(uid, date.fromisoformat(entry["when"]), what, entry.get("link") or "", url=minutes_url),
                )
        following = next_meeting(db, meeting)
        if following is not None and following.meeting_date is not None:
            summary = _("Next meeting: %(title)s", title=following.title)
            uid = ids.meeting_event(following)
            events[uid] = _all_day(uid, following.meeting_date, summary, location=following.place or "")
    return list(events.values())


def _received_events(meeting: Meeting, minutes_url: str) -> list[Event]:
    """The dates a meeting received from a laptop came with, under the laptop's UIDs (a calendar that
    imported them from the laptop's minutes updates them in place)."""
    events = []
    for entry in (meeting.received or {}).get("events") or []:
        events.append(
            _all_day(
                entry["uid"],
                date.fromisoformat(entry["date"]),
                entry["summary"],
                entry.get("description", ""),
                location=entry.get("location", ""),
                url=minutes_url,
            )
        )
    return events


def minutes_calendar(db: Session, meeting: Meeting) -> bytes | None:
    """An iCalendar file of the dates and deadlines in this meeting's news, and the next meeting;
    None when there is no date to put in it (an empty calendar helps nobody)."""
    events = dated_events(db, meeting)
    if not events:
        return None
    calendar = Calendar()
    calendar.add("prodid", "-//kit//minutes//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", meeting.title)
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()

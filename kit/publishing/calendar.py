"""The dates a meeting's minutes carry, as iCalendar: deadlines and events from the news, and the
network's next meeting — so absentees can put them in their own calendar."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.activities.news import News
from kit.core import queries
from kit.core.models import Meeting, Network, Status, utcnow
from kit.publishing import links
from kit.publishing.feeds import published
from kit.publishing.identifiers import Identifiers


def _all_day(uid: str, day: date, summary: str, description: str = "", *, location: str = "", url: str = "") -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", day)
    # one whole day; some phones' calendars show an all-day event without DTEND as lasting nothing
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    return event


def network_page_url(network: Network) -> str:
    """The network's public page: where a meeting's date and place are kept up to date."""
    return links.external("public.network_page", token=network.feed_token)


def calendar_url(network: Network) -> str:
    """The address a member's calendar subscribes to."""
    return links.external("public.network_calendar", token=network.feed_token)


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
            page = network_page_url(following.network) if following.network is not None else ""
            events[uid] = _all_day(uid, following.meeting_date, summary, location=following.place or "", url=page)
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


def _calendar(name: str, kind: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//kit//{kind}//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def minutes_calendar(db: Session, meeting: Meeting) -> bytes | None:
    """An iCalendar file of the dates and deadlines in this meeting's news, and the next meeting;
    None when there is no date to put in it (an empty calendar helps nobody)."""
    events = dated_events(db, meeting)
    if not events:
        return None
    calendar = _calendar(meeting.title, "minutes")
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


#: how far back a subscribed calendar keeps the news' dates (older ones are in the minutes)
KEPT_DAYS = 92
#: how often a subscribed calendar should read the address again (RFC 7986 REFRESH-INTERVAL)
REFRESH = timedelta(hours=6)


def network_calendar(db: Session, network: Network, page_url: str, language: str = "fr") -> bytes:
    """The calendar a member subscribes to (Thunderbird, Nextcloud, a phone): the network's next
    meetings, then the dates and deadlines of its published minutes' news from the last three
    months on. Whole days, so no time zone to get wrong; each event keeps the UID it has in the
    minutes' own calendar, so importing both never doubles an event. An empty network still
    answers with a calendar (a subscription that fails is dropped by some apps)."""
    ids = Identifiers(db)
    events: dict[str, Event] = {}
    with force_locale(language):
        for meeting in queries.upcoming_meetings(db, network.id):
            assert meeting.meeting_date is not None
            uid = ids.meeting_event(meeting)
            description = _("Hosted by %(host)s", host=meeting.host) if meeting.host else ""
            events[uid] = _all_day(
                uid, meeting.meeting_date, meeting.title, description, location=meeting.place or "", url=page_url
            )
    since = utcnow().date() - timedelta(days=KEPT_DAYS)
    for meeting in published(network):
        for event in dated_events(db, meeting):
            uid = str(event["uid"])
            if uid not in events and event.decoded("dtstart") >= since:
                events[uid] = event
    calendar = _calendar(network.name, "network")
    calendar.add("name", network.name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    calendar.add("url", page_url)
    for event in sorted(events.values(), key=lambda e: (e.decoded("dtstart"), str(e["summary"]))):
        calendar.add_component(event)
    return calendar.to_ical()

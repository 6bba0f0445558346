"""The minutes' dates as iCalendar: deadlines, events, and the network's next meeting."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from kit.core.models import Meeting, utcnow
from kit.meeting import lifecycle, privacy
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.conftest import gen_participant, gen_template

NEWS = {
    "items": [
        {"type": "funding_call", "title": "AAP inclusion", "deadline": "2027-01-15", "link": "https://example.org/aap"}
    ]
}


def events(body: bytes) -> dict[str, Any]:
    """The events by summary, as icalendar reads them."""
    return {str(e["summary"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def uids_by_summary(body: bytes) -> dict[str, str]:
    """The events' UIDs by summary, as both parsers read them (and they must agree)."""
    first = {summary: str(e["uid"]) for summary, e in events(body).items()}
    # a second, stricter reader (RFC 5545 checked field by field), as another calendar app would
    second = {str(e.summary): e.uid for e in IcsCalendarStream.calendar_from_ics(body.decode("utf-8")).events}
    assert first == second
    return first


def news_meeting(db, network_id: int) -> tuple[Meeting, Any, Any]:  # type: ignore[no-untyped-def]
    """A meeting with a prepared deadline and two accepted proposals, Awa's sooner than Bruno's."""
    meeting = lifecycle.create_meeting(
        db, gen_template(StepTemplate("news", "Actualité", "", NEWS)), network_id=network_id
    )
    lifecycle.start(db, meeting)
    step = meeting.steps[0]
    proposed = []
    for name, title, day in (("Awa", "Forum de l'emploi", "2026-12-03"), ("Bruno", "Café numérique", "2027-02-03")):
        who = gen_participant(db, meeting, name)
        sent = lifecycle.contribute(db, meeting, who, step.id, name, {"type": "event", "title": title, "date": day})
        lifecycle.act(db, meeting, "accept", {"id": sent.contribution.id})
        proposed.append((who, sent.contribution))
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting, proposed[0], proposed[1]


def test_the_calendar_of_published_minutes_parses_and_carries_the_dates(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    template = gen_template(StepTemplate("news", "Actualité", "", NEWS))
    meeting = lifecycle.create_meeting(db, template, network_id=network.id)
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting)
    proposal = lifecycle.contribute(
        db,
        meeting,
        awa,
        meeting.steps[0].id,
        "p",
        {"type": "event", "title": "Forum de l'emploi", "date": "2027-02-03"},
    )
    lifecycle.act(db, meeting, "accept", {"id": proposal.contribution.id})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    soon = utcnow().date() + timedelta(days=30)
    following = lifecycle.create_meeting(
        db, template, title="Rencontre suivante", meeting_date=soon, place="Fougères", network_id=network.id
    )

    response = client.get(f"/minutes/{meeting.share_token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    found = events(response.data)
    assert found["Date limite\u00a0: AAP inclusion"]["dtstart"].dt == date(2027, 1, 15)
    assert found["Forum de l'emploi"]["dtstart"].dt == date(2027, 2, 3)
    assert len(set(uids_by_summary(response.data).values())) == 3
    # the next meeting: its place where a calendar shows places, its own id as UID
    nxt = found["Prochaine réunion\u00a0: Rencontre suivante"]
    assert nxt["dtstart"].dt == soon and str(nxt["location"]) == "Fougères"
    assert str(nxt["uid"]) not in (meeting.code, following.code) and "@" not in str(nxt["uid"])
    # the news: a link back to the minutes that carry them
    assert str(found["Forum de l'emploi"]["url"]) == f"http://kit.test/minutes/{meeting.share_token}"
    assert "https://example.org/aap" in str(found["Date limite\u00a0: AAP inclusion"]["description"])
    # the next meeting keeps its UID in the calendar of any minutes that announce it
    later = lifecycle.create_meeting(db, template, network_id=network.id)
    lifecycle.start(db, later)
    lifecycle.close(db, later)
    lifecycle.publish(db, later)
    again = uids_by_summary(client.get(f"/minutes/{later.share_token}.ics").data)
    assert again["Prochaine réunion\u00a0: Rencontre suivante"] == str(nxt["uid"])


def test_uids_survive_the_withdrawal_of_another_dated_item(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting, (awa, hers), _ = news_meeting(db, network.id)
    before = uids_by_summary(client.get(f"/minutes/{meeting.share_token}.ics").data)
    assert set(before) == {"Forum de l'emploi", "Date limite\u00a0: AAP inclusion", "Café numérique"}

    # Awa's item came first in date order: with ids from positions, every later event would shift
    privacy.withdraw(db, awa, hers.id)
    after = uids_by_summary(client.get(f"/minutes/{meeting.share_token}.ics").data)
    assert "Forum de l'emploi" not in after
    assert after == {summary: uid for summary, uid in before.items() if summary != "Forum de l'emploi"}


def test_uids_survive_a_change_of_address(app, client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting, _, _ = news_meeting(db, network.id)
    app.config["PUBLIC_URL"] = "http://192.168.1.20:8000"
    at_home = client.get(f"/minutes/{meeting.share_token}.ics").data
    app.config["PUBLIC_URL"] = "https://kit.example.org"
    on_the_server = client.get(f"/minutes/{meeting.share_token}.ics").data
    assert uids_by_summary(at_home) == uids_by_summary(on_the_server)
    assert not re.search(rb"UID:[^\r\n]*(192\.168|kit\.example)", at_home + on_the_server)
    assert str(events(on_the_server)["Café numérique"]["url"]).startswith("https://kit.example.org/minutes/")


def test_a_news_item_with_a_deadline_and_a_date_makes_two_events(client, db):
    both = {"items": [{"type": "event", "title": "Salon", "deadline": "2027-03-01", "date": "2027-03-20"}]}
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("news", "Actualité", "", both)))
    lifecycle.start(db, meeting)
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    uids = uids_by_summary(client.get(f"/minutes/{meeting.share_token}.ics").data)
    assert set(uids) == {"Date limite\u00a0: Salon", "Salon"} and len(set(uids.values())) == 2


def test_minutes_with_nothing_dated_offer_no_calendar(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = lifecycle.create_meeting(db, gen_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    ics = f"/minutes/{meeting.share_token}.ics"
    page = client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    assert ".ics" not in page and "Markdown" in page
    refused = client.get(ics)
    assert refused.status_code == 404 and "text/html" in refused.content_type
    assert "BEGIN:VCALENDAR" not in refused.get_data(as_text=True)

    # a next meeting with a date is enough to give the minutes a calendar
    soon = utcnow().date() + timedelta(days=10)
    lifecycle.create_meeting(db, gen_template(), title="Suite", meeting_date=soon, network_id=network.id)
    assert ics in client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    assert client.get(ics).status_code == 200


def test_no_calendar_before_publication(client, db):
    meeting = lifecycle.create_meeting(db, gen_template())
    assert client.get(f"/minutes/{meeting.share_token}.ics").status_code == 404


def subscription(client, network) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(f"/feeds/{network.feed_token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("inline")
    return response.data


def test_a_network_calendar_to_subscribe_to_carries_next_meetings_and_the_news(client, db):
    network = networks.create_network(db, "Réseau des médiateurs numériques du Pays de Vitré")
    meeting, _, _ = news_meeting(db, network.id)
    template = gen_template()
    soon, later = utcnow().date() + timedelta(days=20), utcnow().date() + timedelta(days=80)
    first = lifecycle.create_meeting(
        db,
        template,
        title="Rencontre d'hiver",
        meeting_date=soon,
        place="Médiathèque de Fougères",
        network_id=network.id,
    )
    first.host = "Espace France services de Fougères"
    lifecycle.create_meeting(
        db,
        template,
        title="Rencontre de printemps",
        meeting_date=later,
        place="Mairie d'Argentré",
        network_id=network.id,
    )
    # a meeting of another network, and one already past, stay out
    other = networks.create_network(db, "Réseau voisin")
    lifecycle.create_meeting(db, template, title="Autre réseau", meeting_date=soon, network_id=other.id)
    lifecycle.create_meeting(db, template, title="Déjà passée", meeting_date=date(2020, 1, 1), network_id=network.id)
    db.commit()

    body = subscription(client, network)
    parsed = Calendar.from_ical(body)
    # what Thunderbird, Nextcloud and phones read from the calendar itself
    assert str(parsed["x-wr-calname"]) == network.name == str(parsed["name"])
    assert str(parsed["prodid"]).startswith("-//kit//") and str(parsed["version"]) == "2.0"
    assert str(parsed["method"]) == "PUBLISH" and b"REFRESH-INTERVAL;VALUE=DURATION:PT6H" in body
    found = events(body)
    assert set(found) == {
        "Rencontre d'hiver",
        "Rencontre de printemps",
        "Date limite\u00a0: AAP inclusion",
        "Forum de l'emploi",
        "Café numérique",
    }
    winter = found["Rencontre d'hiver"]
    page = f"http://kit.test/n/{network.feed_token}"
    assert winter["dtstart"].dt == soon and winter["dtend"].dt == soon + timedelta(days=1)
    assert str(winter["location"]) == "Médiathèque de Fougères" and str(winter["url"]) == page
    assert "Espace France services de Fougères" in str(winter["description"])
    assert all("dtstamp" in event for event in found.values())
    assert str(found["Forum de l'emploi"]["url"]) == f"http://kit.test/minutes/{meeting.share_token}"
    # the same UIDs as in the minutes' own calendar: importing both never doubles an event
    uids = uids_by_summary(body)
    in_minutes = uids_by_summary(client.get(f"/minutes/{meeting.share_token}.ics").data)
    assert uids["Café numérique"] == in_minutes["Café numérique"]
    assert uids["Rencontre d'hiver"] == in_minutes["Prochaine réunion\u00a0: Rencontre d'hiver"]
    announced = events(client.get(f"/minutes/{meeting.share_token}.ics").data)
    assert str(announced["Prochaine réunion\u00a0: Rencontre d'hiver"]["url"]) == page
    # the second meeting keeps its UID once the first one has taken place
    lifecycle.start(db, first)
    lifecycle.close(db, first)
    assert uids_by_summary(subscription(client, network))["Rencontre de printemps"] == uids["Rencontre de printemps"]


def test_an_empty_network_still_answers_with_a_calendar_and_a_guess_gets_nothing(client, db):
    network = networks.create_network(db, "Réseau tout neuf")
    body = subscription(client, network)
    assert events(body) == {} and b"BEGIN:VCALENDAR" in body
    IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    refused = client.get("/feeds/guess.ics")
    assert refused.status_code == 404 and b"BEGIN:VCALENDAR" not in refused.data


def test_the_network_page_offers_the_subscription(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    page = client.get(f"/n/{network.feed_token}").get_data(as_text=True)
    assert f"webcal://kit.test/feeds/{network.feed_token}.ics" in page
    assert f"http://kit.test/feeds/{network.feed_token}.ics" in page

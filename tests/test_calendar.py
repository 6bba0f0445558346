"""The minutes' dates as iCalendar: deadlines, events, and the network's next meeting."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from kit.core.models import utcnow
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.conftest import gen_participant, gen_template

NEWS = {
    "items": [
        {"type": "funding_call", "title": "AAP inclusion", "deadline": "2027-01-15", "link": "https://example.org/aap"}
    ]
}


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
    lifecycle.create_meeting(
        db, template, title="Rencontre suivante", meeting_date=soon, place="Fougères", network_id=network.id
    )

    response = client.get(f"/minutes/{meeting.share_token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = {str(e["summary"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    assert events["Date limite\u00a0: AAP inclusion"]["dtstart"].dt == date(2027, 1, 15)
    assert events["Forum de l'emploi"]["dtstart"].dt == date(2027, 2, 3)
    assert events["Prochaine réunion\u00a0: Rencontre suivante"]["dtstart"].dt == soon
    assert len({str(e["uid"]) for e in events.values()}) == 3


def test_no_calendar_before_publication(client, db):
    meeting = lifecycle.create_meeting(db, gen_template())
    assert client.get(f"/minutes/{meeting.share_token}.ics").status_code == 404

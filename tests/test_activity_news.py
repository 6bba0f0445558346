"""News: prepared items and the room's proposals; deadlines in date order."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.activities import activity_for
from kit.core import queries
from kit.core.errors import InvalidInput
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate, TemplateError, parse_template
from tests.conftest import gen_participant, gen_template

PREPARED = {
    "items": [
        {
            "type": "funding_call",
            "title": "AAP inclusion numérique",
            "deadline": "2026-05-02",
            "link": "https://example.org/aap",
        },
        {"type": "event", "title": "Journée régionale", "date": "2026-04-10"},
    ]
}


@pytest.fixture
def room(db):  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("news", "Actualité", "", PREPARED)))
    lifecycle.start(db, meeting)
    return meeting, meeting.steps[0], gen_participant(db, meeting)


def propose(db, meeting, step, who, cid, **fields):  # type: ignore[no-untyped-def]
    return lifecycle.contribute(db, meeting, who, step.id, cid, {"type": "other", **fields}).contribution


def test_deadlines_come_in_date_order_and_only_accepted_proposals_are_shown(db, room):
    meeting, step, awa = room
    early = propose(db, meeting, step, awa, "1", type="funding_call", title="AMI départemental", deadline="2026-04-01")
    refused = propose(db, meeting, step, awa, "2", title="Pas pour ici", date="2026-03-01")
    activity = activity_for(step)
    activity.perform(db, "accept", {"id": early.id})
    activity.perform(db, "decline", {"id": refused.id})
    db.commit()
    shown = activity.dated(queries.contributions(db, step))
    assert [e["title"] for e in shown] == ["AMI départemental", "Journée régionale", "AAP inclusion numérique"]
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert text.index("1 avril 2026") < text.index("10 avril 2026") < text.index("2 mai 2026")
    assert "Pas pour ici" not in text and "proposé par Awa" in text
    assert "<https://example.org/aap>" in text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "X", "deadline": "2026-02-30"}, "deadline"),
        ({"title": "X", "date": "demain"}, "date"),
        ({"title": "X", "link": "javascript:alert(1)"}, "link"),
        ({"title": "X", "link": "ftp://example.org"}, "link"),
        ({"title": "  "}, "title"),
        ({"title": "X", "type": "rumour"}, "type"),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field(db, room, fields, field):
    meeting, step, awa = room
    with pytest.raises(InvalidInput) as caught:
        lifecycle.contribute(db, meeting, awa, step.id, "x", {"type": "other", **fields})
    assert caught.value.field == field
    db.rollback()
    assert queries.contributions(db, step) == []


def test_a_prepared_item_with_a_bad_date_is_refused_with_its_place():
    source = (
        'title = "T"\n[[steps]]\nactivity = "news"\ntitle = "Actu"\n'
        '[[steps.options.items]]\ntitle = "AAP"\ntype = "funding_call"\ndeadline = "31/04/2026"\n'
    )
    with pytest.raises(TemplateError) as caught:
        parse_template(Path("actu.toml"), source)
    assert caught.value.key == "options.items[1].deadline"


def test_toml_dates_are_read_as_dates():
    source = (
        'title = "T"\n[[steps]]\nactivity = "news"\ntitle = "Actu"\n'
        '[[steps.options.items]]\ntitle = "AAP"\ndeadline = 2026-04-15\n'
    )
    template = parse_template(Path("actu.toml"), source)
    assert template.steps[0].options["items"][0]["deadline"] == "2026-04-15"

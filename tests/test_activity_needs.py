"""Needs capture: posted, supported, answered now in a time box or deferred to a channel."""

from __future__ import annotations

from datetime import datetime

import pytest

from kit.activities import activity_for
from kit.core import queries
from kit.core.errors import InvalidInput, KitError
from kit.meeting import lifecycle, votes
from kit.meeting.templates import StepTemplate, TemplateError, parse_template
from tests.conftest import gen_participant, gen_template


@pytest.fixture
def room(db):  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("needs", "Besoins", "", {"minutes": 3})))
    lifecycle.start(db, meeting)
    people = [gen_participant(db, meeting, name) for name in ("Awa", "Bruno", "Chloé")]
    return meeting, meeting.steps[0], people


def act(db, meeting, step, action, **payload):  # type: ignore[no-untyped-def]
    assert meeting.current_step_id == step.id
    return lifecycle.act(db, meeting, action, payload)


def test_the_facilitator_answers_the_most_supported_need_first_in_a_time_box(db, room):
    meeting, step, (awa, bruno, chloe) = room
    rare = lifecycle.contribute(db, meeting, awa, step.id, "1", {"text": "Un besoin rare"}).contribution
    shared = lifecycle.contribute(db, meeting, bruno, step.id, "2", {"text": "Un besoin partagé"}).contribution
    for person in (awa, chloe):
        votes.set_vote(db, meeting, person, shared.id, True)
    ordered = activity_for(step).by_votes([rare, shared], queries.tallies(db, step.id))
    assert [c.id for c in ordered] == [shared.id, rare.id]

    act(db, meeting, step, "answer_now", id=shared.id)
    assert step.state["focus"] == shared.id and shared.status == "answering"
    ends = datetime.fromisoformat(step.state["ends_at"])
    assert 170 <= (ends - step.opened_at).total_seconds() <= 190 + 60  # the step's 3 minutes
    act(db, meeting, step, "record_answer", id=shared.id, answer="Voir la fiche de la MedNum")
    assert shared.status == "answered" and shared.outcome == {"answer": "Voir la fiche de la MedNum"}
    assert "focus" not in step.state


def test_a_deferred_need_says_where_it_will_come_back(db, room):
    meeting, step, (awa, *_) = room
    need = lifecycle.contribute(db, meeting, awa, step.id, "1", {"text": "Question RGPD"}).contribution
    act(db, meeting, step, "defer", id=need.id, channel="person", person="Delphine (CCAS)")
    assert need.status == "deferred" and need.outcome == {"channel": "person", "person": "Delphine (CCAS)"}
    act(db, meeting, step, "reopen", id=need.id)
    assert need.status == "open" and need.outcome == {}
    act(db, meeting, step, "defer", id=need.id, channel="next_meeting")
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "Question RGPD" in text and "prochaine réunion" in text


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("defer", {"channel": "pigeon"}),
        ("defer", {"channel": "person", "person": "  "}),
        ("answer_now", {"minutes": 0}),
        ("answer_now", {"minutes": "5"}),
        ("record_answer", {"answer": ""}),
    ],
)
def test_bad_facilitator_input_is_refused_and_changes_nothing(db, room, action, payload):
    meeting, step, (awa, *_) = room
    need = lifecycle.contribute(db, meeting, awa, step.id, "1", {"text": "Un besoin"}).contribution
    with pytest.raises(InvalidInput):
        activity_for(step).perform(db, action, {"id": need.id, **payload})
    db.rollback()
    assert need.status == "open" and step.state == {}


def test_an_action_on_a_need_of_another_meeting_is_refused(db, room):
    meeting, step, _people = room
    other = lifecycle.create_meeting(db, gen_template(StepTemplate("needs", "Besoins", "", {})))
    lifecycle.start(db, other)
    foreign = lifecycle.contribute(db, other, gen_participant(db, other), other.steps[0].id, "x", {"text": "x"})
    with pytest.raises(KitError):
        activity_for(step).perform(db, "answer_now", {"id": foreign.contribution.id})


def test_the_minutes_group_needs_by_what_became_of_them(db, room):
    meeting, step, (awa, bruno, chloe) = room
    answered = lifecycle.contribute(db, meeting, awa, step.id, "1", {"text": "Répondu"}).contribution
    lifecycle.contribute(db, meeting, bruno, step.id, "2", {"text": "Encore ouvert"})
    votes.set_vote(db, meeting, chloe, answered.id, True)
    act(db, meeting, step, "record_answer", id=answered.id, answer="Voici la réponse")
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert text.index("Répondu") < text.index("Encore ouvert")
    assert "Voici la réponse" in text and "1 vote" in text


def test_template_options_are_checked():
    source = 'title = "T"\n[[steps]]\nactivity = "needs"\ntitle = "B"\n[steps.options]\nminutes = 90\n'
    with pytest.raises(TemplateError) as caught:
        parse_template(__import__("pathlib").Path("x.toml"), source)
    assert caught.value.key == "options.minutes"

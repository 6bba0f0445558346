"""Evaluation and polls: one answer per person, results together, never a name."""

from __future__ import annotations

import pytest

from kit.activities import activity_for
from kit.core import queries
from kit.core.errors import InvalidInput
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_participant, gen_template

QUESTIONS = {
    "questions": [
        {"type": "rating", "text": "Cette rencontre vous a-t-elle été utile ?", "scale": 5},
        {"type": "single", "text": "Prochain format ?", "choices": ["Atelier", "Visite", "Conférence"]},
        {"type": "multiple", "text": "Thèmes ?", "choices": ["IA", "Arnaques", "Démarches"]},
        {"type": "open", "text": "À améliorer ?"},
        {"type": "words", "text": "En un mot ?"},
    ]
}


@pytest.fixture
def room(db):  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("poll", "Évaluation", "", QUESTIONS)))
    lifecycle.start(db, meeting)
    return meeting, meeting.steps[0]


def answer(db, meeting, step, who, cid, **answers):  # type: ignore[no-untyped-def]
    return lifecycle.contribute(db, meeting, who, step.id, cid, answers)


def test_results_count_each_person_once_and_keep_their_last_answer(db, room):
    meeting, step = room
    awa, bruno, chloe = (gen_participant(db, meeting, n) for n in ("Awa", "Bruno", "Chloé"))
    answer(db, meeting, step, awa, "a1", q0="2", q1="0", q2=["0", "1"], q3="Plus de temps", q4="convivial, utile")
    answer(db, meeting, step, awa, "a2", q0="5", q1="0", q2=["1"], q4="Convivial")
    answer(db, meeting, step, bruno, "b1", q0=4, q1=2, q2=["1", "2"], q4="utile")
    answer(db, meeting, step, chloe, "c1", q3="Des pauses")
    results = activity_for(step).results(queries.contributions(db, step))
    rating, single, multiple, open_answers, words = results
    assert rating["count"] == 2 and rating["mean"] == 4.5 and dict(rating["rows"])["5"] == 1
    assert dict(single["rows"]) == {"Atelier": 1, "Visite": 0, "Conférence": 1}
    assert dict(multiple["rows"]) == {"IA": 0, "Arnaques": 2, "Démarches": 1}
    assert open_answers["texts"] == ["Des pauses"], "Awa's first open answer was replaced by her second sending"
    assert [(w, n) for w, n, _size in words["words"]] == [("Convivial", 1), ("utile", 1)]
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "3 personnes ont répondu" in text and "4,5 sur 5" in text
    assert "Awa" not in text.split("## Évaluation")[1], "answers are never shown with a name"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"q0": "6"}, "q0"),
        ({"q0": "trois"}, "q0"),
        ({"q1": "7"}, "q1"),
        ({"q2": ["0", "9"]}, "q2"),
        ({"q4": "un, deux, trois, quatre"}, "q4"),
        ({}, "q0"),
        ({"q3": "   "}, "q0"),
    ],
)
def test_an_answer_out_of_range_is_refused(db, room, answers, field):
    meeting, step = room
    awa = gen_participant(db, meeting)
    with pytest.raises(InvalidInput) as caught:
        answer(db, meeting, step, awa, "x", **answers)
    assert caught.value.field == field

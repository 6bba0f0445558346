"""The thematic activities and the roadmap: each validates its own input and writes its own minutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.activities import activity_for
from kit.core import queries
from kit.core.errors import InvalidInput, KitError
from kit.meeting import lifecycle, votes
from kit.meeting.templates import StepTemplate, TemplateError, parse_template
from tests.conftest import gen_participant, gen_template


def live_step(db, activity: str, options: dict | None = None):  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate(activity, "Étape", "", options or {})))
    lifecycle.start(db, meeting)
    return meeting, meeting.steps[0]


def send(db, meeting, step, who, cid, data):  # type: ignore[no-untyped-def]
    return lifecycle.contribute(db, meeting, who, step.id, cid, data).contribution


def test_a_practice_card_keeps_its_fields_and_its_examples_come_first(db):
    example = {"title": "Café numérique", "tip": "Deux personnes à l'accueil"}
    meeting, step = live_step(db, "practice", {"exemplier": [example]})
    awa = gen_participant(db, meeting)
    send(db, meeting, step, awa, "1", {"title": "Quiz mots de passe", "what": "Des cartes imprimées", "tip": ""})
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert text.index("Café numérique") < text.index("Quiz mots de passe")
    assert "Des cartes imprimées" in text and "— Awa" in text


@pytest.mark.parametrize(
    ("activity", "data", "field"),
    [
        ("practice", {"title": "  "}, "title"),
        ("practice", {"title": "x", "colour": "red"}, "colour"),
        ("tools", {"name": "Pix", "link": "javascript:alert(1)"}, "link"),
        ("tools", {"name": "x" * 121}, "name"),
        ("topics", {"topic": 5, "text": "x"}, "topic"),
        ("topics", {"topic": "deux", "text": "x"}, "topic"),
        ("roadmap", {"kind": "item", "section": "dreams", "text": "x"}, "section"),
        ("roadmap", {"kind": "item", "section": "objectives", "text": ""}, "text"),
    ],
)
def test_each_activity_refuses_what_it_cannot_take(db, activity, data, field):
    options = {"topics": [{"title": "A"}, {"title": "B"}]} if activity == "topics" else {}
    meeting, step = live_step(db, activity, options)
    awa = gen_participant(db, meeting)
    with pytest.raises(InvalidInput) as caught:
        send(db, meeting, step, awa, "x", data)
    assert caught.value.field == field
    db.rollback()
    assert queries.contributions(db, step) == []


def test_topic_contributions_go_under_their_topic(db):
    topics = [{"title": "Qui ?", "exemplier": ["La médiathèque"]}, {"title": "Où ?", "exemplier": []}]
    meeting, step = live_step(db, "topics", {"topics": topics})
    awa = gen_participant(db, meeting)
    send(db, meeting, step, awa, "1", {"topic": "1", "text": "Dans les villages"})
    send(db, meeting, step, awa, "2", {"topic": 0, "text": "Le CCAS"})
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert text.index("### Qui ?") < text.index("La médiathèque") < text.index("Le CCAS") < text.index("### Où ?")
    assert text.index("### Où ?") < text.index("Dans les villages")


def test_speaker_questions_are_supported_and_marked_answered(db):
    meeting, step = live_step(db, "speaker", {"speaker": "Mme Durand", "theme": "L'IA au guichet"})
    awa, bruno = gen_participant(db, meeting, "Awa"), gen_participant(db, meeting, "Bruno")
    first = send(db, meeting, step, awa, "1", {"text": "Quels outils ?"})
    second = send(db, meeting, step, bruno, "2", {"text": "Quels risques ?"})
    votes.set_vote(db, meeting, awa, second.id, True)
    activity_for(step).perform(db, "mark_answered", {"id": first.id})
    db.commit()
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "Mme Durand" in text and text.index("Quels risques ?") < text.index("Quels outils ?")


def test_an_animation_test_collects_the_feedback_grid(db):
    meeting, step = live_step(db, "animation", {"animation": "Le jeu des arnaques"})
    awa = gen_participant(db, meeting)
    send(db, meeting, step, awa, "1", {"q0": "Les cartes", "q1": "Plus court", "q2": "5"})
    with pytest.raises(InvalidInput):
        send(db, meeting, step, awa, "2", {"q2": "9"})
    db.rollback()
    results = activity_for(step).results(queries.contributions(db, step))
    assert results[0]["texts"] == ["Les cartes"] and results[2]["mean"] == 5


def test_a_member_signs_the_roadmap_once_and_only_validated_items_count(db):
    meeting, step = live_step(db, "roadmap", {"sections": ["purpose", "objectives"]})
    awa = gen_participant(db, meeting, "Awa", structure="CCAS")
    kept = send(db, meeting, step, awa, "1", {"kind": "item", "section": "objectives", "text": "Se voir chaque mois"})
    send(db, meeting, step, awa, "2", {"kind": "item", "section": "purpose", "text": "Un idée pas encore validée"})
    activity_for(step).perform(db, "validate", {"id": kept.id})
    db.commit()
    send(db, meeting, step, awa, "s1", {"kind": "signature"})
    assert send(db, meeting, step, awa, "s1", {"kind": "signature"}).id, "a resend is the same signature"
    with pytest.raises(KitError) as caught:
        send(db, meeting, step, awa, "s2", {"kind": "signature"})
    assert caught.value.code == "already_signed"
    db.rollback()
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "- Se voir chaque mois" in text
    assert "Un idée pas encore validée — Awa" in text
    assert "Awa (CCAS) —" in text


@pytest.mark.parametrize(
    ("activity", "options", "key"),
    [
        ("topics", '[[steps.options.topics]]\ndescription = "sans titre"\n', "options.topics[1].title"),
        ("roadmap", '[steps.options]\nsections = ["budget"]\n', "options.sections"),
        ("tools", '[[steps.options.exemplier]]\nname = "X"\nlink = "pas un lien"\n', "options.exemplier[1].link"),
        (
            "poll",
            '[steps.options]\nquestions = [{ type = "single", text = "Q", choices = ["seul"] }]\n',
            "options.questions[1].choices",
        ),
        ("speaker", "[steps.options]\nspeaker = 3\n", "options.speaker"),
    ],
)
def test_template_options_of_each_activity_are_checked(activity, options, key):
    source = f'title = "T"\n[[steps]]\nactivity = "{activity}"\ntitle = "É"\n{options}'
    with pytest.raises(TemplateError) as caught:
        parse_template(Path("t.toml"), source)
    assert caught.value.key == key


def test_check_in_grows_the_room_s_skills_directory(db):
    meeting, step = live_step(db, "checkin", {"skills": ["Démarches en ligne", "Ateliers"], "host": "CCAS"})
    awa, bruno = gen_participant(db, meeting, "Awa"), gen_participant(db, meeting, "Bruno")
    send(
        db,
        meeting,
        step,
        awa,
        "1",
        {
            "name": "Awa",
            "role": "Conseillère numérique",
            "offers": ["Démarches en ligne"],
            "offers_other": "Pix, pix",
            "seeks": [],
            "seeks_other": "Parentalité",
        },
    )
    send(db, meeting, step, bruno, "2", {"name": "Bruno", "seeks": "Démarches en ligne", "offers_other": ""})
    activity = activity_for(step)
    contributions = queries.contributions(db, step)
    assert activity.known_skills(contributions) == ["Ateliers", "Démarches en ligne", "Parentalité", "Pix"]
    assert ("Démarches en ligne", ["Awa"], ["Bruno"]) in activity.directory(contributions)
    with pytest.raises(InvalidInput):
        send(db, meeting, step, bruno, "3", {"name": "Bruno", "offers_other": ",".join(f"s{n}" for n in range(11))})
    db.rollback()
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "| Démarches en ligne | Awa | Bruno |" in text and "Conseillère numérique" in text

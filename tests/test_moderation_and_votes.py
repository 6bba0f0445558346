"""Moderation and votes, called directly: nothing a participant sent disappears without a trace."""

from __future__ import annotations

import pytest

from kit.core import queries
from kit.core.errors import InvalidInput, KitError, NotFound
from kit.meeting import lifecycle, moderation, votes
from kit.meeting.templates import StepTemplate
from kit.publishing import minutes
from tests.conftest import gen_participant, gen_template


def needs_meeting(db):  # type: ignore[no-untyped-def]
    template = gen_template(
        StepTemplate("needs", "Besoins", "De quoi avez-vous besoin ?", {}),
        StepTemplate("board", "Idées", "", {}),
    )
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    return meeting


def post(db, meeting, who, cid, text, step=0):  # type: ignore[no-untyped-def]
    return lifecycle.contribute(db, meeting, who, meeting.steps[step].id, cid, {"text": text}).contribution


def test_a_hidden_contribution_leaves_the_screen_and_the_minutes_but_stays_stored(db):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    kept, rude = post(db, meeting, awa, "1", "Un besoin"), post(db, meeting, awa, "2", "Un propos déplacé")
    moderation.hide(db, meeting, rude.id)
    step = meeting.steps[0]
    assert [c.id for c in queries.contributions(db, step)] == [kept.id]
    assert [c.id for c in queries.contributions(db, step, visible_only=False)] == [kept.id, rude.id]
    assert rude.hidden_by == "facilitator" and rude.hidden_at is not None
    lifecycle.close(db, meeting)
    assert "déplacé" not in meeting.minutes_md
    assert "déplacé" not in str(minutes.as_data(db, meeting))


def test_hiding_can_be_undone(db):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "Un besoin")
    moderation.hide(db, meeting, need.id)
    moderation.show(db, meeting, need.id)
    assert need.visible and need.hidden_by is None


def test_an_edit_keeps_the_participants_own_words(db):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "besoin d'un tuto pronote")
    moderation.edit(db, meeting, need.id, "Besoin d'un tutoriel Pronote")
    moderation.edit(db, meeting, need.id, "Un tutoriel Pronote pour les familles")
    assert need.data["text"] == "Un tutoriel Pronote pour les familles"
    assert need.original == {"text": "besoin d'un tuto pronote"}
    with pytest.raises(InvalidInput):
        moderation.edit(db, meeting, need.id, "   ")


def test_a_merged_duplicate_brings_its_votes_without_counting_anyone_twice(db):
    meeting = needs_meeting(db)
    awa, bruno, chloe = (gen_participant(db, meeting, name) for name in ("Awa", "Bruno", "Chloé"))
    first = post(db, meeting, awa, "1", "Former aux arnaques")
    duplicate = post(db, meeting, bruno, "2", "Formation arnaques en ligne")
    votes.set_vote(db, meeting, bruno, first.id, True)
    votes.set_vote(db, meeting, bruno, duplicate.id, True)
    votes.set_vote(db, meeting, chloe, duplicate.id, True)
    moderation.merge(db, meeting, duplicate.id, first.id)
    assert queries.tallies(db, meeting.steps[0].id) == {first.id: 2}
    assert duplicate.merged_into_id == first.id and not duplicate.visible
    assert [c.id for c in moderation.merged_into(db, first)] == [duplicate.id]


@pytest.mark.parametrize("into", ["self", "other step", "missing", "hidden"])
def test_merging_needs_another_visible_contribution_of_the_same_step(db, into):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "A")
    hidden = post(db, meeting, awa, "2", "B")
    moderation.hide(db, meeting, hidden.id)
    lifecycle.move(db, meeting, +1)
    elsewhere = post(db, meeting, awa, "3", "C", step=1)
    target = {"self": need.id, "other step": elsewhere.id, "missing": 999, "hidden": hidden.id}[into]
    with pytest.raises((InvalidInput, NotFound)):
        moderation.merge(db, meeting, need.id, target)
    db.rollback()
    assert need.merged_into_id is None


def test_one_vote_per_person_per_need_and_it_can_be_taken_back(db):
    meeting = needs_meeting(db)
    awa, bruno = gen_participant(db, meeting, "Awa"), gen_participant(db, meeting, "Bruno")
    need = post(db, meeting, awa, "1", "Un besoin")
    assert votes.set_vote(db, meeting, bruno, need.id, True) is True
    assert votes.set_vote(db, meeting, bruno, need.id, True) is False, "a resend counts once"
    votes.set_vote(db, meeting, awa, need.id, True)
    assert queries.tallies(db, meeting.steps[0].id) == {need.id: 2}
    assert votes.set_vote(db, meeting, bruno, need.id, False) is True
    assert votes.set_vote(db, meeting, bruno, need.id, False) is False
    assert queries.tallies(db, meeting.steps[0].id) == {need.id: 1}
    assert votes.my_votes(db, awa) == [need.id] and votes.my_votes(db, bruno) == []


@pytest.mark.parametrize("wanted", ["yes", 1, None])
def test_a_vote_must_say_yes_or_no(db, wanted):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "Un besoin")
    with pytest.raises(KitError):
        votes.set_vote(db, meeting, awa, need.id, wanted)


def test_no_votes_on_a_board_nor_on_a_hidden_need_nor_across_meetings(db):
    meeting, other = needs_meeting(db), needs_meeting(db)
    awa = gen_participant(db, meeting)
    stranger_need = post(db, other, gen_participant(db, other), "x", "ailleurs")
    lifecycle.move(db, meeting, +1)
    card = post(db, meeting, awa, "c", "une idée", step=1)
    with pytest.raises(KitError) as caught:
        votes.set_vote(db, meeting, awa, card.id, True)
    assert caught.value.code == "not_votable"
    with pytest.raises(NotFound):
        votes.set_vote(db, meeting, awa, stranger_need.id, True)
    need = post(db, meeting, awa, "n", "besoin", step=0)
    moderation.hide(db, meeting, need.id)
    with pytest.raises(KitError):
        votes.set_vote(db, meeting, awa, need.id, True)


def test_a_vote_counts_one_more_change_of_the_meeting_and_a_resend_none(db):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "Un accompagnement aux démarches de retraite en ligne")
    before = meeting.version
    assert votes.set_vote(db, meeting, awa, need.id, True) is True
    assert meeting.version == before + 1
    db.expire(meeting)
    assert meeting.version == before + 1, "the version told is the one stored"
    assert votes.set_vote(db, meeting, awa, need.id, True) is False
    assert meeting.version == before + 1


def test_a_vote_sees_what_the_caller_changed_and_did_not_commit_yet(db):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "Un besoin")
    meeting.posting_paused = True  # not committed: the ballot is read after a flush
    with pytest.raises(KitError) as caught:
        votes.set_vote(db, meeting, awa, need.id, True)
    assert caught.value.code == "paused"


def test_a_participant_of_another_meeting_cannot_vote_here(db):
    meeting, other = needs_meeting(db), needs_meeting(db)
    need = post(db, meeting, gen_participant(db, meeting), "1", "Un besoin")
    stranger = gen_participant(db, other, "Chloé")
    with pytest.raises(InvalidInput) as caught:
        votes.set_vote(db, meeting, stranger, need.id, True)
    assert caught.value.code == "forbidden"
    assert queries.tallies(db, meeting.steps[0].id) == {}


@pytest.mark.parametrize("wanted", [True, False], ids=["vote", "take back"])
def test_the_same_vote_sent_twice_at_once_counts_once(app, db, wanted):
    meeting = needs_meeting(db)
    awa = gen_participant(db, meeting)
    need = post(db, meeting, awa, "1", "Un besoin")
    if not wanted:
        votes.set_vote(db, meeting, awa, need.id, True)
    ballot = votes.read_ballot(db, meeting.id, awa.id, need.id)
    db.rollback()
    # another phone of the same person sends it first, between this ballot's reading and its casting
    other = app.extensions["kit.sessionmaker"]()
    assert votes.cast_vote(other, votes.read_ballot(other, meeting.id, awa.id, need.id), wanted) is not None
    other.close()
    db.expire_all()
    version = db.get(type(meeting), meeting.id).version
    assert ballot is not None and (ballot.vote_id is None) == wanted
    # a vote: the unique constraint finds the first one; a take-back: no row is left to delete
    assert votes.cast_vote(db, ballot, wanted) is None
    assert queries.tallies(db, meeting.steps[0].id) == ({need.id: 1} if wanted else {})
    db.expire_all()
    assert db.get(type(meeting), meeting.id).version == version, "nothing more was counted"

"""The meeting lifecycle, called directly: no sockets, no pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kit.core import queries
from kit.core.errors import InvalidInput, KitError, NotFound
from kit.core.models import Contribution, Status
from kit.meeting import lifecycle
from tests.conftest import gen_meeting, gen_participant


def count(db) -> int:
    return db.scalar(select(func.count(Contribution.id)))


def test_a_new_meeting_is_prepared_with_the_template_steps_and_its_own_secrets(db):
    first, second = gen_meeting(db), gen_meeting(db)
    assert first.state is Status.PREPARED
    assert [s.title for s in first.steps] == ["Accueil", "Besoins", "Évaluation"]
    assert first.steps[1].options == {"exemplier": ["Un exemple"], "max_length": 500}
    assert len(first.code) == 6 and set(first.code) <= set(lifecycle.CODE_ALPHABET)
    assert first.code != second.code
    assert len({first.facilitator_key, first.screen_key, first.share_token, second.facilitator_key}) == 4


def test_the_code_may_be_typed_in_lower_case_with_a_dash(db):
    meeting = gen_meeting(db)
    typed = f"{meeting.code[:3].lower()}-{meeting.code[3:].lower()} "
    assert lifecycle.get_meeting(db, typed).id == meeting.id
    with pytest.raises(NotFound):
        lifecycle.get_meeting(db, "ZZZZZZ")


def test_start_opens_the_first_step_and_moving_follows_the_order(db):
    meeting = gen_meeting(db)
    version = meeting.version
    first = lifecycle.start(db, meeting)
    assert meeting.state is Status.LIVE and meeting.current_step_id == first.id == meeting.steps[0].id
    assert meeting.version > version
    assert lifecycle.move(db, meeting, +1).id == meeting.steps[1].id
    assert lifecycle.move(db, meeting, -1).id == meeting.steps[0].id
    with pytest.raises(KitError):
        lifecycle.move(db, meeting, -1)
    last = lifecycle.go_to_step(db, meeting, meeting.steps[2].id)
    assert meeting.current_step_id == last.id and last.opened_at is not None
    with pytest.raises(KitError):
        lifecycle.start(db, meeting)


def test_a_step_of_another_meeting_cannot_be_shown(db):
    meeting, other = gen_meeting(db, live=True), gen_meeting(db, live=True)
    with pytest.raises(NotFound):
        lifecycle.go_to_step(db, meeting, other.steps[1].id)
    with pytest.raises(NotFound):
        lifecycle.go_to_step(db, meeting, "2")
    assert meeting.current_step_id == meeting.steps[0].id


def test_a_contribution_is_stored_once_whatever_the_resends(db):
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1)
    awa = gen_participant(db, meeting)
    first = lifecycle.contribute(db, meeting, awa, board.id, "abc", {"text": "  Un besoin  "})
    again = lifecycle.contribute(db, meeting, awa, board.id, "abc", {"text": "Un besoin"})
    assert first.changed and not again.changed
    assert first.contribution.id == again.contribution.id
    assert first.contribution.data == {"text": "Un besoin"}
    assert count(db) == 1


def test_two_people_may_use_the_same_client_id(db):
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1)
    awa, bruno = gen_participant(db, meeting), gen_participant(db, meeting, "Bruno")
    lifecycle.contribute(db, meeting, awa, board.id, "same", {"text": "A"})
    lifecycle.contribute(db, meeting, bruno, board.id, "same", {"text": "B"})
    assert count(db) == 2


def test_a_check_in_sent_again_replaces_the_first_and_updates_the_person(db):
    meeting = gen_meeting(db, live=True)
    awa = gen_participant(db, meeting)
    step = meeting.steps[0]
    lifecycle.contribute(db, meeting, awa, step.id, "one", {"name": "Awa", "structure": "", "territory": ""})
    second = lifecycle.contribute(
        db, meeting, awa, step.id, "two", {"name": "Awa D.", "structure": "CCAS", "territory": "Vitré"}
    )
    assert second.changed
    assert count(db) == 1
    assert (awa.display_name, awa.structure, awa.territory) == ("Awa D.", "CCAS", "Vitré")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"text": ""}, "empty"),
        ({"text": "    \n  "}, "empty"),
        ({"text": "x" * 501}, "too_long"),
        ({"text": 42}, "invalid"),
        ({"other": "x"}, "empty"),
        ("just a string", "bad_request"),
        (None, "bad_request"),
        (["text"], "bad_request"),
    ],
)
def test_bad_contributions_are_refused_and_change_nothing(db, data, code):
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1)
    awa = gen_participant(db, meeting)
    version = meeting.version
    with pytest.raises(InvalidInput) as caught:
        lifecycle.contribute(db, meeting, awa, board.id, "x1", data)
    assert caught.value.code == code
    db.rollback()
    assert count(db) == 0 and meeting.version == version


def test_contributions_wait_for_the_start_and_stop_at_the_close(db):
    meeting = gen_meeting(db)
    awa = gen_participant(db, meeting)
    with pytest.raises(KitError) as caught:
        lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "early", {"name": "Awa"})
    assert caught.value.code == "not_started"
    lifecycle.start(db, meeting)
    with pytest.raises(KitError) as caught:
        lifecycle.contribute(db, meeting, awa, meeting.steps[2].id, "ahead", {"text": "trop tôt"})
    assert caught.value.code == "step_not_open"
    lifecycle.close(db, meeting)
    with pytest.raises(KitError) as caught:
        lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "late", {"name": "Awa"})
    assert caught.value.code == "closed"
    assert count(db) == 0


def test_a_contribution_to_an_earlier_step_is_still_accepted(db):
    """A phone that was offline while the facilitator moved on loses nothing."""
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1)
    lifecycle.move(db, meeting, +1)
    awa = gen_participant(db, meeting)
    outcome = lifecycle.contribute(db, meeting, awa, board.id, "late", {"text": "écrit hors ligne"})
    assert outcome.contribution.step_id == board.id


def test_a_participant_of_another_meeting_cannot_contribute(db):
    meeting, other = gen_meeting(db, live=True), gen_meeting(db, live=True)
    stranger = gen_participant(db, other)
    with pytest.raises(InvalidInput):
        lifecycle.contribute(db, meeting, stranger, meeting.steps[0].id, "x", {"name": "X"})
    assert lifecycle.get_participant(db, meeting, stranger.token) is None
    assert lifecycle.get_participant(db, other, stranger.token).id == stranger.id


@pytest.mark.parametrize("name", ["", "    ", "\t\n", None, 12, "x" * 61])
def test_joining_needs_a_real_name(db, name):
    meeting = gen_meeting(db)
    with pytest.raises(InvalidInput):
        lifecycle.join(db, meeting, name)
    db.rollback()
    assert queries.participants(db, meeting) == []


def test_joining_keeps_the_name_clean(db):
    meeting = gen_meeting(db)
    awa = lifecycle.join(db, meeting, "  Awa\u0000  Diallo ", " CCAS\n de Rennes ", "")
    assert (awa.display_name, awa.structure) == ("Awa Diallo", "CCAS de Rennes")


def test_nobody_joins_a_closed_meeting(db):
    meeting = gen_meeting(db, live=True)
    lifecycle.close(db, meeting)
    with pytest.raises(KitError) as caught:
        lifecycle.join(db, meeting, "Tardif")
    assert caught.value.code == "closed"


def test_close_writes_minutes_and_publish_needs_a_closed_meeting(db):
    meeting = gen_meeting(db, live=True)
    with pytest.raises(KitError):
        lifecycle.publish(db, meeting)
    minutes = lifecycle.close(db, meeting)
    assert meeting.state is Status.CLOSED and meeting.minutes_md == minutes
    assert "# Rencontre test" in minutes
    token = lifecycle.publish(db, meeting)
    assert meeting.state is Status.PUBLISHED and token == meeting.share_token
    with pytest.raises(KitError):
        lifecycle.close(db, meeting)


def test_counts_follow_the_current_step(db):
    meeting = gen_meeting(db, live=True)
    awa = gen_participant(db, meeting)
    gen_participant(db, meeting, "Bruno")
    lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "c1", {"name": "Awa"})
    assert lifecycle.counts(db, meeting) == {"participants": 2, "contributions": 1}
    lifecycle.move(db, meeting, +1)
    assert lifecycle.counts(db, meeting) == {"participants": 2, "contributions": 0}


def test_a_lone_surrogate_is_dropped_not_stored(db):
    """Found by fuzzing: '\\ud800' cannot be encoded, and must not crash the join."""
    meeting = gen_meeting(db)
    eve = lifecycle.join(db, meeting, "Eve\ud800", "", "\udfff Rennes")
    assert (eve.display_name, eve.territory) == ("Eve", "Rennes")

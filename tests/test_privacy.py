"""Personal data kept no longer than needed: old meetings lose who came, keep what was said."""

from __future__ import annotations

from datetime import timedelta

from kit.cli import main
from kit.core.models import utcnow
from kit.meeting import lifecycle
from kit.meeting.privacy import forget_old_meetings
from tests.conftest import gen_meeting, gen_participant


def closed_meeting(db):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True)
    awa = gen_participant(db, meeting, "Awa Diallo", structure="CCAS de Vitré", territory="Vitré")
    lifecycle.contribute(
        db,
        meeting,
        awa,
        meeting.steps[0].id,
        "c",
        {"name": "Awa Diallo", "structure": "CCAS de Vitré", "territory": "Vitré", "role": "CnFS"},
    )
    lifecycle.move(db, meeting, +1)
    lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "b", {"text": "Un guide sur les arnaques"})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting, awa


def test_an_old_meeting_forgets_who_came_and_keeps_what_was_said(db):
    meeting, awa = closed_meeting(db)
    old_token = awa.token
    assert forget_old_meetings(db, 30) == [], "a meeting closed today is kept whole"
    erased = forget_old_meetings(db, 30, now=utcnow() + timedelta(days=31))
    assert [m.id for m in erased] == [meeting.id]
    text = meeting.minutes_md
    assert "Awa" not in text and "CCAS de Vitré" not in text and "CnFS" not in text
    assert "Participant 1" in text and "Un guide sur les arnaques" in text
    assert awa.token != old_token and lifecycle.get_participant(db, meeting, old_token) is None
    assert forget_old_meetings(db, 30, now=utcnow() + timedelta(days=60)) == [], "once is enough"


def test_the_command_is_safe_to_run_from_cron(app, db, monkeypatch, capsys):
    closed_meeting(db)
    monkeypatch.setenv("KIT_INSTANCE_PATH", app.instance_path)
    assert main(["forget"]) == 1
    assert "KIT_RETENTION_DAYS" in capsys.readouterr().err
    monkeypatch.setenv("KIT_RETENTION_DAYS", "365")
    assert main(["forget"]) == 0 and main(["forget", "--days", "1"]) == 0
    assert "0 réunion" in capsys.readouterr().out


def test_forgetting_names_keeps_what_the_facilitator_wrote_in_the_minutes(db):
    meeting, awa = closed_meeting(db)
    edited = meeting.minutes_md.replace(
        "- Un guide sur les arnaques", "- Un guide sur les arnaques en ligne, à relire"
    ) + (
        "\n## Note de l'animatrice\n\nMerci à Awa Diallo pour l'accueil ; la prochaine rencontre aura lieu "
        "à la médiathèque, le compte rendu part dans la lettre du réseau de mai.\n"
    )
    lifecycle.edit_minutes(db, meeting, edited)
    forget_old_meetings(db, 30, now=utcnow() + timedelta(days=31))
    text = meeting.minutes_md
    assert "Awa" not in text and "CCAS de Vitré" not in text and "CnFS" not in text
    assert "Merci à Participant 1 pour l'accueil" in text, "the facilitator's note stays, the name goes"
    assert "arnaques en ligne, à relire" in text, "the facilitator's edit is not undone"
    assert "## Note de l'animatrice" in text

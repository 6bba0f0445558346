"""CSV exports are a contract: golden files for a fixed meeting, tricky texts included."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kit.core.models import Contribution
from kit.meeting import lifecycle, moderation
from kit.meeting.templates import StepTemplate
from kit.publishing import exports
from tests.conftest import gen_participant, gen_template

GOLDEN = Path(__file__).resolve().parent / "golden"
TRICKY = [
    'Un texte, avec "des guillemets", des virgules',
    "Sur deux\nlignes",
    "=cmd|' /C calc'!A0",
    "+33 6 00 00 00 00",
    "-moins",
    "@SUM(A1:A2)",
    "Point-virgule ; au milieu",
]


def fixed_meeting(db):  # type: ignore[no-untyped-def]
    template = gen_template(
        StepTemplate("checkin", "Accueil", "", {}),
        StepTemplate("needs", "Besoins", "", {}),
        StepTemplate("topics", "Projets", "", {"topics": [{"title": "Semaine du numérique"}, {"title": "Annuaire"}]}),
        StepTemplate("board", "Évaluation", "", {}),
        title="Rencontre de mars",
    )
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting, "Awa", structure="CCAS", territory="Vitré")
    bruno = gen_participant(db, meeting, "=Bruno", structure="", territory="")
    lifecycle.contribute(
        db,
        meeting,
        awa,
        meeting.steps[0].id,
        "c1",
        {"name": "Awa", "structure": "CCAS", "territory": "Vitré", "role": "CnFS"},
    )
    needs = lifecycle.move(db, meeting, +1)
    for n, text in enumerate(TRICKY):
        lifecycle.contribute(db, meeting, awa if n % 2 else bruno, needs.id, f"n{n}", {"text": text})
    hidden = lifecycle.contribute(db, meeting, bruno, needs.id, "rude", {"text": "Propos masqué"}).contribution
    moderation.hide(db, meeting, hidden.id)
    topics = lifecycle.move(db, meeting, +1)
    lifecycle.contribute(db, meeting, awa, topics.id, "t1", {"topic": 1, "text": "Une fiche par lieu"})
    # the step "Évaluation" is never reached: a meeting that ends early
    for contribution in db.query(Contribution).all():
        contribution.created_at = datetime(2026, 3, 12, 13, 30, tzinfo=UTC)
    db.commit()
    lifecycle.close(db, meeting)
    return meeting


@pytest.mark.parametrize(("name", "french"), [("meeting.csv", False), ("meeting-fr.csv", True)])
def test_the_export_matches_its_golden_file(db, name, french):
    meeting = fixed_meeting(db)
    produced = exports.to_csv(db, meeting, meeting.steps, french_spreadsheet=french)
    golden = GOLDEN / name
    if os.environ.get("KIT_UPDATE_GOLDEN"):  # after a deliberate change of format: rewrite, review, commit
        golden.write_bytes(produced.encode("utf-8"))
    assert produced.encode("utf-8") == golden.read_bytes(), f"{name} changed: is the export format meant to change?"


def test_every_row_and_column_is_where_it_belongs(db):
    meeting = fixed_meeting(db)
    text = exports.to_csv(db, meeting, meeting.steps, french_spreadsheet=True)
    assert text.startswith("\ufeff") and "\r\n" in text
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert table[0] == ["Étape", "Activité", "Thème ou partie", "Auteur", "Texte", "Votes", "Statut", "Heure"]
    assert all(len(row) == 8 for row in table)
    texts = [row[4] for row in table[1:]]
    assert "Sur deux\nlignes" in texts and 'Un texte, avec "des guillemets", des virgules' in texts
    assert "'=cmd|' /C calc'!A0" in texts and "'+33 6 00 00 00 00" in texts and "'@SUM(A1:A2)" in texts
    assert "'=Bruno" in [row[3] for row in table[1:]]
    assert "Propos masqué" not in text
    assert [
        "Projets",
        "Fiches thématiques",
        "Annuaire",
        "Awa",
        "Une fiche par lieu",
        "",
        "ouvert",
        "2026-03-12T14:30:00+01:00",
    ] in table


def test_an_empty_meeting_exports_a_header_only(db):
    meeting = lifecycle.create_meeting(db, gen_template())
    text = exports.to_csv(db, meeting, meeting.steps)
    assert text.count("\r\n") == 1


def test_the_console_downloads_the_export_at_any_moment(client, db):
    meeting = fixed_meeting(db)
    base = f"/m/{meeting.code}/export.csv"
    assert client.get(base).status_code == 403
    whole = client.get(base, query_string={"key": meeting.facilitator_key})
    assert whole.status_code == 200 and whole.mimetype == "text/csv"
    one = client.get(base, query_string={"key": meeting.facilitator_key, "step": meeting.steps[1].id, "format": "fr"})
    assert one.data.startswith("\ufeff".encode()) and b"Accueil" not in one.data

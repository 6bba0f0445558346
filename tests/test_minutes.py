"""The minutes: who came and each step's outcome, safe as a page, the same content as data."""

from __future__ import annotations

from datetime import date

from kit.core.markdown_text import escape, to_safe_html
from kit.meeting import lifecycle
from kit.publishing import minutes
from tests.conftest import gen_meeting, gen_participant


def run_short_meeting(db):
    meeting = gen_meeting(db, live=True, meeting_date=date(2026, 3, 12), place="Médiathèque de Vitré")
    awa = gen_participant(db, meeting, "Awa", structure="CCAS", territory="Vitré")
    bruno = gen_participant(db, meeting, "Bruno", structure="", territory="")
    lifecycle.contribute(
        db, meeting, awa, meeting.steps[0].id, "c1", {"name": "Awa", "structure": "CCAS", "territory": "Vitré"}
    )
    board = lifecycle.move(db, meeting, +1)
    lifecycle.contribute(db, meeting, awa, board.id, "b1", {"text": "Un guide sur les arnaques"})
    lifecycle.contribute(db, meeting, bruno, board.id, "b2", {"text": "# pas un titre\n[lien](javascript:alert(1))"})
    lifecycle.close(db, meeting)
    return meeting


def test_minutes_say_who_came_and_what_each_reached_step_produced(db):
    meeting = run_short_meeting(db)
    text = meeting.minutes_md
    assert text.startswith("# Rencontre test\n")
    assert "12 mars 2026" in text and "Médiathèque de Vitré" in text
    assert "| Awa | CCAS | Vitré |" in text and "| Bruno |  |  |" in text
    assert text.index("## Présents (2)") < text.index("## Accueil") < text.index("## Besoins")
    assert "1 personne a indiqué sa présence" in text
    assert "Un guide sur les arnaques — Awa" in text
    assert "Un exemple" in text  # the exemplier given to the room
    # a step never opened is named, not shown as empty
    assert "## Évaluation" not in text and "Évaluation" in text


def test_what_people_typed_never_becomes_markup(db):
    meeting = run_short_meeting(db)
    html = to_safe_html(meeting.minutes_md)
    assert "<h1>pas un titre" not in html and "# pas un titre" in html
    assert "<a " not in html


def test_safe_html_drops_scripts_images_and_handlers():
    html = to_safe_html(
        '<script>alert(1)</script>\n\n<img src="http://example.org/x.png" onerror="alert(1)">\n\n'
        "[ok](https://example.org) [bad](javascript:alert(1))"
    )
    assert "<script" not in html and "<img" not in html and "onerror" not in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "javascript:" not in html


def test_escape_keeps_the_text_as_written():
    tricky = "1. pas une liste\n- pas une puce\n<b>gras?</b> *étoiles* [x](y) | barre & co"
    html = to_safe_html(escape(tricky))
    for piece in (
        "1. pas une liste",
        "- pas une puce",
        "&lt;b&gt;gras?&lt;/b&gt;",
        "*étoiles*",
        "[x](y)",
        "| barre &amp; co",
    ):
        assert piece in html, piece
    assert "<ol>" not in html and "<ul>" not in html and "<em>" not in html


def test_json_carries_the_same_content(db):
    meeting = run_short_meeting(db)
    data = minutes.as_data(db, meeting)
    assert data["format"] == "kit-minutes/1"
    assert data["title"] == "Rencontre test" and data["date"] == "2026-03-12"
    assert [p["name"] for p in data["participants"]] == ["Awa", "Bruno"]
    assert [s["title"] for s in data["steps"]] == ["Accueil", "Besoins"]
    board = data["steps"][1]
    assert [c["data"]["text"] for c in board["contributions"]] == [
        "Un guide sur les arnaques",
        "# pas un titre\n[lien](javascript:alert(1))",
    ]
    assert board["options"]["exemplier"] == ["Un exemple"]

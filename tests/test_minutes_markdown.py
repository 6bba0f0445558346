"""The minutes as a reader gets them: the network's name by the title, Markdown without a backslash
where the character is harmless, and still no markup of anyone's making; tables ready to stack."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kit.core import queries
from kit.core.db import get_session
from kit.core.markdown_text import escape, escape_as_before, to_safe_html
from kit.meeting import lifecycle, privacy
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.conftest import gen_participant, gen_template
from tests.test_standalone import long_meeting

NETWORK = "Réseau des aidants numériques d'Ille-et-Vilaine"

# what people type, friendly or not
TEXTS = [
    "Bienvenue à toutes et à tous !",
    "Rendez-vous au #CCI35 jeudi, après le repas (salle B).",
    "#CCI",
    "# titre",
    "## Titre ##",
    "Langage C#",
    "*gras*",
    "**très gras**",
    "_souligné_",
    "mot_de_passe et __init__",
    "<img src=x onerror=alert(1)>",
    "<script>alert('coucou')</script>",
    "[lien](javascript:alert(1))",
    "![image](http://exemple.fr/x.png)",
    "<https://exemple.fr>",
    "<1@exemple.fr>",
    "<!-- commentaire -->",
    '<a href="javascript:x">clic</a>',
    "3 < 5 et 5 > 3, moins de < 5 ans",
    "> une citation",
    "- un tiret",
    "+ un plus",
    "1. premier point",
    "1) premier point",
    "1.5 heure de formation",
    "---",
    "***",
    "___",
    "a | b | c",
    "`code`",
    "C:\\Documents\\aidants",
    "fin\\",
    "\\#pas un titre",
    "&eacute; &amp; &#60; Dupont & fils, Q&R",
    "{accolades} (parenthèses) [crochets]",
    "Très bien !!! :) 100 % d'accord ?",
    "ligne 1\n# ligne 2\n- ligne 3\n> ligne 4\n1. ligne 5\n===",
    "a*b*c et 2 * 3 = 6",
    "https://exemple.fr/?q=*a*&r=_b_",
    "[x]: http://mal.exemple.fr",
    "x__y__z",
]
CONTEXTS = [
    lambda t: t,
    lambda t: "- " + t,
    lambda t: "| Nom | Texte |\n|---|---|\n| Awa | " + t + " |",
    lambda t: "## " + t,
    lambda t: "**" + t + "**",
    lambda t: "*" + t + "*",
    lambda t: "> " + t,
    lambda t: t + " (3)",
    lambda t: "1. " + t,
]


def test_lighter_escaping_renders_exactly_as_escaping_everything_did():
    for text, context in itertools.product(TEXTS, CONTEXTS):
        if "\n" in text and context is not CONTEXTS[0]:
            continue
        assert to_safe_html(context(escape(text))) == to_safe_html(context(escape_as_before(text))), (text, context(""))


def test_harmless_punctuation_stays_as_typed():
    assert escape("Bienvenue à toutes et à tous !") == "Bienvenue à toutes et à tous !"
    assert escape("Rendez-vous au #CCI35 jeudi, après le repas (salle B).") == (
        "Rendez-vous au #CCI35 jeudi, après le repas (salle B)."
    )
    assert escape("mot_de_passe, Dupont & fils, 100 % d'accord ?") == "mot_de_passe, Dupont & fils, 100 % d'accord ?"
    # where Markdown would misread it, still escaped
    assert escape("#CCI") == "\\#CCI" and escape("*gras*") == "\\*gras\\*"
    assert escape("<img src=x>").startswith("&lt;img")


@pytest.fixture
def board_minutes(app: Flask, db):  # type: ignore[no-untyped-def]
    network = networks.create_network(db, NETWORK, "Ille-et-Vilaine")
    template = gen_template(
        StepTemplate("board", "Tour de table", "Une phrase pour vous présenter, et vos attentes.", {}),
        title="Rencontre de réseau d'avril",
    )
    meeting = lifecycle.create_meeting(db, template, network_id=network.id)
    lifecycle.start(db, meeting)
    people = [gen_participant(db, meeting, f"Participant·e n° {n + 1}") for n in range(len(TEXTS))]
    for n, (person, text) in enumerate(zip(people, TEXTS, strict=True)):
        lifecycle.contribute(db, meeting, person, meeting.steps[0].id, f"t-{n}", {"text": text})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting


def test_the_markdown_reads_plainly_and_what_people_typed_never_becomes_markup(board_minutes, client: FlaskClient):
    meeting = board_minutes
    markdown = client.get(f"/minutes/{meeting.share_token}.md").get_data(as_text=True)
    assert "Bienvenue à toutes et à tous !" in markdown
    assert "Rendez-vous au #CCI35 jeudi, après le repas (salle B)." in markdown
    assert "\\!" not in markdown and "\\#CCI35" not in markdown and "salle B\\)" not in markdown
    page = client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    article = page.split('<article class="minutes">')[1].split("</article>")[0]
    # the title and headings are kit's; nothing people typed adds one, nor emphasis, images, links or code
    assert article.count("<h1>") == 1 and "<h2>titre" not in article
    said = article.split("<h2>Tour de table</h2>")[1].split("<ul>")[1].split("</ul>")[0]
    assert said.count("<li>") == len(TEXTS)
    for markup in ("<em>", "<strong>", "<img", "<script", "<a ", "<code>", "<blockquote>", "<hr", "<h", "<ol>"):
        assert markup not in said, markup
    for shown in ("# titre", "*gras*", "&lt;img src=x onerror=alert(1)&gt;", "[lien](javascript:alert(1))"):
        assert shown in article, shown


def test_the_network_is_named_by_the_title_in_every_form(app: Flask, client: FlaskClient):
    with app.app_context():
        meeting = long_meeting(get_session(), Path(app.instance_path))
        token, code = meeting.share_token, meeting.code
    markdown = client.get(f"/minutes/{token}.md").get_data(as_text=True)
    head = markdown.split("\n## ")[0]
    assert f"**Réseau** : {NETWORK}" in head
    page = client.get(f"/minutes/{token}").get_data(as_text=True)
    top = page.split("<h2>")[0]
    assert "Réseau des aidants numériques d" in top
    onefile = client.get(f"/minutes/{token}.html").get_data(as_text=True)
    assert "Réseau des aidants numériques d" in onefile.split("<h2>")[0]
    # minutes edited without it still say whose they are, on the page
    with app.app_context():
        db = get_session()
        edited = lifecycle.get_meeting(db, code)
        edited.minutes_md = "# Rencontre de mars\n\nLa suite au prochain numéro."
        db.commit()
    page = client.get(f"/minutes/{token}").get_data(as_text=True)
    assert '<p class="kicker">Réseau : Réseau des aidants numériques d' in page


def test_every_table_cell_carries_its_column_heading_for_a_phone(app: Flask, client: FlaskClient):
    with app.app_context():
        meeting = long_meeting(get_session(), Path(app.instance_path))
        token = meeting.share_token
    page = client.get(f"/minutes/{token}").get_data(as_text=True)
    who = page.split("Présents (12)")[1].split("</table>")[0]
    cells = re.findall(r"<td( [^>]*)?>", who)
    assert len(cells) == 36, "12 people, 3 columns"
    assert all('data-label="' in cell for cell in cells)
    assert {re.search(r'data-label="([^"]*)"', cell).group(1) for cell in cells} == {"Nom", "Structure", "Territoire"}  # type: ignore[union-attr]
    # a heading with markup-like text stays an attribute's text
    html = to_safe_html('| Nom "x" <b>y</b> |\n|---|\n| Awa |')
    assert 'data-label="Nom &quot;x&quot; y"' in html


def test_a_withdrawal_finds_the_words_in_minutes_written_by_an_earlier_kit(board_minutes, db):
    meeting = board_minutes
    said = "Rendez-vous au #CCI35 jeudi, après le repas (salle B)."
    # minutes published before kit escaped less: every punctuation mark has its backslash
    meeting.minutes_md = meeting.minutes_md.replace(escape(said), escape_as_before(said))
    db.commit()
    assert "au \\#CCI35 jeudi, après le repas \\(salle B\\)." in meeting.minutes_md
    [card] = [c for c in queries.contributions(db, meeting.steps[0]) if c.data.get("text") == said]
    privacy.withdraw(db, card.participant, card.id)
    assert "CCI35" not in meeting.minutes_md and "salle B" not in meeting.minutes_md
    assert "à la demande" in meeting.minutes_md, "where the words stood, the minutes say they were removed"


def test_the_json_minutes_come_from_the_minutes_as_published(board_minutes, db, client: FlaskClient):
    meeting = board_minutes
    # the facilitator takes two cards and a person out of the published minutes, and adds a word
    kept = [
        line
        for line in meeting.minutes_md.split("\n")
        if not line.startswith(("- Bienvenue à toutes et à tous !", "- Rendez-vous au #CCI35"))
        and not line.startswith("| Participant·e n° 2 |")
    ]
    lifecycle.edit_minutes(db, meeting, "\n".join(kept) + "\n\nMerci à la médiathèque pour son accueil.\n")
    data = client.get(f"/minutes/{meeting.share_token}.json").get_json()
    texts = [c["data"]["text"] for c in data["steps"][0]["contributions"]]
    assert "Bienvenue à toutes et à tous !" not in texts
    assert "Rendez-vous au #CCI35 jeudi, après le repas (salle B)." not in texts
    assert "Langage C#" in texts and len(texts) == len(TEXTS) - 2
    names = [p["name"] for p in data["participants"]]
    assert "Participant·e n° 2" not in names and "Participant·e n° 1" in names
    assert data["markdown"] == meeting.minutes_md and "Merci à la médiathèque" in data["markdown"]

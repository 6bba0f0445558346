"""Nested lists as kit writes them: the same tree in kit's renderer (Python-Markdown) and in a
CommonMark renderer (markdown-it-py), on real minutes and the newsletter — sub-items stay under
their item on the published page, in the feed, and wherever the downloaded `.md` is read."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from kit.core.markdown_text import nest_as_commonmark, to_safe_html
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.publishing import newsletter
from tests.conftest import gen_participant, gen_template
from tests.test_standalone import long_meeting

STRUCTURE = {"ul", "ol", "li", "h1", "h2", "h3", "h4", "table", "tr", "th", "td", "blockquote", "pre"}


class Skeleton(HTMLParser):
    """The structure a reader sees: lists, items, headings, cells, and the words in each (whether
    an item's text is wrapped in <p> or a line ends in <br> or <br /> differs between renderers)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.text: list[str] = []

    def flush(self) -> None:
        words = " ".join("".join(self.text).split())
        if words:
            self.parts.append(words)
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in STRUCTURE:
            self.flush()
            self.parts.append(f"<{tag}>")
        elif tag in ("br", "p"):
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in STRUCTURE:
            self.flush()
            self.parts.append(f"</{tag}>")
        elif tag == "p":
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def skeleton(html_text: str) -> list[str]:
    parser = Skeleton()
    parser.feed(html_text)
    parser.close()
    parser.flush()
    return parser.parts


COMMONMARK = MarkdownIt("commonmark").enable("table")


def agree(markdown_text: str) -> list[str]:
    """The tree both renderers make of this Markdown, after checking they make the same one."""
    kit_tree = skeleton(to_safe_html(markdown_text))
    commonmark_tree = skeleton(COMMONMARK.render(markdown_text))
    assert kit_tree == commonmark_tree
    return kit_tree


def depth_of(tree: list[str], words: str) -> int:
    """How many lists enclose the first text that contains `words`."""
    depth = 0
    for part in tree:
        if part in ("<ul>", "<ol>"):
            depth += 1
        elif part in ("</ul>", "</ol>"):
            depth -= 1
        elif words in part:
            return depth
    raise AssertionError(f"{words!r} is not in the page")


PRACTICES = [
    (
        "Awa Diallo",
        {
            "title": "Ateliers « premiers pas » à la médiathèque",
            "context": "Le mardi matin, avec les habitants du quartier de Maurepas qui n'ont jamais tenu une tablette.",
            "what": "Six séances d'une heure et demie, en petits groupes.\nUne fiche à emporter à chaque séance.",
            "result": "Huit personnes sur dix reviennent ; deux ont créé leur compte France Travail seules.",
            "tip": "Commencer par les photos des petits-enfants : tout le monde veut les voir !",
        },
    ),
    (
        "Bruno Le Gall",
        {
            "title": "Permanence numérique au CCAS de Vitré",
            "context": "Chaque jeudi après-midi, sans rendez-vous, dans la salle d'attente.",
            "what": "Aide aux démarches (CAF, ANTS, impôts) et prêt d'un ordinateur portable.",
            "result": "Une quarantaine de passages par mois, surtout des retraités.",
            "tip": "Afficher les papiers à apporter : on gagne un quart d'heure par personne.",
        },
    ),
]


def test_sub_items_of_the_minutes_nest_alike_in_both_renderers(db):
    topics = {
        "topics": [
            {
                "title": "Semaine du numérique à Fougères",
                "description": "Une semaine d'ateliers ouverts dans les lieux du réseau, en octobre.",
                "exemplier": [
                    {
                        "title": "Un atelier par lieu",
                        "text": "Chaque structure ouvre ses portes une demi-journée.\nOn partage un seul programme.",
                    },
                    {"title": "Un village numérique", "text": "Des stands sur la place du marché, un samedi."},
                ],
            }
        ]
    }
    template = gen_template(
        StepTemplate("practice", "Partage de pratiques", "Qu'avez-vous essayé ce mois-ci ?", {}),
        StepTemplate("topics", "Projets du réseau", "", topics),
    )
    meeting = lifecycle.create_meeting(db, template, title="Rencontre de réseau de novembre — Pays de Vitré")
    lifecycle.start(db, meeting)
    for n, (name, card) in enumerate(PRACTICES):
        who = gen_participant(db, meeting, name)
        lifecycle.contribute(db, meeting, who, meeting.steps[0].id, f"card-{n}", card)
    lifecycle.move(db, meeting, +1)
    lifecycle.close(db, meeting)
    source = meeting.minutes_md or ""
    assert "\n    - " in source  # kit writes sub-items four spaces in: Python-Markdown's level

    tree = agree(source)
    assert depth_of(tree, "Ateliers « premiers pas »") == 1
    assert depth_of(tree, "Le mardi matin") == 2  # the card's fields under the card
    assert depth_of(tree, "Une fiche à emporter") == 2  # a second line of a field stays in it
    assert depth_of(tree, "Permanence numérique") == 1  # the next card is not a field of the first
    assert depth_of(tree, "On partage un seul programme.") == 1  # an example's text under its example
    # the sub-items are not siblings of the cards: each card holds one list of four fields
    card = tree.index("Ateliers « premiers pas » à la médiathèque — Awa Diallo")
    assert tree[card + 1] == "<ul>" and tree[card + 1 : card + 30].count("</li>") >= 4


def test_minutes_written_with_two_space_sub_items_nest_on_the_page(db):
    """Minutes kit wrote before (sub-items two spaces in) nest on the page and in the feed, as they
    always did in a CommonMark renderer."""
    earlier = (
        "## Partage de pratiques\n\n"
        "- **Ateliers « premiers pas »** — Awa Diallo\n"
        "  - Contexte, où, avec qui : Le mardi matin, à la médiathèque  \n"
        "    de Maurepas.\n"
        "  - Ce qui en est sorti : Huit personnes sur dix reviennent.\n"
        "- **Permanence au CCAS** — Bruno Le Gall\n"
        "  - Une astuce : Afficher les papiers à apporter.\n\n"
        "### Exemples donnés\n\n"
        "- **Un village numérique**\n\n"
        "  Des stands sur la place du marché, un samedi.\n\n"
        "1. Première décision\n"
        "   - avec une précision\n"
        "2. Deuxième décision\n\n"
        "Fin du compte rendu.\n"
    )
    tree = agree(earlier)
    assert depth_of(tree, "Le mardi matin") == 2 and depth_of(tree, "de Maurepas.") == 2
    assert depth_of(tree, "Afficher les papiers") == 2 and depth_of(tree, "Permanence au CCAS") == 1
    assert depth_of(tree, "Des stands sur la place") == 1
    assert depth_of(tree, "avec une précision") == 2 and depth_of(tree, "Deuxième décision") == 1
    assert depth_of(tree, "Fin du compte rendu.") == 0
    # four-space sub-items, and what is not a list, are left as they are
    assert nest_as_commonmark("- a\n    - b\n\nTexte\n\n    code") == "- a\n    - b\n\nTexte\n\n    code"
    assert nest_as_commonmark("```\n- a\n  - b\n```") == "```\n- a\n  - b\n```"


def test_a_long_meeting_and_its_network_newsletter_render_alike(db, app):
    meeting = long_meeting(db, Path(app.instance_path))
    agree(meeting.minutes_md or "")
    assert meeting.network is not None
    with app.test_request_context():
        letter = newsletter.build(db, meeting.network)
    tree = agree(letter)
    assert tree.count("<h2>") == 4

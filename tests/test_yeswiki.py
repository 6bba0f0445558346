"""The minutes and the newsletter for YesWiki: golden files, and every page read back by the rules
of YesWiki's own formatter (YesWiki/yeswiki, commit a45bcb798: formatters/wakka.php,
tools/tableau/formatters/WakkaFormatter__.php; its guide docs/fr/prise-en-main.md) into the same
headings, nested lists, tables and words as kit's page shows."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kit.core.markdown_text import to_safe_html
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.network import networks
from kit.publishing import newsletter, yeswiki
from tests.conftest import gen_participant, gen_template
from tests.test_markdown_lists import PRACTICES
from tests.test_standalone import long_meeting

GOLDEN = Path(__file__).parent / "golden" / "yeswiki"

# YesWiki markup that kit never means: outside a ""…"" run, none of it may be left
# (formatters/wakka.php: __ underline, ~~ and @@ struck, ££ inserted, %% code, {{ }} actions, {# #}
# comments, "" raw text, a CamelCase word is a link to a wiki page, markdown links and italics)
STRAY = re.compile(
    r"__|~~|@@|££|%%|\{\{|\{#|\"|(?<![A-Za-z0-9])[A-Z][a-z]+[A-Z0-9][A-Za-z0-9]*|(?<!\[)\[(?!\[)|<|>|`|\*(?!\*)|(?<!\*)\*(?=[^*])"
)
# read from left to right, whichever starts first: a raw run or a forced link
WHOLE = re.compile(r'""(.*?)""|\[\[(\S+)(?: ([^\]]+))?\]\]')
HEADING = re.compile(r"^(={3,6}) (.*) \1$")
ITEM = re.compile(r"^( +)(-|\d+\)) (.*)$")


def words(text: str) -> str:
    return " ".join(text.split())


def inline(text: str) -> str:
    """What YesWiki shows of one line: its marks checked and dropped, raw runs as their text."""
    # a forced link and a raw run are read whole, before any mark (formatters/wakka.php)
    raws: list[str] = []

    def whole(found: re.Match[str]) -> str:
        raw, address, shown = found.groups()
        raws.append(html.unescape(raw) if raw is not None else shown or address)
        return f"\0{len(raws) - 1}\0"

    text = WHOLE.sub(whole, text)
    for mark in ("**", "//", "##"):
        assert text.count(mark) % 2 == 0, f"an unclosed {mark} in {text!r}"
        text = text.replace(mark, "")
    stray = STRAY.search(text)
    assert stray is None, f"YesWiki would read {stray.group()!r} as markup in {text!r}"
    text = re.sub(r"\s*(?<!-)---(?!-)\s*", " ", text)  # a forced line break
    text = re.sub(r"\0(\d+)\0", lambda m: raws[int(m.group(1))], text)
    return words(text)


def read_yeswiki(page: str) -> list[tuple[str, int, str]]:
    """The page's blocks by YesWiki's rules: (kind, depth or level, words)."""
    found: list[tuple[str, int, str]] = []
    paragraph: list[str] = []
    widths: list[int] = []  # the indents of the open list levels
    table = False

    def end_paragraph() -> None:
        if paragraph:
            found.append(("p", 0, words(" ".join(paragraph))))
            paragraph.clear()

    for line in page.split("\n"):
        if table:
            if line == "|]":
                table = False
                continue
            assert line.startswith("|") and line.endswith("|"), line
            for cell in line[1:-1].split("|"):
                found.append(("td", 0, inline(cell)))
            continue
        if not line.strip():
            end_paragraph()
            widths.clear()
            continue
        item = ITEM.match(line)
        heading = HEADING.match(line)
        if item:
            end_paragraph()
            width = len(item.group(1))
            while widths and width < widths[-1]:
                widths.pop()
            if not widths or width > widths[-1]:
                widths.append(width)
            found.append(("li", len(widths), inline(item.group(3))))
        elif heading:
            end_paragraph()
            found.append(("h", 7 - len(heading.group(1)), inline(heading.group(2))))
        elif line == "[|":
            end_paragraph()
            table = True
        elif line == "----":
            end_paragraph()
        else:
            assert not line.startswith((" ", "\t", "=", "#")), f"YesWiki would not read {line!r} as text"
            widths.clear()
            paragraph.append(inline(line))
    end_paragraph()
    return found


class Blocks(HTMLParser):
    """kit's page as the same blocks: a heading, an item (its depth), a cell, a paragraph."""

    OWNERS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list] = []
        self.owners: list[int] = []  # indices in found of the open owners
        self.depth = 0

    def open(self, kind: str, level: int) -> None:
        self.found.append([kind, level, ""])
        self.owners.append(len(self.found) - 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.depth += 1
        elif tag == "li":
            self.open("li", self.depth)
        elif tag in self.OWNERS:
            self.open("h", self.OWNERS[tag])
        elif tag in ("td", "th"):
            self.open("td", 0)
        elif tag == "p" and not self.owners:
            self.open("p", 0)
        elif tag == "br" and self.owners:
            self.found[self.owners[-1]][2] += " "

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self.depth -= 1
        elif tag in ("li", "td", "th", *self.OWNERS) or (tag == "p" and self.owners):
            if self.owners and (tag != "p" or self.found[self.owners[-1]][0] == "p"):
                self.owners.pop()

    def handle_data(self, data: str) -> None:
        if self.owners:
            self.found[self.owners[-1]][2] += data


def read_page(markdown_text: str) -> list[tuple[str, int, str]]:
    parser = Blocks()
    parser.feed(to_safe_html(markdown_text))
    return [(kind, level, words(text)) for kind, level, text in parser.found if words(text)]


def same_page(markdown_text: str) -> str:
    page = yeswiki.from_markdown(markdown_text)
    assert read_yeswiki(page) == read_page(markdown_text)
    return page


@pytest.mark.parametrize("name", ["minutes", "newsletter"])
def test_the_golden_files(name):
    source = (GOLDEN / f"{name}.md").read_text(encoding="utf-8")
    page = same_page(source)
    assert page == (GOLDEN / f"{name}.yeswiki.txt").read_text(encoding="utf-8")


def test_a_long_meeting_its_nested_cards_and_its_newsletter_read_the_same_in_yeswiki(app, db):
    meeting = long_meeting(db, Path(app.instance_path))
    page = same_page(meeting.minutes_md or "")
    assert "\n|]" in page and "\n - " in page and "====== " in page
    assert meeting.network is not None
    with app.test_request_context():
        same_page(newsletter.build(db, meeting.network))

    cards = lifecycle.create_meeting(
        db, gen_template(StepTemplate("practice", "Partage de pratiques", "", {})), title="Rencontre d'avril"
    )
    lifecycle.start(db, cards)
    for n, (name, card) in enumerate(PRACTICES):
        lifecycle.contribute(db, cards, gen_participant(db, cards, name), cards.steps[0].id, f"c{n}", card)
    lifecycle.close(db, cards)
    nested = same_page(cards.minutes_md or "")
    assert "\n   - " in nested  # a card's fields, one level under the card


NASTY = [
    "**gras** et //italique// et __souligné__ et ~~barré~~ et @@supprimé@@",
    '""<script>alert(1)</script>"" et {{include page="Admin"}} {#caché#}',
    "Un mot WikiNi comme FranceConnect ou MaPage",
    "[[https://pirate.example le site]] et [10%] et [|table|]",
    "%%code%% et ##mono## et ====titre==== et ---- et --- et |barre|",
    "1) pas une liste",
]


@pytest.mark.parametrize("text", NASTY)
def test_what_people_typed_shows_as_typed(text):
    escaped = yeswiki.escape(text)
    assert escaped.startswith('""') and escaped.endswith('""') and escaped.count('""') == 2
    assert "<" not in escaped and "|" not in escaped
    assert inline(escaped) == words(text)


def test_plain_words_stay_plain():
    assert (
        yeswiki.escape("Atelier à la médiathèque de Vitré, le 3 avril")
        == "Atelier à la médiathèque de Vitré, le 3 avril"
    )


def test_the_minutes_page_the_console_and_the_network_offer_it(client, db, app):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = lifecycle.create_meeting(
        db, gen_template(StepTemplate("practice", "Partage de pratiques", "", {})), network_id=network.id
    )
    lifecycle.start(db, meeting)
    for n, (name, card) in enumerate(PRACTICES):
        lifecycle.contribute(db, meeting, gen_participant(db, meeting, name), meeting.steps[0].id, f"c{n}", card)
    key = meeting.facilitator_key
    draft = client.get(f"/m/{meeting.code}/minutes/draft.yeswiki.txt?key={key}")
    assert draft.status_code == 200 and draft.mimetype == "text/plain" and "Ateliers" in draft.get_data(as_text=True)
    assert f"/m/{meeting.code}/minutes/draft.yeswiki.txt" in client.get(
        f"/m/{meeting.code}/console?key={key}", follow_redirects=True
    ).get_data(as_text=True)
    assert client.get(f"/minutes/{meeting.share_token}.yeswiki.txt").status_code == 404  # not published
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    page = client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    assert f"/minutes/{meeting.share_token}.yeswiki.txt" in page
    published = client.get(f"/minutes/{meeting.share_token}.yeswiki.txt")
    assert published.status_code == 200 and published.mimetype == "text/plain"
    assert published.get_data(as_text=True) == yeswiki.from_markdown(meeting.minutes_md or "")

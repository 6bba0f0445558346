"""The minutes and the newsletter in YesWiki's syntax, for networks that keep their pages on a
YesWiki: kit's Markdown pasted there comes out wrong (a list needs a space before its dash, a
table is `[| … |]`, a line break is a new line).

YesWiki's syntax as its own formatter reads it — YesWiki/yeswiki, commit a45bcb798,
`formatters/wakka.php` (bold `**`, italic `//`, underline `__`, monospace `##`, `~~` and `@@`
struck or underlined depending on the version — its guide, docs/fr/prise-en-main.md, calls `~~`
"Souligné" —, headings `======` (level 1) to `===` (level 4), `----` a rule, `---` a line break,
every new line a line break, a list item a line that starts with spaces and `- ` or `1) `, its
depth the number of spaces, `[[address text]]` a link, a CamelCase word a link to a wiki page,
`""…""` text shown as it is) and `tools/tableau/formatters/WakkaFormatter__.php` (tables: `[|`,
one row a line `|a|b|`, `|]`; a cell ends at any `|` of the page as displayed).

The Markdown is first made into kit's safe HTML (kit.core.markdown_text: only plain structure
survives), then written out element by element; people's text that YesWiki could read as markup
goes inside `""…""` with its `& < > " |` as entities, which YesWiki shows as the characters
whether the wiki allows raw HTML or not.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import quote

from kit.core.markdown_text import to_safe_html

HEADINGS = {"h1": "======", "h2": "=====", "h3": "====", "h4": "==="}
INLINE = {"strong": "**", "b": "**", "em": "//", "i": "//", "code": "##"}

# what YesWiki's formatter could take as markup in a run of text (formatters/wakka.php)
_MARKUP = re.compile(
    r"""[*/_#~@£=%"\[\]{}`<>&|\\]"""  # doubled marks, links, actions, code, raw text, HTML, cells
    r"|-{3,}"  # a line break, a rule
    r"|\b[a-z0-9]+://"  # an address (kit's links are links already)
    r"|(?<![A-Za-z0-9])[A-Z][a-z]+[A-Z0-9][A-Za-z0-9]*"  # a CamelCase word: a link to a wiki page
    r"|^\s|^\d+\)|^[a-zA-Z]+\)"  # a list item, at the start of a line
)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "|": "&#124;"}


def escape(text: str) -> str:
    """A run of text shown as itself on a YesWiki page (one line)."""
    text = " ".join(text.split())
    if not text or not _MARKUP.search(text):
        return text
    return '""' + "".join(_ENTITIES.get(char, char) for char in text) + '""'


class _Writer(HTMLParser):
    """kit's safe HTML (a small, known set of tags) written as a YesWiki page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished blocks, separated by a blank line
        self.line: list[str] = []  # the line being written
        self.lists: list[str] = []  # "ul" or "ol", outermost first
        self.numbers: list[int] = []
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.heading = ""
        self.link: str | None = None
        self.link_text: list[str] = []
        self.pending_text = ""
        self.items: list[str] = []  # the lines of the list being written

    # -- text -------------------------------------------------------------------------------
    def _text(self, value: str) -> None:
        self.pending_text += value

    def _flush_text(self) -> None:
        if not self.pending_text:
            return
        raw = self.pending_text
        self.pending_text = ""
        target = self.cell if self.cell is not None else self.line
        if not raw.strip():
            if target and not target[-1].endswith(" "):
                target.append(" ")
            return
        lead = " " if raw[0].isspace() and target else ""
        trail = " " if raw[-1].isspace() else ""
        target.append(lead + escape(raw) + trail)

    def _emit(self, markup: str) -> None:
        self._flush_text()
        (self.cell if self.cell is not None else self.line).append(markup)

    def _end_line(self) -> str:
        self._flush_text()
        text = "".join(self.line).rstrip()
        self.line = []
        return text

    def _end_block(self) -> None:
        # a line that starts with a space is a list item to YesWiki: none in a paragraph
        text = "\n".join(" ".join(line.split()) for line in self._end_line().split("\n")).strip()
        if text:
            self.blocks.append(text)

    # -- tags -------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.link is not None:
            return
        if tag in HEADINGS:
            self._end_block()
            self.heading = HEADINGS[tag]
        elif tag == "p" and not self.lists and self.cell is None:
            self._end_block()
        elif tag in ("ul", "ol"):
            if self.lists:
                self._item_line()
            else:
                self._end_block()
            self.lists.append(tag)
            self.numbers.append(0)
        elif tag == "li":
            self._item_line()
            self.numbers[-1] += 1
            depth = len(self.lists)
            marker = f"{self.numbers[-1]})" if self.lists[-1] == "ol" else "-"
            self.line = [" " * (2 * depth - 1) + marker + " "]
        elif tag == "br":
            # a line break: a new line in a paragraph; inside a list item or a cell, which a new
            # line would end, YesWiki's forced break
            self._emit(" --- " if self.lists or self.cell is not None else "\n")
        elif tag in INLINE:
            self._emit(INLINE[tag])
        elif tag == "a":
            self._flush_text()
            self.link = dict(attrs).get("href") or ""
            self.link_text = []
        elif tag == "table":
            self._end_block()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th"):
            self.cell = []
            if tag == "th":
                self.cell.append("**")
        elif tag == "hr":
            self._end_block()
            self.blocks.append("----")
        elif tag == "blockquote":
            self._end_block()
        elif tag == "pre":
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            text = " ".join("".join(self.link_text).split())
            address = quote(self.link, safe=":/?#@!$&'()*+,;=%~-._")
            shown_as_address = text in ("", self.link)
            self.link = None
            if not address:
                self._text(text)
            elif shown_as_address:
                self._emit(f"[[{address}]]")
            else:
                # the text of a forced link is shown as it is (no markup inside [[ ]])
                self._emit(f"[[{address} {text.replace(']]', '] ]')}]]")
            return
        if self.link is not None:
            return
        if tag in HEADINGS:
            text = self._end_line()
            self.blocks.append(f"{self.heading} {text} {self.heading}")
            self.heading = ""
        elif tag == "p" and not self.lists and self.cell is None:
            self._end_block()
        elif tag == "p" and self.lists and self.line:
            self._emit(" --- ")
        elif tag == "li":
            self._item_line()
        elif tag in ("ul", "ol"):
            self._item_line()
            self.lists.pop()
            self.numbers.pop()
            if not self.lists:
                # the list is one block: its items are lines that follow each other
                self._close_list()
        elif tag in INLINE:
            self._emit(INLINE[tag])
        elif tag in ("td", "th") and self.cell is not None and self.table:
            self._flush_text()
            if tag == "th":
                self.cell.append("**")
            text = "".join(self.cell).strip()
            self.table[-1].append("" if text == "****" else text)
            self.cell = None
        elif tag == "table" and self.table is not None:
            rows = ["|" + "|".join(row) + "|" for row in self.table if row]
            self.blocks.append("\n".join(["[|", *rows, "|]"]))
            self.table = None
        elif tag in ("blockquote", "pre"):
            self._end_block()

    def handle_data(self, data: str) -> None:
        if self.link is not None:
            self.link_text.append(data)
            return
        if self.table is not None and self.cell is None:
            return  # the spaces between cells
        if self.lists and not self.line and not data.strip():
            return
        self._text(data)

    # -- lists ------------------------------------------------------------------------------
    def _item_line(self) -> None:
        line = self._end_line()
        indent = len(line) - len(line.lstrip(" "))
        # one line an item (a new line would end the list), spaces as one, no break at the end
        text = re.sub(r"(\s*---\s*)+$", "", " ".join(line.split()))
        if text.strip(" -0123456789)"):
            self.items.append(" " * indent + text)

    def _close_list(self) -> None:
        if self.items:
            self.blocks.append("\n".join(self.items))
        self.items = []

    def page(self) -> str:
        self._end_block()
        return "\n\n".join(block.replace("\n\n", "\n") for block in self.blocks) + "\n"


def from_markdown(markdown_text: str) -> str:
    """kit's Markdown (the minutes, the newsletter) as a YesWiki page."""
    writer = _Writer()
    writer.feed(to_safe_html(markdown_text))
    writer.close()
    return writer.page()


def unescape(text: str) -> str:
    """What a reader sees of a `""…""` run (for tests and for checking a page)."""
    return re.sub(r'""(.*?)""', lambda m: html.unescape(m.group(1)), text)

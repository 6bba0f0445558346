"""People's text inside Markdown, and Markdown turned into HTML that is safe to serve."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, urlsplit

import markdown
import nh3

# People's text is escaped only where Markdown would read it as markup, so that the Markdown a
# reader downloads says "Bienvenue !" and "#CCI", not "Bienvenue \!" and "\#CCI"; the rendered
# HTML is the same as escaping every punctuation mark (tests/test_minutes.py compares them).
# everywhere: code, emphasis, links and images (a "!" needs a "[" after it), table cells
_ALWAYS = re.compile(r"([`*\[\]|])")
# a backslash before what it would escape, or at the end (kit may write markup right after it)
_BACKSLASH = re.compile(r"\\(?=[\\`*_{}\[\]()>#+\-.!|]|$)")
# "_" opens or closes emphasis only at the edge of a word ("mot_de_passe" stays as it is): a run of
# them between two letters or digits stays, any other is escaped whole
_UNDERSCORE = re.compile(r"(?<![^\W_])(?<!_)_+(?!_)|(?<!_)_+(?![^\W_])(?!_)")
# "<" can start a tag, a comment or an automatic link: it stays as typed only in a comparison
# ("moins de < 5 ans"); "&" before a name and ";" is an entity: both become entities themselves
_ANGLE = re.compile(r"<(?!\s+\d)")
_ENTITY = re.compile(r"&(?=#?\w+;)")
# at the start of a line: a heading, a quote, a list item, a rule or a setext underline
_LINE_START = re.compile(r"^(\s*)(\d+)(\.)(?=\s|$)", re.MULTILINE)
_MARK_START = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
# closing hashes of a heading ("Langage C#" would lose its "#")
_HASH_END = re.compile(r"(#+)(\s*)$", re.MULTILINE)


def escape(text: str) -> str:
    """Text a participant typed, shown as itself in Markdown (no links, images, headings or HTML)."""
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _HASH_END.sub(lambda m: "\\#" * len(m.group(1)) + m.group(2), text)
    text = _ANGLE.sub("&lt;", _ENTITY.sub("&amp;", text))
    # "](" is what a link looks like, even with its "[" escaped: said plainly as text
    text = _ALWAYS.sub(r"\\\1", text.replace("](", "]\\("))
    text = _UNDERSCORE.sub(lambda m: "\\_" * len(m.group()), text)
    text = _LINE_START.sub(r"\1\2\\\3", text)
    return _MARK_START.sub(r"\1\\\2", text)


# how kit escaped people's text until it escaped only what Markdown would misread: minutes written
# then hold this form, and a withdrawal must still find the words in them
_BEFORE_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+!|])")
_BEFORE_NUMBER = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)
_BEFORE_DASH = re.compile(r"^(\s*)([-=])", re.MULTILINE)


def escape_as_before(text: str) -> str:
    """People's text as earlier versions of kit wrote it into the minutes: every punctuation mark
    Markdown knows escaped, and < > & always as entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BEFORE_SYNTAX.sub(r"\\\1", text)
    text = _BEFORE_NUMBER.sub(r"\1\2\\\3", text)
    return _BEFORE_DASH.sub(r"\1\\\2", text)


def escape_block(text: str, indent: str = "  ") -> str:
    """Escaped text that may span lines, kept inside one list item (hard line breaks)."""
    lines = escape(text).split("\n")
    return ("  \n" + indent).join(line.rstrip() for line in lines)


def web_address(value: Any) -> str | None:
    """The address if it is one a page may link to (http or https, a host, no space or control
    character), else None. Checked where a link is shown as well as where it entered: a link can
    come from an edited file or an older version of kit."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    if not link or len(link) > 2000 or any(ch.isspace() or not ch.isprintable() for ch in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return link


# what stays as is in a Markdown autolink: the address's own punctuation, never < > " ` \ or space
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def link(value: Any) -> str:
    """A web address shown in Markdown: an autolink whose characters cannot end it or become HTML
    (they are percent-encoded); anything else is written as plain, escaped text."""
    address = web_address(value)
    if address is None:
        return escape(str(value or ""))
    return "<" + quote(address, safe=_URL_SAFE) + ">"


ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "blockquote",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def to_safe_html(source: str) -> str:
    """Markdown → HTML, then cleaned: only plain structure survives, links open nothing else.
    Each table cell carries its column's heading (`data-label`), so a table can stack on a phone."""
    source = nest_as_commonmark(source)
    return label_cells(_clean(markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")))


# a list item: its indent, its marker and the spaces after it (CommonMark's rules, §5.2)
_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( {1,4}(?=\S)| *$)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
#: the indent Python-Markdown reads as one level of nesting (its tab_length)
_LEVEL = 4


def nest_as_commonmark(source: str) -> str:
    """Lists indented as CommonMark reads them (a sub-item is under its item once it starts at the
    item's text: two spaces after "- "), re-indented by four spaces a level, which is what
    Python-Markdown needs — so the minutes kit wrote with two-space sub-items (and any Markdown a
    facilitator pasted) nest on the page, in the feed and in any CommonMark renderer alike.
    Four-space indents, already read the same by both, stay as they are. Paragraphs of an item
    (indented after a blank line) follow their item; code fences are left alone."""
    out: list[str] = []
    columns: list[int] = []  # the text column of each open item, outermost first
    blank = False
    fenced = False
    for line in source.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        if not line.strip():
            out.append(line)
            blank = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        item = _ITEM.match(line)
        if item is not None and (columns or indent < _LEVEL):
            while columns and indent < columns[-1]:
                columns.pop()
            if columns and indent >= columns[-1] + _LEVEL:
                out.append(line)  # code inside the item: not ours to move
            else:
                out.append(" " * (_LEVEL * len(columns)) + line.lstrip(" "))
                columns.append(indent + len(item.group(2)) + max(1, len(item.group(3))))
        elif blank:
            # after a blank line, a line belongs to the deepest item whose text column it reaches
            while columns and indent < columns[-1]:
                columns.pop()
            out.append(" " * (_LEVEL * len(columns)) + line.lstrip(" ") if columns else line)
        else:
            out.append(line)  # a continuation of the line above (or a heading, a table): as it is
        blank = False
    return "\n".join(out)


_TABLE = re.compile(r"<table>(.*?)</table>", re.DOTALL)
_HEADING_CELL = re.compile(r"<th(?: [^>]*)?>(.*?)</th>", re.DOTALL)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<td( [^>]*)?>")


def label_cells(safe_html: str) -> str:
    """Give each cell of the (already cleaned) tables the text of its column's heading, as
    `data-label`: the stylesheet shows it beside the value when a narrow screen stacks the rows."""

    def table(match: re.Match[str]) -> str:
        inner = match.group(1)
        head, _sep, body = inner.partition("</thead>")
        if not body:
            return match.group(0)
        labels = [
            html.escape(" ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split()), quote=True)
            for cell in _HEADING_CELL.findall(head)
        ]

        def row(found: re.Match[str]) -> str:
            cells = iter(labels)
            return (
                "<tr>"
                + _CELL.sub(lambda cell: f'<td{cell.group(1) or ""} data-label="{next(cells, "")}">', found.group(1))
                + "</tr>"
            )

        return "<table>" + head + "</thead>" + _ROW.sub(row, body) + "</table>"

    return _TABLE.sub(table, safe_html)


def _clean(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # an unclosed <style> or <script> would take everything after it away with its content:
        # their content stays, as text, like any other tag kit does not keep
        clean_content_tags=set(),
    )


def says(safe_html: str, text: str) -> bool:
    """Whether the words of `text` are in the HTML's text (the page need not repeat them)."""
    return " ".join(text.split()) in " ".join(html.unescape(re.sub(r"<[^>]+>", " ", safe_html)).split())

"""People's text inside Markdown, and Markdown turned into HTML that is safe to serve."""

from __future__ import annotations

import re

import markdown
import nh3

# characters Markdown would read as syntax; < > & become entities so text never turns into HTML
_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+!|])")
_LINE_START = re.compile(r"^(\s*)(\d+)([.)])", re.MULTILINE)
_DASH_START = re.compile(r"^(\s*)([-=])", re.MULTILINE)


def escape(text: str) -> str:
    """Text a participant typed, shown as itself in Markdown (no links, images, headings or HTML)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SYNTAX.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\1\2\\\3", text)
    return _DASH_START.sub(r"\1\\\2", text)


def escape_block(text: str, indent: str = "  ") -> str:
    """Escaped text that may span lines, kept inside one list item (hard line breaks)."""
    lines = escape(text).split("\n")
    return ("  \n" + indent).join(line.rstrip() for line in lines)


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
    """Markdown → HTML, then cleaned: only plain structure survives, links open nothing else."""
    html = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )

"""People's text inside Markdown, and Markdown turned into HTML that is safe to serve."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

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
    """Markdown → HTML, then cleaned: only plain structure survives, links open nothing else."""
    html = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # an unclosed <style> or <script> would take everything after it away with its content:
        # their content stays, as text, like any other tag kit does not keep
        clean_content_tags=set(),
    )

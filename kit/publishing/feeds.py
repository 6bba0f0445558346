"""A network's published minutes as an Atom feed, for partners and funders who follow from afar."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask_babel import force_locale
from flask_babel import gettext as _

from kit.core.markdown_text import to_safe_html
from kit.core.models import Meeting, Network, Status, utcnow
from kit.publishing import links

ATOM = "http://www.w3.org/2005/Atom"


def published(network: Network) -> list[Meeting]:
    """The network's published minutes, newest first."""
    found = [m for m in network.meetings if m.state is Status.PUBLISHED and m.published_at is not None]
    return sorted(found, key=lambda m: m.published_at or utcnow(), reverse=True)


def atom(network: Network, feed_url: str, language: str = "fr") -> bytes:
    """The Atom document (RFC 4287): one entry per published minutes, its text as safe HTML."""
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    entries = published(network)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    with force_locale(language):
        add(feed, "title", _("Minutes of %(network)s", network=network.name))
    add(feed, "id", feed_url)
    add(feed, "link", rel="self", href=feed_url)
    newest = entries[0].published_at if entries else None
    add(feed, "updated", (newest or utcnow()).isoformat())
    add(add(feed, "author"), "name", network.name)
    for meeting in entries:
        url = links.minutes_url(meeting)
        entry = add(feed, "entry")
        add(entry, "title", meeting.title)
        add(entry, "id", url)
        add(entry, "link", rel="alternate", type="text/html", href=url)
        add(entry, "updated", (meeting.published_at or utcnow()).isoformat())
        add(entry, "content", to_safe_html(meeting.minutes_md or ""), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

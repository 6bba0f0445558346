"""A network's published minutes as an Atom feed, for partners and funders who follow from afar."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.core.markdown_text import to_safe_html
from kit.core.models import Meeting, Network, Status, utcnow
from kit.publishing import links
from kit.publishing.identifiers import Identifiers

ATOM = "http://www.w3.org/2005/Atom"


def published(network: Network) -> list[Meeting]:
    """The network's published minutes, newest first."""
    found = [m for m in network.meetings if m.state is Status.PUBLISHED and m.published_at is not None]
    return sorted(found, key=lambda m: m.published_at or utcnow(), reverse=True)


def last_change(meeting: Meeting) -> datetime:
    """When published minutes last changed for a reader: their publication, or a later edit,
    withdrawal or erasure (minutes published before kit noted changes have only the first)."""
    assert meeting.published_at is not None
    changed = meeting.minutes_updated_at
    return meeting.published_at if changed is None else max(meeting.published_at, changed)


def atom(db: Session, network: Network, feed_url: str, language: str = "fr") -> bytes:
    """The Atom document (RFC 4287): one entry per published minutes, its text as safe HTML.

    Its ids never carry the address kit answers at (it changes with the room's network): see
    kit.publishing.identifiers."""
    ET.register_namespace("", ATOM)

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    ids = Identifiers(db)
    entries = published(network)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    with force_locale(language):
        add(feed, "title", _("Minutes of %(network)s", network=network.name))
    add(feed, "id", ids.network_feed(network))
    add(feed, "link", rel="self", href=feed_url)
    # a feed with no entry yet changes when the network is made, not at every request
    newest = max((last_change(meeting) for meeting in entries), default=network.created_at)
    add(feed, "updated", newest.isoformat())
    add(add(feed, "author"), "name", network.name)
    for meeting in entries:
        url = links.minutes_url(meeting)
        entry = add(feed, "entry")
        add(entry, "title", meeting.title)
        add(entry, "id", ids.minutes_entry(meeting))
        add(entry, "link", rel="alternate", type="text/html", href=url)
        add(entry, "published", (meeting.published_at or utcnow()).isoformat())
        add(entry, "updated", last_change(meeting).isoformat())
        add(entry, "content", to_safe_html(meeting.minutes_md or ""), type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

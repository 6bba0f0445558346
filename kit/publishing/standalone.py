"""The minutes and the newsletter as one HTML file that travels: attached to an email, put on a
shared drive or a wiki, opened offline on a phone, printed on A4.

Everything the file shows is inside it: the text made safe by `to_safe_html`, the stylesheet
(kit/static/onefile.css) in a <style> element, the host venue's photo as a data: URI. It holds no
script and names no other machine for an asset; its own policy forbids both, should anything slip
in. The functions return the HTML as a string from what they are given, in an app context (for
the templates and the language), without a request: the same file can be the HTML part of an email.
"""

from __future__ import annotations

import base64
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from kit.activities import activity_class
from kit.core import uploads
from kit.core.markdown_text import to_safe_html
from kit.core.models import Meeting, Network, utcnow
from kit.publishing import newsletter

STYLESHEET = "static/onefile.css"
# what the file may do once opened, whatever it holds: show its own style and its own pictures
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# the same, for the response that carries it (a browser that showed it instead of saving it)
RESPONSE_POLICY = POLICY + "; frame-ancestors 'none'"


@dataclass(frozen=True)
class Photo:
    """A photo to put inside the file: its bytes, already recognised as JPEG, PNG or WebP."""

    data: bytes
    kind: str

    def data_uri(self) -> str:
        return f"data:{uploads.MIMETYPES[self.kind]};base64,{base64.b64encode(self.data).decode('ascii')}"


def venue_photo(meeting: Meeting, folder: Path) -> Photo | None:
    """The photo of the host venue its check-in step showed (or that came with a meeting received from a
    laptop), read from the uploads folder, if any."""
    names = [(meeting.received or {}).get("photo")] if meeting.received is not None else []
    names += [(step.options or {}).get("photo") for step in meeting.steps if activity_class(step.activity).takes_photo]
    for name in names:
        if not uploads.is_photo_name(name):
            continue
        assert isinstance(name, str)
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue  # removed from the disk since: the file goes without it
        kind = uploads.kind_of(data)
        if kind is not None:
            return Photo(data, kind)
    return None


def file_name(title: str, day: date | None) -> str:
    """`<title in plain letters>-<date>.html`: a name any mailbox, drive or phone keeps as it is."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if len(slug) > 60:
        cut = slug[:61]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:60]  # whole words, when there are some
    slug = slug or "kit"
    return f"{slug}-{day.isoformat()}.html" if day else f"{slug}.html"


def meeting_day(meeting: Meeting) -> date | None:
    """The day the meeting took place: the date it was prepared for, else the day it started."""
    return meeting.meeting_date or (meeting.started_at.date() if meeting.started_at else None)


def minutes_file(meeting: Meeting, *, source_url: str = "", photo: Photo | None = None) -> str:
    """The published minutes (`meeting.minutes_md`, as edited) as one HTML document, in the meeting's language.

    `source_url` is the share link the footer names; `photo` the host venue's (see `venue_photo`).
    """
    with force_locale(meeting.language):
        day = meeting_day(meeting)
        facts = [meeting.network.name] if meeting.network is not None else []
        facts += [format_date(day, "long")] if day else []
        facts += [text for text in (meeting.place, meeting.host) if text and text not in facts]
        published = meeting.published_at or meeting.closed_at or utcnow()
        when = format_date(published, "long")
        if meeting.network is not None:
            origin = _(
                "Minutes of a meeting of %(network)s, published on %(date)s with kit.",
                network=meeting.network.name,
                date=when,
            )
        else:
            origin = _("Minutes published on %(date)s with kit.", date=when)
        venue = meeting.host or meeting.place
        figure = _figure(photo, _("Host venue: %(venue)s", venue=venue) if venue else "") if photo else None
        return _document(
            language=meeting.language,
            title=_("%(title)s — minutes", title=meeting.title) + (f" ({format_date(day, 'long')})" if day else ""),
            heading=meeting.title,
            kind=_("Minutes"),
            facts=facts,
            body_md=meeting.minutes_md or "",
            figure=figure,
            footer=[origin, _("This file holds everything it shows: it opens without a connection.")],
            source_url=source_url,
        )


def newsletter_file(db: Session, network: Network, *, language: str = "fr", source_url: str = "") -> str:
    """The network's newsletter draft (`kit.publishing.newsletter`) as one HTML document."""
    body = newsletter.build(db, network, language)
    with force_locale(language):
        today = format_date(utcnow(), "long")
        return _document(
            language=language,
            title=_("News of %(network)s", network=network.name) + f" ({today})",
            heading=_("News of %(network)s", network=network.name),
            kind=_("Newsletter"),
            facts=[today, *([network.territory] if network.territory else [])],
            body_md=body,
            figure=None,
            footer=[
                _("Newsletter of %(network)s, written on %(date)s with kit.", network=network.name, date=today),
                _("This file holds everything it shows: it opens without a connection."),
            ],
            source_url=source_url,
        )


def _figure(photo: Photo, caption: str) -> Markup:
    return Markup('<figure class="venue"><img src="{}" alt="{}">{}</figure>').format(
        photo.data_uri(),
        _("Photo of the venue"),
        Markup("<figcaption>{}</figcaption>").format(caption) if caption else "",
    )


def _document(
    *,
    language: str,
    title: str,
    heading: str,
    kind: str,
    facts: Sequence[str],
    body_md: str,
    figure: Markup | None,
    footer: Sequence[str],
    source_url: str,
) -> str:
    body = to_safe_html(body_md)
    # a table scrolls inside its own box on a phone; the sanitiser's output has no other <table>
    body = body.replace("<table>", '<div class="table-scroll"><table>').replace("</table>", "</table></div>")
    if not body.lstrip().startswith("<h1>"):
        body = str(Markup("<h1>{}</h1>\n").format(heading)) + body
    # the band above says what the file is, and the date or place only where the text lost them
    said = html.unescape(re.sub(r"<[^>]+>", " ", body))
    facts = [fact for fact in facts if fact not in said]
    if figure is not None:
        # the venue's photo comes under the title, date and place, before the first section
        head, section, rest = body.partition("<h2>")
        body = head + str(figure) + "\n" + section + rest
    return render_template(
        "onefile.html",
        language=language,
        policy=POLICY,
        title=title,
        kind=kind,
        facts=facts,
        body=Markup(body),  # made safe above: to_safe_html keeps only plain structure
        footer=footer,
        source_url=source_url if urlsplit(source_url).scheme in ("http", "https") else "",
        stylesheet=_stylesheet(),
    )


def _stylesheet() -> Markup:
    css = (Path(current_app.root_path) / STYLESHEET).read_text(encoding="utf-8")
    # kit's own file, inside <style>: it may not close the element it sits in
    if "</" in css:
        raise ValueError(f"{STYLESHEET} may not contain '</'")
    return Markup(css)

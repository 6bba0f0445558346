"""A public kit receiving a meeting from a laptop's kit (kit.publishing.public_kit sends it).

Everything is checked before anything is stored, then the meeting is written in one transaction:
a request that fails or is cut leaves nothing. It is named by the laptop's installation uid and its
own meeting id, so sending again updates the same meeting (same public address). What this kit
records of time — published, updated — is its own clock, never the laptop's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.core import uploads
from kit.core.errors import InvalidInput, KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Network, Status, utcnow
from kit.core.queries import is_row_id
from kit.core.validation import clean_text
from kit.publishing.public_kit import FORMAT

_UID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# a received meeting's code: longer than a room's six letters, so it never takes one of theirs
_CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
LANGUAGES = ("fr", "en")
# what the minutes' JSON twin may hold (kit.publishing.minutes.as_data): nothing else is kept
MINUTES_KEYS = ("format", "title", "date", "place", "started_at", "closed_at", "participants", "steps")


class NewerFormat(KitError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "newer_format",
            _l("This meeting comes from a newer version of kit: update this kit so it can receive it."),
        )


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(_l("This field is missing or is not an object."), field)
    return value


def _line(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    return clean_text(value, field, limit, required=required, multiline=False)


def _day(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    raise InvalidInput(_l("This date is not valid."), field)


def _moment(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise InvalidInput(_l("This time is not valid."), field)
    return found


def _events(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 500:
        raise InvalidInput(_l("The dates are not a list (500 at most)."), "events")
    events = []
    for raw in value:
        raw = _mapping(raw, "events")
        day = _day(raw.get("date"), "events")
        if day is None:
            raise InvalidInput(_l("This date is not valid."), "events")
        events.append(
            {
                "uid": _line(raw.get("uid"), "events", 200, required=True),
                "date": day.isoformat(),
                "summary": _line(raw.get("summary"), "events", 1000, required=True),
                "description": clean_text(raw.get("description", ""), "events", 4000, required=False),
                "location": _line(raw.get("location", ""), "events", 300),
            }
        )
    return events


def _photo(value: Any) -> bytes | None:
    if value is None:
        return None
    data = _mapping(value, "photo").get("data")
    if not isinstance(data, str) or len(data) > (uploads.MAX_BYTES * 4) // 3 + 8:
        raise InvalidInput(_l("This photo is too big: 5 MB at most."), "photo")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(_l("This file is not a photo kit can show (JPEG, PNG or WebP)."), "photo") from None
    if uploads.kind_of(raw) is None:
        raise InvalidInput(_l("This file is not a photo kit can show (JPEG, PNG or WebP)."), "photo")
    return raw


def check(payload: Any) -> dict[str, Any]:
    """The payload's fields, checked like a form's; InvalidInput (or NewerFormat) at the first fault."""
    payload = _mapping(payload, "payload")
    version = payload.get("format")
    if not is_row_id(version):
        raise InvalidInput(_l("The exchange's format is missing."), "format")
    if version > FORMAT:
        raise NewerFormat()
    meeting = _mapping(payload.get("meeting"), "meeting")
    uid = meeting.get("uid")
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        raise InvalidInput(_l("The sending kit's id is not valid."), "meeting.uid")
    if not is_row_id(meeting.get("id")):
        raise InvalidInput(_l("The meeting's id is not valid."), "meeting.id")
    language = meeting.get("language", "fr")
    if language not in LANGUAGES:
        raise InvalidInput(_l("This language is not one kit speaks."), "meeting.language")
    minutes_md = clean_text(payload.get("minutes_md"), "minutes_md", 200_000, required=True)
    minutes = _mapping(payload.get("minutes"), "minutes")
    return {
        "origin": f"{uid}/{meeting['id']}",
        "title": _line(meeting.get("title"), "meeting.title", 200, required=True),
        "meeting_date": _day(meeting.get("date"), "meeting.date"),
        "place": _line(meeting.get("place", ""), "meeting.place", 200),
        "host": _line(meeting.get("host", ""), "meeting.host", 200),
        "language": language,
        "started_at": _moment(meeting.get("started_at"), "meeting.started_at"),
        "closed_at": _moment(meeting.get("closed_at"), "meeting.closed_at"),
        "minutes_md": minutes_md.rstrip() + "\n",
        "minutes": {key: minutes[key] for key in MINUTES_KEYS if key in minutes},
        "events": _events(payload.get("events")),
        "photo": _photo(payload.get("photo")),
    }


def _store_photo(folder: Path, data: bytes) -> str:
    """The photo under a name made from its content: sending it again writes nothing new."""
    kind = uploads.kind_of(data)
    name = f"{hashlib.sha256(data).hexdigest()[:40]}.{kind}"
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        aside = folder / f".{name}.{secrets.token_hex(4)}"
        aside.write_bytes(data)
        aside.replace(path)
    return name


def receive(db: Session, network: Network, payload: Any, uploads_folder: Path) -> tuple[Meeting, bool]:
    """Store (or update) a meeting sent by a laptop; return it and whether it is new here."""
    fields = check(payload)
    photo = fields.pop("photo")
    # written before the transaction, under a name nothing refers to yet: a cut request leaves a
    # file no page shows, never a page without its file
    photo_name = _store_photo(uploads_folder, photo) if photo is not None else None
    for attempt in (1, 2):
        try:
            return _upsert(db, network, fields, photo_name)
        except IntegrityError:
            # the same meeting arrived twice at once: the other request made it, this one updates it
            db.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _upsert(db: Session, network: Network, fields: dict[str, Any], photo_name: str | None) -> tuple[Meeting, bool]:
    meeting = db.scalar(
        select(Meeting).where(Meeting.network_id == network.id, Meeting.received_from == fields["origin"])
    )
    now = utcnow()
    created = meeting is None
    if meeting is None:
        meeting = Meeting(
            code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(12)),
            facilitator_key=secrets.token_urlsafe(24),
            screen_key=secrets.token_urlsafe(18),
            share_token=secrets.token_urlsafe(18),
            network_id=network.id,
            received_from=fields["origin"],
            status=Status.PUBLISHED.value,
            published_at=now,
        )
        db.add(meeting)
    received = {"minutes": fields["minutes"], "events": fields["events"], "photo": photo_name}
    for key in ("title", "meeting_date", "place", "host", "language", "started_at", "closed_at"):
        setattr(meeting, key, fields[key])
    changed = meeting.received != received
    meeting.received = received
    meeting.write_minutes(fields["minutes_md"])
    if changed or created:
        meeting.minutes_updated_at = now
    meeting.version = (meeting.version or 0) + 1
    db.commit()
    return meeting, created

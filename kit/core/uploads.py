"""Photos uploaded by the facilitator (the host venue), kept in the instance folder.

Only JPEG, PNG and WebP are taken, recognised by their first bytes rather than their name, and
stored under a random name that the pages refer to.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from kit.core.errors import InvalidInput
from kit.core.i18n import lazy_gettext as _l

MAX_BYTES = 5 * 1024 * 1024
NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(jpg|png|webp)$")
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def kind_of(data: bytes) -> str | None:
    """The image format from its first bytes, or None when it is not one kit takes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def save_photo(folder: Path, data: bytes) -> str:
    """Store a photo; return its new name. InvalidInput when it is empty, too big or not a photo."""
    if not data:
        raise InvalidInput(_l("Choose a photo first."), "photo")
    if len(data) > MAX_BYTES:
        raise InvalidInput(_l("This photo is too big: 5 MB at most."), "photo")
    kind = kind_of(data)
    if kind is None:
        raise InvalidInput(_l("This file is not a photo kit can show (JPEG, PNG or WebP)."), "photo")
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(18)}.{kind}"
    (folder / name).write_bytes(data)
    return name


def is_photo_name(value: object) -> bool:
    return isinstance(value, str) and NAME.fullmatch(value) is not None

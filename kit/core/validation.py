"""Checks shared by every form and activity: text that is really text, of a sensible size."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString

from kit.core.errors import InvalidInput
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import web_address

# dropped from anything people type: control characters other than newline and tab (category Cc),
# which have no place in it; lone surrogates (Cs), which cannot even be stored as UTF-8; and bidi
# embeddings, overrides and isolates, which turn the rest of a line around on the screen: never
# useful here, and a prank on the projector. One character class, for text of any length: Cc is
# exactly U+0000–U+001F and U+007F–U+009F, Cs exactly U+D800–U+DFFF (Unicode's stability policy
# fixes both; a test checks the class against unicodedata over every code point)
_DROP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# a name (or another one-line field about a person) also loses what draws nothing: format characters (zero-width
# spaces and joiners, bidi marks, soft hyphens, tags), line and paragraph separators, and the
# blank letters used to fake an empty name (Hangul fillers, the blank braille pattern, the
# combining grapheme joiner); so "name required" means a name one can see
_INVISIBLE_CATEGORIES = {"Cf", "Co", "Zl", "Zp"}
_BLANK_LETTERS = set("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")


def _visible(ch: str) -> bool:
    return ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


def clean_text(value: Any, field: str, max_length: int, *, required: bool = True, multiline: bool = True) -> str:
    """Return the text trimmed and normalised, or raise InvalidInput with a message for a person."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_l("This field must be text."), field)
    text = _DROP.sub("", unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")))
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if required and not text:
        raise InvalidInput(_l("Please write something before sending."), field, code="empty")
    if len(text) > max_length:
        raise InvalidInput(
            _l(
                "This is too long: %(max)d characters at most (you wrote %(length)d).", max=max_length, length=len(text)
            ),
            field,
            code="too_long",
        )
    return text


def clean_name(value: Any, field: str, max_length: int, *, required: bool = True) -> str:
    """A person's name (or another one-line field about them: structure, territory, role):
    invisible and control characters dropped, NFC (a mark dropped between a letter and its accent
    lets them compose), spaces collapsed; "required" is checked on what is left."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", "".join(ch for ch in value if _visible(ch)))
    return clean_text(value, field, max_length, required=required, multiline=False)


# what people type for a web address without its scheme: a host name with a dot and a top-level
# domain of letters, an optional port, then a path, query or fragment
_LABEL = r"[a-z0-9\u00c0-\uffff](?:[a-z0-9\u00c0-\uffff-]*[a-z0-9\u00c0-\uffff])?"
_BARE_ADDRESS = re.compile(rf"(?i)(?:{_LABEL}\.)+[a-z\u00c0-\uffff]{{2,63}}(?::\d{{1,5}})?(?:[/?#]\S*)?")


def clean_link(value: Any, field: str, max_length: int = 500) -> str:
    """A web address as people type it: "" when empty, "https://…" added when they wrote
    `solidarite-numerique.fr` or `www.example.org/page`; any other scheme (javascript:, data:,
    mailto:…), a space or a control character is refused with a message for a person."""
    text = clean_text(value, field, max_length, required=False, multiline=False)
    if not text:
        return ""
    if text.startswith("//"):
        text = "https:" + text
    elif "://" not in text and _BARE_ADDRESS.fullmatch(text):
        text = "https://" + text
    address = web_address(text)
    if address is None or len(address) > max_length:
        raise InvalidInput(
            _l("This does not look like a web address: write it as solidarite-numerique.fr or https://…"),
            field,
            code="invalid",
        )
    return address


#: the names of this machine: a service here may be tried out over plain http
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def secure_address(
    value: Any, field: str, *, wrong: LazyString | str, insecure: LazyString | str, max_length: int = 300
) -> str:
    """An address kit sends something to that people must not read on the way (a key, a chat's
    webhook): "" when empty, else https://… (http:// only for this machine, to try it out), with no
    query; `wrong` and `insecure` are the messages for an address that is not one and for plain
    http elsewhere."""
    if not isinstance(value, str):
        raise InvalidInput(_l("This field must be text."), field)
    address = value.strip().rstrip("/")
    if not address:
        return ""
    parts = urlsplit(address)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise InvalidInput(wrong, field, code="invalid") from None
    if (
        len(address) > max_length
        or not parts.hostname
        or parts.scheme not in ("https", "http")
        or parts.query
        or any(ch.isspace() for ch in address)
    ):
        raise InvalidInput(wrong, field, code="invalid")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise InvalidInput(insecure, field, code="insecure")
    return address


def email_address(value: Any, field: str) -> str:
    """An email address as people type it, checked and normalised (the domain in lower case); ""
    when none was given. Only its form is checked: meeting rooms are often offline."""
    text = clean_text(value, field, 320, required=False, multiline=False)
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            _l("This email address does not look right: check it, for example name@example.org."), field, code="email"
        ) from None


def require_mapping(payload: Any) -> Mapping[str, Any]:
    """A live event's payload must be an object; anything else is refused plainly."""
    if not isinstance(payload, Mapping):
        raise InvalidInput(_l("The message was not understood. Please reload the page."), code="bad_request")
    return payload


def client_id(value: Any) -> str:
    """The phone's own id for a contribution: short, printable, required."""
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isascii() or not value.isprintable():
        raise InvalidInput(
            _l("The message was not understood. Please reload the page."), "client_id", code="bad_request"
        )
    return value


def integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_l("The message was not understood. Please reload the page."), field, code="bad_request")
    return value

"""Checks shared by every form and activity: text that is really text, of a sensible size."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from kit.core.errors import InvalidInput
from kit.core.i18n import lazy_gettext as _l

# control characters other than newline and tab have no place in what people type, and lone
# surrogates (Cs) cannot even be stored as UTF-8
_ALLOWED_CONTROLS = {"\n", "\t"}
_DROPPED = {"Cc", "Cs"}


def clean_text(value: Any, field: str, max_length: int, *, required: bool = True, multiline: bool = True) -> str:
    """Return the text trimmed and normalised, or raise InvalidInput with a message for a person."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_l("This field must be text."), field)
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if ch in _ALLOWED_CONTROLS or unicodedata.category(ch) not in _DROPPED)
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

"""An activity's options as form fields: a small declarative description each activity gives in
``option_fields``, turned into the fields of the prepare page and read back into the options dict
that the activity's own ``validate_options`` checks (the same check a template file goes through).

Field names in the posted form are paths under ``o.``: ``o.max_length``, ``o.topics.0.title``,
``o.topics.0.exemplier.1.text``. Rows are numbered from 0 in the order they appear; a row left
blank (no text typed in it) or ticked "remove" is dropped. An option error's key
(``topics[1].exemplier[2].title``, numbered from 1) names the same field: :func:`error_field`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString

from kit.core.i18n import lazy_gettext as _l

#: the kinds of field: one line, a paragraph (``\n\n`` between paragraphs kept), a whole number, a
#: date, one choice of a list, several choices (check boxes), one text per line, repeatable rows
KINDS = ("text", "textarea", "number", "date", "select", "checkboxes", "lines", "rows")
PREFIX = "o"
REMOVE = "_remove"


@dataclass(frozen=True)
class OptionField:
    """One option of an activity as the prepare page shows it."""

    name: str
    label: LazyString | str
    kind: str = "text"
    #: a sentence under the field: what it is for, what is allowed
    hint: LazyString | str | None = None
    #: select and checkboxes: (stored value, label)
    choices: tuple[tuple[str, Any], ...] = ()
    #: number: the allowed range (shown, and given to the browser as min and max)
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    #: rows: the fields of one row, what one row is called ("News item"), how many rows at most
    fields: tuple[OptionField, ...] = field(default_factory=tuple)
    row_label: LazyString | str = ""
    max_rows: int = 40
    #: poll questions: show this field only for these values of the row's ``type`` (a hint to the
    #: page, which still posts it; validate_options ignores what a type does not use)
    for_types: tuple[str, ...] = ()
    #: a short field (a date) that may sit beside the next short one on a wide screen
    short: bool = False

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind


# -- the posted form → the options dict ---------------------------------------------------------
def tree(form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The posted ``o.…`` fields as nested dicts (row numbers stay keys here), repeated names as lists."""
    root: dict[str, Any] = {}
    for name, value in form:
        parts = name.split(".")
        if parts[0] != PREFIX or len(parts) < 2 or len(parts) > 8:
            continue
        node = root
        for part in parts[1:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            last = parts[-1]
            if last in node:
                held = node[last]
                node[last] = [*held, value] if isinstance(held, list) else [held, value]
            else:
                node[last] = value
    return root


def from_form(fields: tuple[OptionField, ...], form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The options a form posted, as a template file would hold them, ready for ``validate_options``."""
    return _read(fields, tree(form))


def _read(fields: tuple[OptionField, ...], posted: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for option in fields:
        raw = posted.get(option.name)
        if option.kind == "rows":
            rows = raw if isinstance(raw, dict) else {}
            numbered = sorted((int(k), v) for k, v in rows.items() if k.isdigit() and isinstance(v, dict))
            options[option.name] = [
                _read(option.fields, row)
                for _, row in numbered
                if not row.get(REMOVE) and not _blank(option.fields, row)
            ]
        elif option.kind == "checkboxes":
            options[option.name] = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str)]
        elif option.kind == "lines":
            text = _one(raw)
            options[option.name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif option.kind == "number":
            text = _one(raw).strip()
            if text:
                # a number that is not one goes through as typed: validate_options names the range
                options[option.name] = int(text) if re.fullmatch(r"-?\d{1,9}", text) else text
        else:
            options[option.name] = _one(raw)
    return options


def _one(raw: Any) -> str:
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    # browsers send a text area's lines with \r\n
    return raw.replace("\r\n", "\n").replace("\r", "\n") if isinstance(raw, str) else ""


def _blank(fields: tuple[OptionField, ...], row: Mapping[str, Any]) -> bool:
    """A row where nothing was typed (a choice list or a number alone does not make it a row)."""
    for option in fields:
        raw = row.get(option.name)
        if option.kind == "rows":
            nested = raw if isinstance(raw, dict) else {}
            if any(isinstance(r, dict) and not _blank(option.fields, r) for r in nested.values()):
                return False
        elif option.kind in ("text", "textarea", "date", "lines") and _one(raw).strip():
            return False
    return True


# -- an option error → the field it names ---------------------------------------------------------
def error_field(key: str) -> str:
    """The form field an option error names: ``topics[2].title`` → ``o.topics.1.title``."""
    return PREFIX + "." + re.sub(r"\[(\d+)\]", lambda found: f".{max(int(found[1]) - 1, 0)}", key)


def field_id(prefix: str, name: str) -> str:
    """The id of a field on the page: the step's prefix and its name, with dashes."""
    return prefix + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def value_at(options: Mapping[str, Any], name: str) -> Any:
    """What an option holds at a field's path (``o.topics.1.title``), or None."""
    node: Any = options
    for part in name.split(".")[1:]:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


#: the longest contribution a step accepts, an option most activities share
MAX_LENGTH = OptionField(
    "max_length",
    _l("Longest contribution, in characters"),
    "number",
    hint=_l("A whole number between 10 and 2000."),
    minimum=10,
    maximum=2000,
)


def as_form(fields: tuple[OptionField, ...], options: Mapping[str, Any], prefix: str = PREFIX) -> list[tuple[str, str]]:
    """Options as the fields a filled form posts (what :func:`from_form` reads back)."""
    posted: list[tuple[str, str]] = []
    for option in fields:
        name = f"{prefix}.{option.name}"
        value = options.get(option.name)
        if option.kind == "rows":
            for number, row in enumerate(value or []):
                posted += as_form(option.fields, row, f"{name}.{number}")
        elif option.kind == "checkboxes":
            posted += [(name, str(v)) for v in value or []]
        elif option.kind == "lines":
            posted.append((name, "\n".join(str(v) for v in value or [])))
        elif value is not None:
            posted.append((name, str(value)))
    return posted

"""Opening hours (`horaires`) in the OpenStreetMap syntax: checked and told in plain words.

The check is the `opening-hours-py` library's parser (the Rust `opening-hours` crate, maintained,
the same grammar as the OSM wiki); a wrong string is refused with the place where it stops being
readable. The plain description comes from `osm-opening-hours-humanized` (AGPL-3.0, like kit),
which reads the common forms; for what it cannot tell (comments, holidays, weeks), kit shows the
string as written rather than a wrong sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import opening_hours
import osm_opening_hours_humanized as humanized

from kit.core.errors import InvalidInput
from kit.core.i18n import lazy_gettext as _l

MAX_LENGTH = 300
#: the week as the form and the OSM syntax name its days
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_NAMES = {
    "Mo": _l("Monday"),
    "Tu": _l("Tuesday"),
    "We": _l("Wednesday"),
    "Th": _l("Thursday"),
    "Fr": _l("Friday"),
    "Sa": _l("Saturday"),
    "Su": _l("Sunday"),
}
#: two opening spans a day in the weekly timetable (morning and afternoon, say)
SPANS = (1, 2)
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


@dataclass
class HoursProblem:
    """Where a string stops being readable (1-based character) and the lazy message that says so."""

    column: int
    message: object


def check(text: str) -> HoursProblem | None:
    """None when `text` is valid opening hours in the OSM syntax, else where and why it is not."""
    if len(text) > MAX_LENGTH:
        return HoursProblem(MAX_LENGTH, _l("At most %(max)d characters.", max=MAX_LENGTH))
    try:
        opening_hours.OpeningHours(text)
    except Exception as error:  # noqa: BLE001 — the library's ParserError and its siblings
        found = re.search(r"-->\s*\d+:(\d+)", str(error))
        column = int(found.group(1)) if found else 1
        # from the start of the word the parser stopped in ("Samedi", not "medi")
        while column > 1 and text[column - 2] not in " ;,":
            column -= 1
        part = text[column - 1 : column + 15].strip() or text[-16:]
        return HoursProblem(
            column,
            _l(
                "These opening hours cannot be read from character %(column)d (« %(part)s »). "
                "Write them in the OpenStreetMap form, e.g. Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00.",
                column=column,
                part=part,
            ),
        )
    return None


@lru_cache(maxsize=512)
def describe(text: str, locale: str = "fr") -> tuple[str, ...]:
    """The opening hours as sentences in `locale` ("fr" or "en"), or () when they cannot be told."""
    if not text or check(text) is not None:
        return ()
    try:
        parsed = humanized.OHParser(text, locale="en" if locale.startswith("en") else "fr")
        lines = parsed.description()
    except Exception:  # noqa: BLE001 — the humanizer reads a narrower grammar than the checker
        return ()
    return tuple(line.replace("\u2009", " ").replace("\u202f", " ") for line in lines)


def week(days: dict[str, list[tuple[str, str]]]) -> str:
    """The OSM string for a weekly timetable: day → [(opens, closes), …] with times as HH:MM.

    Days with the same hours are grouped (Mo-Fr when they follow each other, else Mo,We)."""
    groups: dict[str, list[str]] = {}
    for day in DAYS:
        spans = days.get(day) or []
        if spans:
            groups.setdefault(",".join(f"{a}-{b}" for a, b in spans), []).append(day)
    return "; ".join(f"{_days(members)} {times}" for times, members in groups.items())


def _days(members: list[str]) -> str:
    indexes = [DAYS.index(d) for d in members]
    runs: list[list[int]] = []
    for i in indexes:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
        else:
            parts.extend(DAYS[i] for i in run)
    return ",".join(parts)


def from_timetable(form: object) -> str:
    """The OSM string for the weekly timetable's fields ``hours-<Mo…Su>-<1|2>-from`` / ``-to``.

    "" when the timetable is empty; a wrong or incomplete span raises InvalidInput naming its day."""
    get = getattr(form, "get", None)
    if get is None:
        raise InvalidInput(_l("The message was not understood. Please reload the page."), "horaires")
    days: dict[str, list[tuple[str, str]]] = {}
    for day in DAYS:
        spans: list[tuple[str, str]] = []
        for n in SPANS:
            opens, closes = (str(get(f"hours-{day}-{n}-{end}") or "").strip()[:5] for end in ("from", "to"))
            if not opens and not closes:
                continue
            if not (_TIME.match(opens) and _TIME.match(closes)) or opens >= closes:
                raise InvalidInput(
                    _l(
                        "%(day)s: give an opening time and a later closing time, such as 09:00 and 12:00.",
                        day=DAY_NAMES[day],
                    ),
                    "horaires",
                )
            if spans and opens <= spans[-1][1]:
                raise InvalidInput(
                    _l("%(day)s: the second opening starts before the first one ends.", day=DAY_NAMES[day]),
                    "horaires",
                )
            spans.append((opens, closes))
        days[day] = spans
    return week(days)


def timetable(text: str) -> dict[str, list[tuple[str, str]]]:
    """The weekly timetable a simple OSM string stands for ("Mo-Fr 09:00-12:00,14:00-17:30; Sa …"),
    {} when the string says more than a timetable can (holidays, comments, weeks, three spans)."""
    result: dict[str, list[tuple[str, str]]] = {}
    for rule in text.split(";"):
        found = re.fullmatch(r"\s*([A-Za-z,-]+)\s+(\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)?)\s*", rule)
        if not found:
            return {}
        days: list[str] = []
        for part in found.group(1).split(","):
            ends = part.split("-")
            if not all(end in DAYS for end in ends) or len(ends) > 2:
                return {}
            first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
            if last < first:
                return {}
            days.extend(DAYS[first : last + 1])
        spans = [tuple(span.split("-")) for span in found.group(2).split(",")]
        for day in days:
            if day in result:
                return {}
            result[day] = spans  # type: ignore[assignment]
    return result

"""Places in and out as CSV in the national standard.

Reading is forgiving where a file's meaning is clear (another encoding, semicolons between columns,
a column spelled as in the standard's own example, "," or ";" between values, long labels of an
earlier version) and says so in a notice; it is strict where a value would be wrong (a postcode,
an INSEE code, coordinates, a kind of structure or a service outside the standard): that row is
reported by line and column, with the reason, and kept out. Writing always gives the schema's form:
UTF-8, commas between columns, "|" between values, every column in the schema's order.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import LazyString

from kit.core.csv_cells import neutralise
from kit.core.i18n import lazy_gettext as _l
from kit.places import hours, standard

MAX_BYTES = 5_000_000
MAX_ROWS = 20_000


@dataclass
class Problem:
    """Something to tell about the file: where (line 0 = the whole file) and what."""

    line: int
    column: str
    message: Any  # a lazy translated string


@dataclass
class Row:
    line: int
    ref: str
    data: dict[str, Any]
    notices: list[Problem] = field(default_factory=list)


@dataclass
class Reading:
    """What a file holds: its valid rows, its errors (rows kept out) and its notices."""

    rows: list[Row] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    encoding: str = "utf-8"

    @property
    def error_lines(self) -> int:
        return len({e.line for e in self.errors if e.line})


def _decode(raw: bytes, reading: Reading) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    reading.encoding = "windows-1252"
    reading.notices.append(
        Problem(
            0,
            "",
            _l(
                "The file is not in UTF-8, as the standard asks: it was read as Windows-1252 (Latin-1). "
                "Check the accented letters in the preview."
            ),
        )
    )
    return raw.decode("cp1252", errors="replace")


def _separator(first_line: str, reading: Reading) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    chosen = max(counts, key=lambda sep: counts[sep])
    if chosen != "," and counts[chosen] > counts[","]:
        shown = "tab" if chosen == "\t" else chosen
        reading.notices.append(
            Problem(
                1,
                "",
                _l(
                    "The columns are separated by « %(sep)s », not by commas as the standard asks: "
                    "the file was read with « %(sep)s ».",
                    sep=shown,
                ),
            )
        )
        return chosen
    return ","


def _column_name(raw: str) -> str:
    name = raw.strip().strip("\ufeff").lower().replace(" ", "_").replace("'", "_")
    return standard.COLUMN_SPELLINGS.get(name, name)


def _split(value: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", value) if part.strip()]


def read(raw: bytes) -> Reading:
    """Read a CSV file in the standard; nothing is stored."""
    reading = Reading()
    if len(raw) > MAX_BYTES:
        reading.errors.append(Problem(0, "", _l("The file is too large (5 MB at most).")))
        return reading
    text = _decode(raw, reading)
    if not text.strip():
        reading.errors.append(Problem(0, "", _l("The file is empty.")))
        return reading
    separator = _separator(text.splitlines()[0], reading)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = [_column_name(c) for c in next(reader)]
    except csv.Error:
        reading.errors.append(Problem(1, "", _l("The first line cannot be read as the columns' names.")))
        return reading
    for name in header:
        if name and name not in standard.FIELDS:
            reading.notices.append(Problem(1, name, _l("This column is not in the standard: it was left aside.")))
    missing = [name for name in standard.FIELDS if name in standard.REQUIRED and name not in header]
    for name in missing:
        reading.errors.append(Problem(1, name, _l("This required column is missing: no place can be read without it.")))
    if missing:
        return reading
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    try:
        for cells in reader:
            if len(reading.rows) + reading.error_lines >= MAX_ROWS:
                reading.errors.append(Problem(line, "", _l("Too many rows: 20,000 at most.")))
                break
            if any(c.strip() for c in cells):
                _read_row(line, header, cells, seen, reading)
            line = reader.line_num + 1
    except csv.Error:
        reading.errors.append(Problem(line, "", _l("This line cannot be read (a quote is not closed?).")))
    return reading


def _read_row(line: int, header: list[str], cells: list[str], seen: dict[str, int], reading: Reading) -> None:
    if len(cells) != len(header):
        reading.errors.append(
            Problem(
                line,
                "",
                _l(
                    "This line has %(found)d cells where the first line names %(expected)d columns.",
                    found=len(cells),
                    expected=len(header),
                ),
            )
        )
        return
    raw = {name: cell.strip() for name, cell in zip(header, cells, strict=True) if name in standard.FIELDS}
    errors: list[Problem] = []
    notices: list[Problem] = []
    data = clean_place(raw, line, errors, notices)
    ref = raw.get("id", "")
    if ref and ref in seen:
        errors.append(Problem(line, "id", _l("This id is already used on line %(line)d.", line=seen[ref])))
    if errors:
        reading.errors.extend(errors)
        return
    seen[ref] = line
    reading.rows.append(Row(line, ref, data, notices))


def clean_place(raw: dict[str, str], line: int, errors: list[Problem], notices: list[Problem]) -> dict[str, Any]:
    """The standard's columns as kit keeps them (lists for the multi-valued ones, numbers, ISO date).

    `raw` maps column names to texts; what is wrong goes to `errors`, what was changed to `notices`."""

    def error(column: str, message: LazyString) -> None:
        errors.append(Problem(line, column, message))

    data: dict[str, Any] = {}
    for name in standard.FIELDS:
        value = (raw.get(name) or "").strip()
        if not value:
            if name in standard.REQUIRED:
                error(name, _l("This value is required."))
            if name != "id":
                data[name] = [] if name in standard.LIST_FIELDS else None if name in standard.NUMBERS else ""
            continue
        if name == "id":
            if len(value) > 100:
                error(name, _l("At most %(max)d characters.", max=100))
            continue
        if name in standard.NUMBERS:
            data[name] = _number(name, value, error)
        elif name == "date_maj":
            data[name] = _date(value, error)
        elif name == "pivot":
            compact = re.sub(r"[\s.]", "", value)
            if not standard.PIVOT.match(compact):
                error(name, _l("Expected a SIRET (14 digits), a SIREN (9 digits) or an RNA number (W and 9 digits)."))
            data[name] = compact
        elif name == "code_postal":
            if not re.match(standard.PATTERNS[name], value):
                error(name, _l("A postcode has 5 digits (e.g. 35500)."))
            data[name] = value
        elif name == "code_insee":
            if not re.match(standard.PATTERNS[name], value):
                error(
                    name,
                    _l("An INSEE code has 5 characters: 2 for the département (2A or 2B in Corsica), then 3 digits."),
                )
            data[name] = value
        elif name == "telephone":
            data[name] = _phone(value, error, notices, line)
        elif name == "typologie":
            written = _split(value, "|;,")
            kinds = [standard.match_typology(k) or k for k in written]
            unknown = [k for k in kinds if k not in standard.TYPOLOGIES]
            if unknown:
                error(name, _l("Unknown kind of structure: %(values)s.", values=", ".join(unknown)))
            data[name] = list(dict.fromkeys(kinds))
        elif name == "courriels":
            data[name] = _split(value, "|;, ")
        elif name == "site_web":
            data[name] = [_url(name, v, error) for v in _split(value, "|;")]
        elif name == "horaires":
            problem = hours.check(value)
            if problem:
                error(name, problem.message)  # type: ignore[arg-type]
            data[name] = value
        elif name in URL_FIELDS:
            data[name] = _url(name, value, error)
        elif name in standard.ENUMS:
            data[name] = _values(name, value, error, data, notices, line)
        else:
            limit = standard.MAX_LENGTH.get(name, 5000)
            if len(value) > limit:
                error(name, _l("At most %(max)d characters.", max=limit))
            data[name] = value
    return data


URL_FIELDS = frozenset({"fiche_acces_libre", "prise_rdv"})


def _url(name: str, value: str, error: Any) -> str:
    """A web address: "www.example.fr" gets its https://; another kind of link is refused."""
    if re.match(r"(?i)https?://[^\s]+$", value):
        return value
    if re.match(r"(?i)[a-z0-9-]+(\.[a-z0-9-]+)+([/?#][^\s]*)?$", value):
        return "https://" + value
    error(name, _l("Expected a web address, such as https://www.example.fr/."))
    return value


def _number(name: str, value: str, error: Any) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        error(name, _l("Expected a number, such as 48.1173."))
        return None
    low, high = standard.RANGES[name]
    if not low <= number <= high:
        if name == "latitude":
            error(name, _l("A latitude is between -90 and 90."))
        else:
            error(name, _l("A longitude is between -180 and 180."))
        return None
    return number


def _date(value: str, error: Any) -> str | None:
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        error("date_maj", _l("Expected a date written as 2026-03-31."))
        return None


def _phone(value: str, error: Any, notices: list[Problem], line: int) -> str:
    compact = re.sub(r"[\s.\-()]", "", value)
    if re.fullmatch(r"0\d{9}", compact):
        compact = "+33" + compact[1:]
    elif re.fullmatch(r"33\d{9}", compact):
        compact = "+" + compact
    if not re.match(standard.PATTERNS["telephone"], compact):
        error("telephone", _l("Expected a phone number such as +33299000000 or 02 99 00 00 00."))
        return value
    if compact != value:
        notices.append(
            Problem(
                line, "telephone", _l("Written in the international form the standard asks: %(phone)s.", phone=compact)
            )
        )
    return compact


def _values(name: str, value: str, error: Any, data: dict[str, Any], notices: list[Problem], line: int) -> list[str]:
    found: list[str] = []
    unknown: list[str] = []
    whole = standard.match_value(name, value)
    parts = [whole] if whole else _split(value, "|;")
    for part in parts:
        matched = standard.match_value(name, part)
        if matched:
            found.append(matched)
            continue
        pieces = _split(part, ",")
        matches = [standard.match_value(name, piece) for piece in pieces]
        if len(pieces) > 1 and all(matches):
            found.extend(m for m in matches if m)
        else:
            unknown.append(part)
    if unknown and name == "formations_labels":
        # the schema says: what is not in the list goes to the other labels
        others = [data.get("autres_formations_labels") or "", *unknown]
        data["autres_formations_labels"] = ", ".join(o for o in others if o)
        notices.append(
            Problem(
                line,
                name,
                _l("Not in the standard's list, moved to the other labels: %(values)s.", values=", ".join(unknown)),
            )
        )
    elif unknown:
        error(name, _l("Not in the standard's list: %(values)s.", values=", ".join(unknown)))
    return list(dict.fromkeys(found))


# -- writing ---------------------------------------------------------------------------------------
def as_row(ref: str, data: dict[str, Any]) -> list[str]:
    """One place as the standard's cells."""
    cells = []
    for name in standard.FIELDS:
        value = ref if name == "id" else data.get(name)
        if value is None:
            cells.append("")
        elif isinstance(value, list):
            cells.append(standard.SEPARATOR.join(str(v) for v in value))
        elif isinstance(value, float):
            cells.append(repr(value))
        else:
            cells.append(str(value))
    return cells


def complete(data: dict[str, Any]) -> bool:
    """Whether a place has every value the standard requires (else it cannot be published)."""
    return all(data.get(name) for name in standard.REQUIRED if name != "id")


#: The columns that may legitimately start with "+" or "-" in the standard, and the whole form a
#: value must have there to be written as it is: the standard asks for phone numbers as "+33…"
#: (its pattern), and coordinates are signed numbers (a longitude west of Greenwich is negative).
#: Such a value is digits a spreadsheet reads as a number, never a call; anything else in these
#: columns, and every other cell starting with a formula character (a name "=HYPERLINK(…)"), is
#: neutralised like the meeting exports, so that the file stays valid against the schema and
#: still opens in a spreadsheet without running anything.
KEEP_AS_IS: dict[str, re.Pattern[str]] = {
    "telephone": re.compile(standard.PATTERNS["telephone"].strip("^$")),
    "latitude": re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?"),
    "longitude": re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?"),
}


def write(places: list[tuple[str, dict[str, Any]]]) -> str:
    """Places as a CSV in the standard (UTF-8, commas, "|" between values), formulas neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(standard.FIELDS)
    for ref, data in places:
        cells = as_row(ref, data)
        writer.writerow(
            [neutralise(cell, KEEP_AS_IS.get(name)) for name, cell in zip(standard.FIELDS, cells, strict=True)]
        )
    return out.getvalue()

"""A CSV export of a meeting with tricky texts opens in LibreOffice with every row and column where
it belongs: converted with `soffice --headless --convert-to ods`, then the spreadsheet read back
cell by cell (the ODS file's XML) and compared with the rows kit meant to write.

Both variants: comma-separated UTF-8, and semicolons with a byte-order mark (what spreadsheets
in French locales expect). LibreOffice is told the separator and UTF-8, as a person chooses them
in its text import dialog. Each run has its own LibreOffice profile folder, so runs side by side
do not clash. Skipped when soffice is missing, unless KIT_REQUIRE_SOFFICE is set (CI sets it).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kit.core import csv_cells
from kit.core.models import Meeting
from kit.meeting import lifecycle, moderation, votes
from kit.meeting.templates import StepTemplate
from kit.places import csv_io, standard
from kit.publishing import exports
from tests.conftest import gen_template

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

LONG = ('Une très longue contribution, avec des virgules; des points-virgules et "des guillemets".\n' * 21).strip()
TRICKY = [
    'Un texte, avec "des guillemets", des virgules',
    "Sur deux\nlignes",
    "Trois lignes,\n\ndont une vide",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://exemple.invalid";"clic")',
    "+33 6 00 00 00 00",
    "-moins",
    "@SUM(A1:A2)",
    "Point-virgule ; au milieu; et à la fin;",
    "Accents : éèêëàâîïôöùûüÿçœæ ÉÀÇ « guillemets » — tiret, emoji 😀",
    '"Entre guillemets du début à la fin"',
    "des  espaces   multiples et une\ttabulation",
    LONG,
]
NAMES = ['Awa "la Grande", Diallo', "=Bruno", "-Chloé; Martin", "@dmin"]


def soffice_or_skip() -> str:
    if SOFFICE is None:
        if os.environ.get("KIT_REQUIRE_SOFFICE"):
            pytest.fail("LibreOffice (soffice) is required here (KIT_REQUIRE_SOFFICE is set) but is not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def tricky_meeting(db) -> Meeting:  # type: ignore[no-untyped-def]
    template = gen_template(
        StepTemplate("board", "Idées, envies", "", {"max_length": 2000}),
        StepTemplate("needs", 'Besoins "urgents"', "", {}),
        StepTemplate("board", "Jamais atteinte", "", {}),
        title="Rencontre, avec des pièges",
    )
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    people = [lifecycle.join(db, meeting, name) for name in NAMES]
    for n, text in enumerate(TRICKY):
        lifecycle.contribute(db, meeting, people[n % len(people)], meeting.steps[0].id, f"b{n}", {"text": text})
    hidden = lifecycle.contribute(db, meeting, people[0], meeting.steps[0].id, "hidden", {"text": "masqué"})
    moderation.hide(db, meeting, hidden.contribution.id)
    needs = lifecycle.move(db, meeting, +1)
    first = lifecycle.contribute(db, meeting, people[1], needs.id, "n1", {"text": "=1+1, un besoin"}).contribution
    lifecycle.contribute(db, meeting, people[2], needs.id, "n2", {"text": "Sur\nplusieurs\nlignes"})
    for person in people[2:]:
        votes.set_vote(db, meeting, person, first.id, True)
    return meeting


def cell_text(element: ElementTree.Element) -> str:
    """What a spreadsheet cell's paragraph says, with ODF's spaces, tabs and line breaks put back."""
    out = [element.text or ""]
    for child in element:
        tag = child.tag.split("}")[1]
        if tag == "s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif tag == "tab":
            out.append("\t")
        elif tag == "line-break":
            out.append("\n")
        else:
            out.append(cell_text(child))
        out.append(child.tail or "")
    return "".join(out)


def read_ods(path: Path) -> tuple[list[list[str]], list[str]]:
    """The first sheet's rows as texts (trailing empty cells and rows dropped), and any formulas."""
    with zipfile.ZipFile(path) as ods:
        root = ElementTree.fromstring(ods.read("content.xml"))
    sheet = root.find(f".//{{{TABLE}}}table")
    assert sheet is not None
    rows: list[list[str]] = []
    formulas: list[str] = []
    for row in sheet.iter(f"{{{TABLE}}}table-row"):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell"):
                continue
            if cell.get(f"{{{TABLE}}}formula"):
                formulas.append(cell.get(f"{{{TABLE}}}formula", ""))
            text = "\n".join(cell_text(p) for p in cell.findall(f"{{{TEXT}}}p"))
            cells += [text] * int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1"))
        while cells and cells[-1] == "":
            cells.pop()
        rows += [cells] * int(row.get(f"{{{TABLE}}}number-rows-repeated", "1"))
    while rows and not rows[-1]:
        rows.pop()
    return rows, formulas


def convert(soffice: str, source: Path, separator: str, workdir: Path) -> Path:
    """LibreOffice opens the CSV (this separator, UTF-8, quotes as text delimiters) and saves it as ODS."""
    profile = workdir / f"lo-profile-{uuid.uuid4().hex[:8]}"
    out = workdir / "out"
    # CSV import options: separator, text delimiter ("), character set (76 = UTF-8), first line
    options = f"CSV:{ord(separator)},34,76,1"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            f"--infilter={options}",
            "--convert-to",
            "ods",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = out / (source.stem + ".ods")
    assert done.returncode == 0 and converted.exists(), f"soffice failed: {done.stdout}\n{done.stderr}"
    shutil.rmtree(profile, ignore_errors=True)
    return converted


@pytest.mark.parametrize(("french", "separator"), [(False, ","), (True, ";")], ids=["comma", "semicolon-bom"])
def test_a_tricky_export_opens_in_libreoffice_with_every_cell_in_place(app, db, tmp_path, french, separator):
    soffice = soffice_or_skip()
    app.config["MAX_TEXT_LENGTH"] = 2000  # the longest a step may take, on many lines
    meeting = tricky_meeting(db)
    body = exports.to_csv(db, meeting, meeting.steps, french_spreadsheet=french)
    assert body.startswith("\ufeff") is french
    source = tmp_path / ("export-fr.csv" if french else "export.csv")
    source.write_bytes(body.encode("utf-8"))

    # what kit meant: its own rows, neutralised, with the header first
    with app.test_request_context():
        meant = [[csv_cells.neutralise(cell) for cell in row] for row in exports.rows(db, meeting, meeting.steps)]
    header = next(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=separator))
    assert len(meant) == len(TRICKY) + 2, "the hidden contribution is left out"

    sheet, formulas = read_ods(convert(soffice, source, separator, tmp_path))

    assert formulas == [], "no cell became a formula"
    assert sheet[0] == header and len(header) == 8
    assert len(sheet) == len(meant) + 1, f"LibreOffice read {len(sheet) - 1} rows instead of {len(meant)}"
    for number, (read, wanted) in enumerate(zip(sheet[1:], meant, strict=True), start=1):
        # an empty last column (votes of a step without votes) is no cell at all once read back
        assert read == wanted[: len(read)] and all(cell == "" for cell in wanted[len(read) :]), (
            f"row {number} moved: {read!r} != {wanted!r}"
        )
    texts = [row[4] for row in sheet[1:]]
    authors = [row[3] for row in sheet[1:]]
    assert texts[: len(TRICKY)] == [csv_cells.neutralise(t) for t in TRICKY]
    assert texts[3] == "'=cmd|' /C calc'!A0" and texts[7] == "'@SUM(A1:A2)", "formulas stay text"
    assert LONG in texts and LONG.count("\n") == 20 and len(LONG) > 1800
    assert authors[0] == 'Awa "la Grande", Diallo' and authors[1] == "'=Bruno" and authors[2] == "'-Chloé; Martin"
    assert sheet[-2][5] == "2", "the votes land in the votes column"
    assert {row[0] for row in sheet[1:]} == {"Idées, envies", 'Besoins "urgents"'}
    assert all(row[7].startswith("20") and row[7][10] == "T" for row in sheet[1:]), "times stay ISO 8601"


def test_a_places_export_with_a_formula_in_a_name_opens_in_libreoffice_as_text(app, db, tmp_path):
    """The places' CSV (the national standard: commas, UTF-8) neutralises formulas like the meeting
    export: every cell where kit wrote it, none evaluated, the standard's "+33…" phone kept."""
    soffice = soffice_or_skip()
    data = {
        "pivot": "123456789",
        "nom": '=HYPERLINK("http://exemple.invalid";"clic")',
        "commune": "@Vitré",
        "code_postal": "35500",
        "adresse": "-2 rue de Paris, au fond",
        "latitude": 48.1236,
        "longitude": -1.2094,
        "telephone": "+33299000000",
        "date_maj": "2026-03-02",
        "services": ["Aide aux démarches administratives"],
    }
    body = csv_io.write([("vitre-1", data), ("vitre-2", {**data, "nom": "=1+1", "commune": "+Vitré"})])
    source = tmp_path / "lieux.csv"
    source.write_bytes(body.encode("utf-8"))
    meant = list(csv.reader(io.StringIO(body)))

    sheet, formulas = read_ods(convert(soffice, source, ",", tmp_path))

    assert formulas == [], "no cell became a formula"
    assert len(sheet) == 3 and sheet[0] == list(standard.FIELDS)[: len(sheet[0])]
    column = {name: n for n, name in enumerate(standard.FIELDS)}
    phone = column["telephone"]
    for read, wanted in zip(sheet, meant, strict=True):
        if len(read) > phone and wanted[phone] == "+33299000000":
            # the standard's form, written as it is: LibreOffice reads it as a number (a constant,
            # its "+" dropped as for any signed number typed in), never as a formula
            assert read[phone] == "33299000000"
            read[phone] = wanted[phone]
        assert read == wanted[: len(read)] and all(cell == "" for cell in wanted[len(read) :]), read
    assert sheet[1][column["nom"]] == "'" + data["nom"] and sheet[2][column["nom"]] == "'=1+1"
    assert sheet[1][column["commune"]] == "'@Vitré" and sheet[2][column["commune"]] == "'+Vitré"
    assert sheet[1][column["adresse"]] == "'-2 rue de Paris, au fond"

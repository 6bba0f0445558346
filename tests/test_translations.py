"""Every word people read exists in French, kit's first language."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("kit/**.py", "python"), ("kit/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}


def test_every_message_in_the_code_has_a_french_translation():
    with (ROOT / "kit/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
    }
    missing = sorted(m for m in found if m not in translated)
    assert missing == [], "run pybabel extract/update (see docs/architecture.md) and translate: " + repr(missing)


def test_no_translated_text_hides_inside_an_f_string():
    """The extractor cannot see _() inside an f-string, so such text would stay in English."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "kit").rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""f["'].*\{_l?\(""", line)
    ]
    assert offenders == []

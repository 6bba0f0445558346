"""Cells of the CSV files kit writes: text a spreadsheet would run as a formula stays text.

Every CSV kit writes (a meeting's export, the network's places) passes its cells through
:func:`neutralise`, as OWASP advises against CSV injection: a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str, keep: re.Pattern[str] | None = None) -> str:
    """A cell a spreadsheet would read as a formula gets a leading apostrophe, and stays text.

    ``keep`` is for columns whose format a standard fixes and that may legitimately start with
    ``+`` or ``-`` (a phone number ``+33…``, a negative longitude): a cell that matches it whole
    is plain digits a spreadsheet reads as a number, never a call, and is written as it is.
    """
    if not cell.startswith(FORMULA_STARTS):
        return cell
    if keep is not None and keep.fullmatch(cell):
        return cell
    return "'" + cell

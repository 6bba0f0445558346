"""The meeting's data as CSV, at any moment, without ending it: one row per contribution.

RFC 4180 (quoted fields, CRLF line ends), UTF-8, comma-separated; or the variant spreadsheet
software expects in French locales: semicolons and a byte-order mark. Cells that a spreadsheet
would run as a formula are neutralised, as OWASP advises (``kit.core.csv_cells``, shared with the
places' export).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core import queries
from kit.core.csv_cells import neutralise
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Step

PARIS = ZoneInfo("Europe/Paris")
#: where the facilitator took a contribution, as a person reads it
STATUS_LABELS = {
    "open": _l("open"),
    "answering": _l("being answered"),
    "answered": _l("answered"),
    "deferred": _l("deferred"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "validated": _l("validated"),
}


def header() -> list[str]:
    return [_("Step"), _("Activity"), _("Topic or section"), _("Author"), _("Text"), _("Votes"), _("Status"), _("Time")]


def rows(db: Session, meeting: Meeting, steps: Iterable[Step]) -> list[list[str]]:
    """One row per visible contribution of the given steps, in the order of the steps, oldest first."""
    out = []
    for step in steps:
        activity = activity_for(step)
        tallies = queries.tallies(db, step.id) if activity.votable else {}
        for contribution in queries.contributions(db, step):
            item = activity.item_data(contribution)
            out.append(
                [
                    step.title,
                    str(activity.label),
                    activity.export_topic(contribution.data),
                    item["author"],
                    activity.export_text(contribution.data),
                    str(tallies.get(contribution.id, 0)) if activity.votable else "",
                    str(STATUS_LABELS.get(contribution.status, contribution.status)),
                    contribution.created_at.astimezone(PARIS).isoformat(timespec="seconds"),
                ]
            )
    return out


def to_csv(db: Session, meeting: Meeting, steps: Iterable[Step], *, french_spreadsheet: bool = False) -> str:
    """The CSV text; with `french_spreadsheet`, semicolons and a byte-order mark."""
    with force_locale(meeting.language):
        table = [header(), *rows(db, meeting, steps)]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=";" if french_spreadsheet else ",", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writerows([[neutralise(cell) for cell in row] for row in table])
    return ("\ufeff" if french_spreadsheet else "") + buffer.getvalue()

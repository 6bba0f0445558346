"""Check-in: each person says who they are and where they work; the room sees who is here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from kit.activities import Activity
from kit.errors import OptionError
from kit.markdown_text import escape

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kit.models import Contribution, Participant

from kit.validation import clean_text, require_mapping


class CheckIn(Activity):
    """Name, structure and territory of each person present: the attendance list."""

    name = "checkin"
    label = _l("Check-in (who is here)")
    one_per_participant = True
    editable_field = None

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"host"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: host)."))
        host = options.get("host", "")
        if not isinstance(host, str):
            raise OptionError("host", _l("Expected a text."))
        return {"host": host.strip()}

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        config = current_app.config
        return {
            "name": clean_text(data.get("name"), "name", config["MAX_NAME_LENGTH"], multiline=False),
            "structure": clean_text(
                data.get("structure"), "structure", config["MAX_FIELD_LENGTH"], required=False, multiline=False
            ),
            "territory": clean_text(
                data.get("territory"), "territory", config["MAX_FIELD_LENGTH"], required=False, multiline=False
            ),
        }

    def after_submission(self, db: Session, participant: Participant, data: Mapping[str, Any]) -> None:
        # the attendance list and the minutes read the participant, so keep it up to date
        participant.display_name = data["name"]
        participant.structure = data["structure"]
        participant.territory = data["territory"]

    def summary(self, data: Mapping[str, Any]) -> str:
        return " · ".join(part for part in (data["name"], data["structure"], data["territory"]) if part)

    def item_key(self, contribution: Contribution) -> str:
        return f"p{contribution.participant_id}"

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        # who they are is in the minutes' list of who came, which check-ins keep up to date
        host = self.options.get("host")
        lines = [_("Host: %(host)s", host=escape(host)), ""] if host else []
        lines.append(ngettext("%(num)d person checked in.", "%(num)d people checked in.", len(contributions)))
        return "\n".join(lines)

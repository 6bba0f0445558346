"""Board: a prompt, example cards the facilitator prepared (the *exemplier*), and the room's cards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape_block
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from kit.core.models import Contribution, Participant

MAX_EXAMPLES = 20


class Board(Activity):
    """Participants post short free-text cards; the screen shows them as they arrive."""

    name = "board"
    label = _l("Board of contributions")
    option_fields = (
        OptionField(
            "exemplier",
            _l("Examples, one per line"),
            "lines",
            hint=_l("At most %(max)d examples, shown before the room's contributions.", max=MAX_EXAMPLES),
        ),
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"exemplier", "max_length"}
        if unknown:
            key = sorted(unknown)[0]
            raise OptionError(key, _l("Unknown option (this activity knows: exemplier, max_length)."))
        examples = options.get("exemplier", [])
        if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
            raise OptionError("exemplier", _l("Expected a list of non-empty texts."))
        if len(examples) > MAX_EXAMPLES:
            raise OptionError("exemplier", _l("At most %(max)d examples.", max=MAX_EXAMPLES))
        max_length = options.get("max_length", 500)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"exemplier": [e.strip() for e in examples], "max_length": max_length}

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        return {"text": clean_text(data.get("text"), "text", self.max_text_length())}

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        lines: list[str] = []
        examples = self.options.get("exemplier", [])
        if examples:
            lines.append("*" + _("Examples given") + "*")
            lines.append("")
            lines.extend(f"- {escape_block(example)}" for example in examples)
            lines.append("")
        if contributions:
            lines.append("*" + _("Contributions (%(count)d)", count=len(contributions)) + "*")
            lines.append("")
            lines.extend(f"- {escape_block(c.data['text'])} — {escape_block(c.author)}" for c in contributions)
        else:
            lines.append(_("No contribution."))
        return "\n".join(lines)

"""Outside speaker: the room's questions, upvoted and moderated, marked answered as the talk goes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Contribution, Participant
from kit.core.queries import NO_SUCH_CONTRIBUTION, get_contribution
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class SpeakerQuestions(Activity):
    """Questions for a speaker: the most supported first; the facilitator marks them answered."""

    name = "speaker"
    has_main_action = True
    has_menu_extra = True
    label = _l("Questions to a speaker")
    votable = True
    phone_sees_items = True
    facilitator_actions = frozenset({"mark_answered", "reopen"})
    option_fields = (
        OptionField("speaker", _l("Speaker"), hint=_l("Name and structure of the person who speaks.")),
        OptionField("theme", _l("Theme")),
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"speaker", "theme", "max_length"}
        if unknown:
            raise OptionError(
                sorted(unknown)[0], _l("Unknown option (this activity knows: speaker, theme, max_length).")
            )
        cleaned: dict[str, Any] = {}
        for key in ("speaker", "theme"):
            value = options.get(key, "")
            if not isinstance(value, str):
                raise OptionError(key, _l("Expected a text."))
            cleaned[key] = value.strip()
        max_length = options.get("max_length", 300)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {**cleaned, "max_length": max_length}

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        return {"text": clean_text(require_mapping(data).get("text"), "text", self.max_text_length())}

    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:

        question = get_contribution(db, self.step.meeting, payload.get("id"))
        if question.step_id != self.step.id:
            raise KitError("not_found", NO_SUCH_CONTRIBUTION)
        question.status = "answered" if action == "mark_answered" else "open"
        return [question]

    @staticmethod
    def by_votes(items: list[Contribution], votes: Mapping[int, int]) -> list[Contribution]:
        """Open questions first, most supported first; answered ones after."""
        return sorted(items, key=lambda c: (c.status == "answered", -votes.get(c.id, 0), c.id))

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        lines = []
        if self.options.get("speaker") or self.options.get("theme"):
            who = ", ".join(escape(v) for v in (self.options.get("speaker"), self.options.get("theme")) if v)
            lines += [_("Speaker: %(who)s", who=who), ""]
        if not contributions:
            return "\n".join(lines + [_("No question was asked.")])
        for question in self.by_votes(contributions, votes):
            support = ngettext("%(num)d vote", "%(num)d votes", votes.get(question.id, 0))
            done = " — " + _("answered") if question.status == "answered" else ""
            lines.append(f"- {escape_block(question.data['text'])} ({support}){done}")
        return "\n".join(lines)

"""Needs capture (*recensement des besoins*): needs and questions, upvoted, then each answered now
(in a time box, the answer recorded) or deferred to a channel — and deferred ones come back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Contribution, Participant, utcnow
from kit.core.queries import NO_SUCH_CONTRIBUTION, get_contribution
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: where a need can be deferred to, as stored → as read
CHANNELS: dict[str, Any] = {
    "next_meeting": _l("the next meeting"),
    "chat": _l("the chat channel"),
    "newsletter": _l("the next newsletter"),
    "person": _l("a named person"),
}
MAX_MINUTES = 60


class Needs(Activity):
    """Participants post needs or questions and vote for others'; the facilitator answers or defers each."""

    name = "needs"
    has_main_action = True
    has_menu_extra = True
    label = _l("Needs and questions (with votes)")
    votable = True
    phone_sees_items = True
    channels = CHANNELS
    facilitator_actions = frozenset({"answer_now", "record_answer", "defer", "reopen", "stop_timer"})
    option_fields = (
        MAX_LENGTH,
        OptionField(
            "minutes",
            _l("Time to answer a need, in minutes"),
            "number",
            hint=_l("A whole number between 1 and %(max)d.", max=MAX_MINUTES),
            minimum=1,
            maximum=MAX_MINUTES,
        ),
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"max_length", "minutes"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: max_length, minutes)."))
        max_length = options.get("max_length", 300)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        minutes = options.get("minutes", 5)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
            raise OptionError("minutes", _l("Expected a whole number of minutes between 1 and 60."))
        return {"max_length": max_length, "minutes": minutes}

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        return {"text": clean_text(data.get("text"), "text", self.max_text_length())}

    # -- facilitator -------------------------------------------------------------------------
    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:

        need = get_contribution(db, self.step.meeting, payload.get("id"))
        if need.step_id != self.step.id:
            raise KitError("not_found", NO_SUCH_CONTRIBUTION)
        state = dict(self.step.state or {})
        if action == "answer_now":
            minutes = payload.get("minutes", self.options.get("minutes", 5))
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
                raise InvalidInput(_l("Choose a time between 1 and 60 minutes."), "minutes")
            state["focus"] = need.id
            state["ends_at"] = (utcnow() + timedelta(minutes=minutes)).isoformat()
            need.status = "answering"
        elif action == "record_answer":
            answer = clean_text(payload.get("answer"), "answer", 2000)
            need.status = "answered"
            need.outcome = {"answer": answer}
            state = self._unfocus(state, need.id)
        elif action == "defer":
            channel = payload.get("channel")
            if not isinstance(channel, str) or channel not in CHANNELS:
                raise InvalidInput(_l("Choose where this need will be taken up."), "channel")
            outcome: dict[str, Any] = {"channel": channel}
            if channel == "person":
                outcome["person"] = clean_text(payload.get("person"), "person", 120, multiline=False)
            need.status = "deferred"
            need.outcome = outcome
            state = self._unfocus(state, need.id)
        elif action == "reopen":
            need.status = "open"
            need.outcome = {}
            state = self._unfocus(state, need.id)
        elif action == "stop_timer":
            state = self._unfocus(state, need.id)
            if need.status == "answering":
                need.status = "open"
        self.step.state = state
        return [need]

    @staticmethod
    def _unfocus(state: dict[str, Any], need_id: int) -> dict[str, Any]:
        if state.get("focus") == need_id:
            state = {k: v for k, v in state.items() if k not in ("focus", "ends_at")}
        return state

    # -- showing -----------------------------------------------------------------------------
    @staticmethod
    def channel_label(outcome: Mapping[str, Any]) -> str:
        channel = outcome.get("channel")
        if channel == "person" and outcome.get("person"):
            return str(outcome["person"])
        return str(CHANNELS.get(str(channel), channel or ""))

    @staticmethod
    def when(iso: str) -> str:
        return str(format_date(date.fromisoformat(iso), "long"))

    @staticmethod
    def by_votes(items: list[Contribution], votes: Mapping[int, int]) -> list[Contribution]:
        """Most supported first; equal support keeps the order of arrival."""
        return sorted(items, key=lambda c: (-votes.get(c.id, 0), c.id))

    # -- minutes -----------------------------------------------------------------------------
    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        if not contributions:
            return _("No need was posted.")
        groups: dict[str, list[str]] = {"answered": [], "deferred": [], "open": []}
        for need in self.by_votes(contributions, votes):
            support = ngettext("%(num)d vote", "%(num)d votes", votes.get(need.id, 0))
            line = f"- {escape_block(need.data['text'])} ({support})"
            if need.data.get("carried_from"):
                line += " — " + _("carried over from %(title)s", title=escape(need.data["carried_from"]["title"]))
            if need.status == "answered":
                line += "  \n  " + _("Answer: %(answer)s", answer=escape_block(need.outcome.get("answer", ""), "  "))
                groups["answered"].append(line)
            elif need.status == "deferred":
                line += "  \n  " + _("Taken up in: %(channel)s", channel=escape(self.channel_label(need.outcome)))
                groups["deferred"].append(line)
            else:
                groups["open"].append(line)
        titles = {
            "answered": _("Answered during the meeting"),
            "deferred": _("Deferred, to come back"),
            "open": _("Not yet answered"),
        }
        lines: list[str] = []
        for key, entries in groups.items():
            if entries:
                lines += [f"**{titles[key]}**", "", *entries, ""]
        return "\n".join(lines).rstrip()

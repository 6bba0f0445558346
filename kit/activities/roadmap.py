"""Roadmap co-writing (*feuille de route*): participants propose items in sections — purpose and
members, objectives, roles, workstreams, calendar — the facilitator edits, merges and validates
them, and each member present signs the roadmap (name and structure, with the time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import object_session

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Contribution, Participant
from kit.core.queries import NO_SUCH_CONTRIBUTION, get_contribution
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: the sections of a roadmap, as stored → as read
SECTIONS: dict[str, Any] = {
    "purpose": _l("Purpose and members"),
    "objectives": _l("Objectives"),
    "roles": _l("Roles: who does what"),
    "workstreams": _l("Workstreams"),
    "calendar": _l("Calendar"),
}


#: how far a validated item has got, as stored → as read
PROGRESS: dict[str, Any] = {
    "todo": _l("to do"),
    "in_progress": _l("in progress"),
    "done": _l("done"),
}


class Roadmap(Activity):
    """Proposals by section, validated by the facilitator; a signature per member present."""

    name = "roadmap"
    has_main_action = True
    has_menu_extra = True
    label = _l("Roadmap co-writing")
    sections = SECTIONS
    facilitator_actions = frozenset({"validate", "unvalidate", "progress"})
    progress_labels = PROGRESS
    option_fields = (
        OptionField(
            "sections",
            _l("Parts of the roadmap"),
            "checkboxes",
            choices=tuple(SECTIONS.items()),
            hint=_l("Tick at least one."),
        ),
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"sections", "max_length"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: sections, max_length)."))
        chosen = options.get("sections", list(SECTIONS))
        if not isinstance(chosen, list) or not chosen or any(s not in SECTIONS for s in chosen):
            raise OptionError(
                "sections", _l("Expected a list among: purpose, objectives, roles, workstreams, calendar.")
            )
        max_length = options.get("max_length", 500)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"sections": list(dict.fromkeys(chosen)), "max_length": max_length}

    @property
    def chosen(self) -> list[str]:
        return list(self.options.get("sections", list(SECTIONS)))

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        if data.get("kind") == "signature":
            self._check_not_signed(participant)
            return {"kind": "signature", "name": participant.shown_name, "structure": participant.structure}
        section = data.get("section")
        if section not in self.chosen:
            raise InvalidInput(_l("Choose the part of the roadmap your proposal is for."), "section")
        return {
            "kind": "item",
            "section": section,
            "text": clean_text(data.get("text"), "text", self.max_text_length()),
        }

    def _check_not_signed(self, participant: Participant) -> None:

        db = object_session(participant)
        assert db is not None
        signed = db.scalar(
            select(Contribution.id).where(
                Contribution.step_id == self.step.id,
                Contribution.participant_id == participant.id,
                Contribution.data["kind"].as_string() == "signature",
            )
        )
        if signed is not None:
            raise KitError("already_signed", _l("You have already signed this roadmap."))

    def summary(self, data: Mapping[str, Any]) -> str:
        if data.get("kind") == "signature":
            return _("Signed")
        return f"{SECTIONS.get(data.get('section', ''), '')} · {data.get('text', '')}"

    def export_topic(self, data: Mapping[str, Any]) -> str:
        if data.get("kind") == "signature":
            return _("Signatures")
        return str(SECTIONS.get(data.get("section", ""), ""))

    def export_text(self, data: Mapping[str, Any]) -> str:
        if data.get("kind") == "signature":
            return ", ".join(part for part in (data.get("name", ""), data.get("structure", "")) if part)
        return str(data.get("text", ""))

    def item_list(self, contribution: Contribution) -> str:
        if contribution.data.get("kind") == "signature":
            return f"{contribution.step_id}-signatures"
        return f"{contribution.step_id}-{contribution.data.get('section')}"

    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:

        item = get_contribution(db, self.step.meeting, payload.get("id"))
        if item.step_id != self.step.id or item.data.get("kind") != "item":
            raise KitError("not_found", NO_SUCH_CONTRIBUTION)
        if action == "progress":
            progress = payload.get("progress")
            if not isinstance(progress, str) or progress not in PROGRESS or item.status != "validated":
                raise InvalidInput(
                    _l("Choose where this validated item stands: to do, in progress or done."), "progress"
                )
            item.outcome = {**item.outcome, "progress": progress}
            return [item]
        item.status = "validated" if action == "validate" else "open"
        return [item]

    @staticmethod
    def progress_of(item: Contribution) -> str:
        return str(item.outcome.get("progress", "todo"))

    # -- reading -----------------------------------------------------------------------------
    def by_section(self, contributions: list[Contribution]) -> list[tuple[str, Any, list[Contribution]]]:
        items = [c for c in contributions if c.data.get("kind") == "item"]
        return [(key, SECTIONS[key], [c for c in items if c.data.get("section") == key]) for key in self.chosen]

    @staticmethod
    def signatures(contributions: list[Contribution]) -> list[Contribution]:
        return [c for c in contributions if c.data.get("kind") == "signature"]

    @staticmethod
    def signed_at(contribution: Contribution) -> str:
        return str(format_datetime(contribution.created_at, "short"))

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        lines: list[str] = []
        for _key, title, items in self.by_section(contributions):
            lines += [f"### {title}", ""]
            validated = [c for c in items if c.status == "validated"]
            proposed = [c for c in items if c.status != "validated"]
            lines += [f"- {escape_block(c.data['text'])} ({PROGRESS[self.progress_of(c)]})" for c in validated] or [
                _("Nothing validated yet.")
            ]
            if proposed:
                lines += ["", "*" + _("Proposed, not yet validated") + "*", ""]
                lines += [f"- {escape_block(c.data['text'])} — {escape(c.author)}" for c in proposed]
            lines.append("")
        signatures = self.signatures(contributions)
        lines += ["### " + _("Signatures (%(count)d)", count=len(signatures)), ""]
        for signature in signatures:
            who = escape(signature.data["name"])
            if signature.data.get("structure"):
                who += f" ({escape(signature.data['structure'])})"
            lines.append(f"- {who} — {self.signed_at(signature)}")
        if not signatures:
            lines.append(_("Nobody has signed yet."))
        return "\n".join(lines).rstrip()

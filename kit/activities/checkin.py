"""Check-in: each person says who they are and where they work; the room sees who is here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import object_session

from kit.activities.base import Activity
from kit.activities.options import OptionField
from kit.core.collation import sort_key
from kit.core.errors import InvalidInput, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Contribution, Participant
from kit.core.queries import known_skills
from kit.core.uploads import is_photo_name

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


from kit.core.validation import clean_name, clean_text, email_address, require_mapping

MAX_SKILLS = 10
SKILL_LENGTH = 60

#: La Coop de la médiation numérique's themes of digital mediation, as its activity reports name
#: them, with their source (repository, file, commit, date): offered at every check-in, after the
#: network's own skills
COOP_THEMATIQUES: Final[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "coop_thematiques.json").read_text(encoding="utf-8")
)
COOP_LABELS: Final[tuple[str, ...]] = tuple(theme["label"] for theme in COOP_THEMATIQUES["thematiques"])


def _skills(value: Any, other: Any, field: str) -> list[str]:
    """Skills ticked in the list plus those typed (comma-separated), cleaned, without repeats."""
    picked = value if isinstance(value, list) else ([] if value in (None, "") else [value])
    typed = clean_text(other, f"{field}_other", 300, required=False, multiline=False)
    found: dict[str, str] = {}
    for raw in [*picked, *typed.split(",")]:
        skill = clean_text(raw, field, SKILL_LENGTH, required=False, multiline=False)
        if skill:
            found.setdefault(skill.casefold(), skill)
    if len(found) > MAX_SKILLS:
        raise InvalidInput(_l("At most %(max)d skills.", max=MAX_SKILLS), field)
    return list(found.values())


class CheckIn(Activity):
    """Who is here: name, structure, territory and role, skills offered and sought; the host presents
    the venue. Feeds the list of who came and the room's skills directory."""

    name = "checkin"
    label = _l("Check-in (who is here)")
    one_per_participant = True
    editable_field = None
    takes_photo = True
    # the skills panel is drawn from everyone's answers: redraw the screen rather than add items
    live_results = True
    # an email address, given with consent to receive the minutes: the participant's, not the room's
    private_fields = ("email", "wants_minutes")
    option_fields = (
        OptionField("host", _l("Host structure")),
        OptionField("presentation", _l("Presentation of the host venue"), "textarea"),
        OptionField(
            "skills",
            _l("Skills offered on the phones, one per line"),
            "lines",
            hint=_l("At most 40 short texts; people can add their own."),
        ),
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"host", "presentation", "skills", "photo"}
        if unknown:
            raise OptionError(
                sorted(unknown)[0], _l("Unknown option (this activity knows: host, presentation, skills, photo).")
            )
        cleaned: dict[str, Any] = {}
        for key in ("host", "presentation"):
            value = options.get(key, "")
            if not isinstance(value, str):
                raise OptionError(key, _l("Expected a text."))
            cleaned[key] = value.strip()
        skills = options.get("skills", [])
        if (
            not isinstance(skills, list)
            or len(skills) > 40
            or not all(isinstance(k, str) and k.strip() and len(k) <= SKILL_LENGTH for k in skills)
        ):
            raise OptionError("skills", _l("Expected a list of at most 40 short texts."))
        cleaned["skills"] = list(dict.fromkeys(k.strip() for k in skills))
        photo = options.get("photo", "")
        if photo and not is_photo_name(photo):
            raise OptionError("photo", _l("Upload the photo from the page that prepares the meeting."))
        if photo:
            cleaned["photo"] = photo
        return cleaned

    def known_skills(self, contributions: list[Contribution]) -> list[str]:
        """The list offered on phones: the template's, grown with what people typed in this network."""
        known = {k.casefold(): k for k in self.options.get("skills", [])}
        db = object_session(self.step)
        if db is not None and self.step.meeting is not None and self.step.meeting.network_id is not None:
            # the list the network grew at its earlier meetings
            for skill in known_skills(db, self.step.meeting.network_id):
                known.setdefault(skill.casefold(), skill)
        for c in contributions:
            for skill in [*c.data.get("offers", []), *c.data.get("seeks", [])]:
                known.setdefault(skill.casefold(), skill)
        return sorted(known.values(), key=sort_key)

    def offered_skills(self, contributions: list[Contribution]) -> tuple[list[str], list[str]]:
        """The chips a phone offers: the network's own skills (`known_skills`), then La Coop's
        themes that are not already among them (compared without case), each list in French order."""
        own = self.known_skills(contributions)
        taken = {skill.casefold() for skill in own}
        coop = sorted((label for label in COOP_LABELS if label.casefold() not in taken), key=sort_key)
        return own, coop

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        config = current_app.config

        def line(field: str) -> str:
            return clean_name(data.get(field), field, config["MAX_FIELD_LENGTH"], required=False)

        return {
            "name": clean_name(data.get("name"), "name", config["MAX_NAME_LENGTH"]),
            "structure": line("structure"),
            "territory": line("territory"),
            "role": line("role"),
            "offers": _skills(data.get("offers"), data.get("offers_other"), "offers"),
            "seeks": _skills(data.get("seeks"), data.get("seeks_other"), "seeks"),
            # the network's directory shows only those who said yes
            "share": data.get("share") in (True, "yes", ["yes"]),
            # private: the participant's record keeps them (see after_submission), not the contribution
            **self._minutes_by_email(data),
        }

    def _minutes_by_email(self, data: Mapping[str, Any]) -> dict[str, Any]:
        wanted = data.get("wants_minutes") in (True, "yes", ["yes"])
        email = email_address(data.get("email"), "email")
        if wanted and not email:
            raise InvalidInput(_l("Write your email address to receive the minutes."), "email", code="empty")
        return {"email": email, "wants_minutes": wanted and bool(email)}

    def after_submission(
        self, db: Session, participant: Participant, data: Mapping[str, Any], private: Mapping[str, Any]
    ) -> None:
        # the attendance list and the minutes read the participant, so keep it up to date
        participant.display_name = data["name"]
        participant.structure = data["structure"]
        participant.territory = data["territory"]
        if "email" in private:
            participant.email = private["email"]
            participant.wants_minutes = bool(private.get("wants_minutes"))

    def summary(self, data: Mapping[str, Any]) -> str:
        parts = (data["name"], data["structure"], data["territory"], data.get("role", ""))
        return " · ".join(part for part in parts if part)

    def export_text(self, data: Mapping[str, Any]) -> str:
        parts = [self.summary(data)]
        if data.get("offers"):
            parts.append(_("offers:") + " " + ", ".join(data["offers"]))
        if data.get("seeks"):
            parts.append(_("seeks:") + " " + ", ".join(data["seeks"]))
        return " — ".join(parts)

    def item_key(self, contribution: Contribution) -> str:
        return f"p{contribution.participant_id}"

    @staticmethod
    def present(contributions: list[Contribution]) -> list[Contribution]:
        """The check-ins of who is here, by name in French order: those the facilitator removed
        are not (what they sent stays for moderation, on the console)."""
        kept = [c for c in contributions if c.participant is None or c.participant.removed_at is None]
        return sorted(kept, key=lambda c: sort_key(c.data.get("name", "")))

    def directory(self, contributions: list[Contribution]) -> list[tuple[str, list[str], list[str]]]:
        """Each skill of the room with who offers it and who seeks it."""
        table: dict[str, tuple[str, list[str], list[str]]] = {}
        for c in self.present(contributions):
            for skill in c.data.get("offers", []):
                table.setdefault(skill.casefold(), (skill, [], []))[1].append(c.data["name"])
            for skill in c.data.get("seeks", []):
                table.setdefault(skill.casefold(), (skill, [], []))[2].append(c.data["name"])
        return sorted(table.values(), key=lambda entry: sort_key(entry[0]))

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        # who they are is in the minutes' list of who came, which check-ins keep up to date
        lines = []
        if self.options.get("host"):
            lines += [_("Host: %(host)s", host=escape(self.options["host"])), ""]
        if self.options.get("presentation"):
            lines += [escape_block(self.options["presentation"], ""), ""]
        contributions = self.present(contributions)
        lines.append(ngettext("%(num)d person checked in.", "%(num)d people checked in.", len(contributions)))
        roles = [c for c in contributions if c.data.get("role")]
        if roles:
            lines += ["", "**" + _("Roles") + "**", ""]
            lines += [f"- {escape(c.data['name'])} : {escape(c.data['role'])}" for c in roles]
        directory = self.directory(contributions)
        if directory:
            header = (_("Skill"), _("Offered by"), _("Sought by"))
            lines += ["", "**" + _("Skills in the room") + "**", "", "| " + " | ".join(header) + " |", "|---|---|---|"]
            for skill, offered, sought in directory:
                lines.append(f"| {escape(skill)} | {escape(', '.join(offered))} | {escape(', '.join(sought))} |")
        return "\n".join(lines)

"""News (*point d'actualité*): studies, funding calls with their deadline, events, national schemes.

The facilitator prepares items in the template; participants propose more, which the facilitator
accepts or declines. Deadlines and dates are listed in date order on the screen and in the minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import format_date
from flask_babel import gettext as _

from kit.activities.base import Activity
from kit.activities.options import OptionField
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block, link
from kit.core.models import Contribution, Participant
from kit.core.queries import NO_SUCH_CONTRIBUTION, get_contribution
from kit.core.validation import clean_link, clean_text, require_mapping

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: kinds of news, as stored → as read
KINDS: dict[str, Any] = {
    "funding_call": _l("Funding call (AAP, AMI)"),
    "event": _l("Event"),
    "study": _l("Study or report"),
    "scheme": _l("National scheme"),
    "other": _l("Other news"),
}
ITEM_KEYS = {"type", "title", "date", "deadline", "link", "description"}
MAX_ITEMS = 30


def _date(value: Any) -> str | None:
    """An ISO date from TOML (a real date) or from a form ("2026-04-15"); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(value)


def clean_item(raw: Mapping[str, Any], *, max_length: int = 1000) -> dict[str, Any]:
    """Check one news item (prepared or proposed); raise InvalidInput naming the field at fault."""
    kind = raw.get("type", "other")
    if kind not in KINDS:
        raise InvalidInput(
            _l("Choose the kind of news among: %(kinds)s.", kinds=", ".join(f"{k} ({v})" for k, v in KINDS.items())),
            "type",
        )
    item: dict[str, Any] = {
        "type": kind,
        "title": clean_text(raw.get("title"), "title", 200, multiline=False),
        "description": clean_text(raw.get("description"), "description", max_length, required=False),
    }
    for field in ("date", "deadline"):
        try:
            item[field] = _date(raw.get(field))
        except ValueError:
            raise InvalidInput(
                _l("This is not a real date: use the calendar, or write it as 2026-04-15."), field
            ) from None
    item["link"] = clean_link(raw.get("link"), "link")
    return item


class News(Activity):
    """Prepared news and the room's proposals; deadlines in date order."""

    name = "news"
    has_main_action = True
    has_menu_extra = True
    label = _l("News and deadlines")
    kinds = KINDS
    facilitator_actions = frozenset({"accept", "decline"})
    editable_field = "title"
    option_fields = (
        OptionField(
            "items",
            _l("News items"),
            "rows",
            row_label=_l("News item"),
            max_rows=MAX_ITEMS,
            hint=_l("At most %(max)d items. Participants may propose more during the meeting.", max=MAX_ITEMS),
            fields=(
                OptionField("type", _l("Kind of news"), "select", choices=tuple(KINDS.items())),
                OptionField("title", _l("Title"), max_length=200),
                OptionField(
                    "date",
                    _l("Date of the event"),
                    "date",
                    hint=_l("For an event: the day it takes place."),
                    short=True,
                ),
                OptionField(
                    "deadline",
                    _l("Deadline"),
                    "date",
                    hint=_l("For a funding call: the last day to apply."),
                    short=True,
                ),
                OptionField("link", _l("Link"), hint=_l("A web address, for example https://www.example.fr/appel")),
                OptionField("description", _l("Description"), "textarea", max_length=1000),
            ),
        ),
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"items"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: items)."))
        raw_items = options.get("items", [])
        if not isinstance(raw_items, list) or len(raw_items) > MAX_ITEMS:
            raise OptionError("items", _l("Expected a list of at most %(max)d news items.", max=MAX_ITEMS))
        items = []
        for number, raw in enumerate(raw_items, start=1):
            if not isinstance(raw, dict) or set(raw) - ITEM_KEYS:
                raise OptionError(
                    f"items[{number}]", _l("Each item has: type, title, date, deadline, link, description.")
                )
            try:
                items.append(clean_item(raw))
            except InvalidInput as error:
                raise OptionError(f"items[{number}].{error.field}", error.message) from None
        return {"items": items}

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        return clean_item(require_mapping(data), max_length=self.max_text_length())

    def summary(self, data: Mapping[str, Any]) -> str:
        return str(data.get("title", ""))

    def export_topic(self, data: Mapping[str, Any]) -> str:
        return str(KINDS.get(data.get("type", ""), ""))

    def export_text(self, data: Mapping[str, Any]) -> str:
        parts = [str(data.get("title", ""))]
        if data.get("deadline"):
            parts.append(_("Deadline:") + " " + str(data["deadline"]))
        if data.get("date"):
            parts.append(_("Date:") + " " + str(data["date"]))
        parts += [str(data[key]) for key in ("link", "description") if data.get(key)]
        return " — ".join(parts)

    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:

        proposal = get_contribution(db, self.step.meeting, payload.get("id"))
        if proposal.step_id != self.step.id:
            raise KitError("not_found", NO_SUCH_CONTRIBUTION)
        proposal.status = "accepted" if action == "accept" else "declined"
        return [proposal]

    def author_notice(self, action: str, contribution: Contribution) -> str | None:
        if action != "accept":
            return None
        return _(
            "Your news “%(title)s” was accepted: it is on the screen and will be in the minutes.",
            title=str(contribution.data.get("title", "")),
        )

    # -- showing -----------------------------------------------------------------------------
    def shown_items(self, contributions: list[Contribution]) -> list[dict[str, Any]]:
        """What the room reads: the prepared items, then accepted proposals with who proposed them.

        Each item says where it comes from: `contribution_id` is the proposal's id, None for an
        item of the step's options (what a calendar names its events by)."""
        items = [dict(item, author="", contribution_id=None) for item in self.options.get("items", [])]
        items += [dict(c.data, author=c.author, contribution_id=c.id) for c in contributions if c.status == "accepted"]
        return items

    def dated(self, contributions: list[Contribution]) -> list[dict[str, Any]]:
        """Items with a deadline or a date, soonest first (a deadline before a date on the same day);
        an item with both gives two entries, `is_deadline` telling them apart."""
        entries = []
        for item in self.shown_items(contributions):
            for field in ("deadline", "date"):
                if item.get(field):
                    entries.append({**item, "when": item[field], "is_deadline": field == "deadline"})
        return sorted(entries, key=lambda e: (e["when"], not e["is_deadline"]))

    @staticmethod
    def when(iso: str) -> str:
        return str(format_date(date.fromisoformat(iso), "long"))

    # -- minutes -----------------------------------------------------------------------------
    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        items = self.shown_items(contributions)
        if not items:
            return _("No news was shared.")
        lines: list[str] = []
        dated = self.dated(contributions)
        if dated:
            lines += ["**" + _("Dates and deadlines") + "**", ""]
            for entry in dated:
                what = _("deadline") if entry["is_deadline"] else _("date")
                line = _(
                    "%(when)s — %(what)s: %(title)s",
                    when=self.when(entry["when"]),
                    what=what,
                    title=escape(entry["title"]),
                )
                lines.append(f"- {line}")
            lines.append("")
        for kind, kind_label in KINDS.items():
            of_kind = [item for item in items if item["type"] == kind]
            if not of_kind:
                continue
            lines += [f"**{kind_label}**", ""]
            for item in of_kind:
                line = f"- {escape(item['title'])}"
                if item.get("link"):
                    line += " — " + link(item["link"])
                if item.get("author"):
                    line += " (" + _("proposed by %(name)s", name=escape(item["author"])) + ")"
                if item.get("description"):
                    line += "  \n  " + escape_block(item["description"], "  ")
                lines.append(line)
            lines.append("")
        return "\n".join(lines).rstrip()

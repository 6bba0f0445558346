"""Structured cards: each participant fills a small form whose fields the activity names.

Practice sharing and the tool showcase are cards; a module declares its fields and gets the
validation, the views (templates under ``activities/cards/``) and the minutes section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from flask_babel import LazyString
from flask_babel import gettext as _

from kit.activities.base import Activity
from kit.activities.options import OptionField
from kit.core.errors import InvalidInput, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.validation import clean_link, clean_text, require_mapping

if TYPE_CHECKING:
    from kit.core.models import Contribution, Participant


@dataclass(frozen=True)
class Field:
    """One field of a card: its name in ``data``, its label, and what it takes."""

    name: str
    label: LazyString
    required: bool = False
    multiline: bool = True
    max_length: int = 500
    link: bool = False


class CardActivity(Activity):
    """Base of the card activities: subclasses set ``name``, ``label`` and ``fields``."""

    fields: ClassVar[tuple[Field, ...]]
    #: the field that titles a card (shown first, in bold)
    title_field: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the example cards are prepared with the same fields a participant fills
        cls.option_fields = (
            OptionField(
                "exemplier",
                _l("Example cards"),
                "rows",
                row_label=_l("Example card"),
                max_rows=10,
                hint=_l("At most 10 cards, shown before the room's own."),
                fields=tuple(
                    OptionField(f.name, f.label, "textarea" if f.multiline else "text", max_length=f.max_length)
                    for f in cls.fields
                ),
            ),
        )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"exemplier"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: exemplier)."))
        examples = options.get("exemplier", [])
        if not isinstance(examples, list) or not all(isinstance(e, dict) for e in examples) or len(examples) > 10:
            raise OptionError("exemplier", _l("Expected a list of at most 10 example cards."))
        cleaned = []
        for number, example in enumerate(examples, start=1):
            try:
                cleaned.append(cls.clean_card(example))
            except InvalidInput as error:
                raise OptionError(f"exemplier[{number}].{error.field}", error.message) from None
        return {"exemplier": cleaned}

    @classmethod
    def clean_card(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        known = {field.name for field in cls.fields}
        if set(data) - known:
            raise InvalidInput(
                _l("Unknown field (this card has: %(fields)s).", fields=", ".join(sorted(known))),
                sorted(set(data) - known)[0],
            )
        card = {}
        for field in cls.fields:
            if field.link:
                card[field.name] = clean_link(data.get(field.name), field.name, field.max_length)
                continue
            card[field.name] = clean_text(
                data.get(field.name), field.name, field.max_length, required=field.required, multiline=field.multiline
            )
        return card

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        return self.clean_card(require_mapping(data))

    def summary(self, data: Mapping[str, Any]) -> str:
        return str(data.get(self.title_field, ""))

    def export_text(self, data: Mapping[str, Any]) -> str:
        return " — ".join(
            str(data[field.name]) if field.name == self.title_field else f"{field.label}: {data[field.name]}"
            for field in self.fields
            if data.get(field.name)
        )

    def template(self, view: str) -> str:
        return f"activities/cards/{view}.html"

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        cards = [(card, "") for card in self.options.get("exemplier", [])]
        cards += [(c.data, c.author) for c in contributions]
        if not cards:
            return _("No card was shared.")
        lines: list[str] = []
        for card, author in cards:
            title = escape(card.get(self.title_field, ""))
            byline = " — " + escape(author) if author else " (" + _("example") + ")"
            lines.append(f"- **{title}**{byline}")
            for field in self.fields:
                if field.name != self.title_field and card.get(field.name):
                    # four spaces: a sub-item for Python-Markdown and CommonMark alike (kit.core.markdown_text)
                    value = escape_block(card[field.name], "      ")
                    lines.append("    - " + _("%(label)s: %(value)s", label=field.label, value=value))
        return "\n".join(lines)

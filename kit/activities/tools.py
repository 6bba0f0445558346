"""Tool showcase: a card per tool — what it is for, where to find it, what it costs, who uses it."""

from __future__ import annotations

from kit.activities.cards import CardActivity, Field
from kit.core.i18n import lazy_gettext as _l


class ToolShowcase(CardActivity):
    name = "tools"
    label = _l("Tool showcase")
    title_field = "name"
    editable_field = "name"
    fields = (
        Field("name", _l("Name of the tool"), required=True, multiline=False, max_length=120),
        Field("purpose", _l("What it is for")),
        Field("link", _l("Link"), multiline=False, max_length=500, link=True),
        Field("cost", _l("Cost and licence"), multiline=False, max_length=200),
        Field("users", _l("Who uses it (structure, public)"), max_length=300),
    )

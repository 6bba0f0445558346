"""Practice sharing: a card per practice — the context, what was done, what came of it, a tip."""

from __future__ import annotations

from kit.activities.cards import CardActivity, Field
from kit.core.i18n import lazy_gettext as _l


class PracticeSharing(CardActivity):
    name = "practice"
    label = _l("Practice sharing")
    title_field = "title"
    editable_field = "title"
    fields = (
        Field("title", _l("The practice in a few words"), required=True, multiline=False, max_length=150),
        Field("context", _l("Context: where, with whom")),
        Field("what", _l("What we did")),
        Field("result", _l("What came of it")),
        Field("tip", _l("A tip for those who want to try")),
    )

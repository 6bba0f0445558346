"""Animation test: an animation is presented and tried, then each participant gives feedback —
what worked, what to improve, would they reuse it (1 to 5) — with the results on the screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit.activities.options import MAX_LENGTH, OptionField
from kit.activities.poll import RESULTS_FIELD, Poll, results_option
from kit.core.errors import OptionError
from kit.core.i18n import lazy_gettext as _l


class AnimationTest(Poll):
    """A poll whose questions are the feedback grid of a tried animation."""

    name = "animation"
    label = _l("Animation test and feedback")
    option_fields = (
        OptionField("animation", _l("The animation tried"), "textarea", hint=_l("What it is, who it is for.")),
        RESULTS_FIELD,
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"animation", "max_length", "results"}
        if unknown:
            raise OptionError(
                sorted(unknown)[0], _l("Unknown option (this activity knows: animation, max_length, results).")
            )
        animation = options.get("animation", "")
        if not isinstance(animation, str):
            raise OptionError("animation", _l("Expected a text."))
        max_length = options.get("max_length", 300)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"animation": animation.strip(), "max_length": max_length, "results": results_option(options)}

    @property
    def questions(self) -> list[dict[str, Any]]:
        # the grid is the same for every animation, in the language of whoever reads it
        return [
            {"type": "open", "text": str(_l("What worked"))},
            {"type": "open", "text": str(_l("What to improve"))},
            {"type": "rating", "text": str(_l("Would you reuse this animation?")), "scale": 5},
        ]

    def template(self, view: str) -> str:
        return f"activities/poll/{view}.html"

"""The base class of every activity: its hooks are the whole contract between a step's activity
and the rest of kit (the meeting logic, the live layer, the pages, the exports and the minutes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask import current_app
from flask_babel import LazyString

from kit.activities.options import OptionField
from kit.core.errors import KitError
from kit.core.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kit.core.models import Contribution, Participant, Step


class Activity:
    """How one step works: what participants may send, what shows where, what the minutes say.

    An instance wraps one step; ``self.options`` are the step's options, already validated by
    :meth:`validate_options` when the meeting was created from its template.
    """

    #: the type name used in meeting templates (``activity = "board"``)
    name: ClassVar[str]
    #: what facilitators read in the admin page and console
    label: ClassVar[LazyString]
    #: True when a participant has one contribution per step that a new one replaces (a check-in);
    #: False when each contribution is a new item (a board card)
    one_per_participant: ClassVar[bool] = False
    #: the facilitator actions :meth:`perform` accepts, beyond moving between steps and moderating
    facilitator_actions: ClassVar[frozenset[str]] = frozenset()
    #: True when participants may vote for the step's contributions (needs, questions)
    votable: ClassVar[bool] = False
    #: True when phones show everyone's contributions (to vote for them), not only their own
    phone_sees_items: ClassVar[bool] = False
    #: True when the screen shows results computed from all answers (a poll) rather than a list:
    #: the live layer then sends the screen a fresh rendering, coalesced, instead of each item
    live_results: ClassVar[bool] = False
    #: True when the step's results may wait for the facilitator to show them (option ``results``)
    results_can_wait: ClassVar[bool] = False
    #: the field of ``data`` the facilitator may rewrite when moderating, or None
    editable_field: ClassVar[str | None] = "text"
    #: the console's own tools for a contribution, beside moderation's (see activities/_moderate.html):
    #: True when the activity's ``_main_action.html`` draws its main button (accept, answer now…),
    #: and when its ``_menu_extra.html`` adds to what is under "More"
    has_main_action: ClassVar[bool] = False
    has_menu_extra: ClassVar[bool] = False
    #: True when the step can show a photo the facilitator uploads (option ``photo``)
    takes_photo: ClassVar[bool] = False
    #: fields of a submission that belong to the participant's private record (an email address
    #: given to receive the minutes), never to the contribution: never shown, exported or published
    private_fields: ClassVar[tuple[str, ...]] = ()
    #: the options as the prepare page shows them, as form fields (see :mod:`kit.activities.options`):
    #: what the form posts is read into an options dict and checked by :meth:`validate_options`,
    #: whose errors name the field at fault; options left out here are edited as TOML only
    option_fields: ClassVar[tuple[OptionField, ...]] = ()

    def __init__(self, step: Step) -> None:
        self.step = step
        self.options: Mapping[str, Any] = step.options or {}

    # -- preparing ---------------------------------------------------------------------------
    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        """Check a template's options for this activity; return them completed with defaults.

        Raise :class:`kit.core.errors.OptionError` naming the option at fault.
        """
        return dict(options)

    # -- participants ------------------------------------------------------------------------
    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        """Check what a phone sent; return the clean data to store, or raise InvalidInput."""
        raise NotImplementedError

    def split_private(self, clean: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """A validated submission as (what the contribution stores, the :attr:`private_fields`)."""
        private = {k: v for k, v in clean.items() if k in self.private_fields}
        return {k: v for k, v in clean.items() if k not in private}, private

    def after_submission(
        self, db: Session, participant: Participant, data: Mapping[str, Any], private: Mapping[str, Any]
    ) -> None:
        """Called in the same transaction once a submission is stored (e.g. to update a profile);
        ``private`` holds the :attr:`private_fields` the submission carried."""

    def max_text_length(self) -> int:
        """The longest text this step accepts: its own ``max_length`` option, within the server's limit."""
        limit = int(current_app.config["MAX_TEXT_LENGTH"])
        return min(int(self.options.get("max_length", limit)), limit)

    def summary(self, data: Mapping[str, Any]) -> str:
        """One line that reminds a participant what they sent, shown on their phone."""
        return str(data.get("text", ""))

    def decision_text(self, contribution: Contribution) -> str:
        """The words a contribution marked as a decision shows at the top of the minutes: its
        :attr:`editable_field` ("" when it has none, e.g. a check-in or a poll answer)."""
        value = contribution.data.get(self.editable_field) if self.editable_field else None
        return value.strip() if isinstance(value, str) else ""

    # -- facilitator -------------------------------------------------------------------------
    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:
        """Carry out one of :attr:`facilitator_actions` (not committed yet); return the contributions it
        changed, or raise KitError when it cannot be done. ``self.step.state`` may change too."""
        raise KitError("unknown_action", _l("This action does not exist for this step."))

    def author_notice(self, action: str, contribution: Contribution) -> str | None:
        """What the author of ``contribution`` is told on their own phone once ``action`` is done
        (their news item accepted and shown, say), in the current language; None: nothing."""
        return None

    # -- showing -----------------------------------------------------------------------------
    def results_hidden(self) -> bool:
        """True while the results wait for the facilitator: the screen shows how many answered, no more."""
        return False

    def phone_sees_results(self) -> bool:
        """True when phones show the step's results (the facilitator showed them to the room)."""
        return False

    def template(self, view: str) -> str:
        """The Jinja template for a view: ``screen``, ``console``, ``phone`` or ``_item``.

        ``screen`` and ``console`` show the whole step; ``_item`` shows one contribution (sent
        alone when it arrives); ``phone`` is the participant's form.
        """
        return f"activities/{self.name}/{view}.html"

    def item_list(self, contribution: Contribution) -> str:
        """Which list of a view receives this contribution: the element ``[data-items="…"]``."""
        return str(contribution.step_id)

    def item_key(self, contribution: Contribution) -> str:
        """The key a view uses to find this contribution again: a newer one with the same key replaces it."""
        return f"c{contribution.id}"

    def item_data(self, contribution: Contribution) -> dict[str, Any]:
        """A contribution as plain data, for the live layer's clients and the minutes' JSON."""
        return {
            "id": contribution.id,
            "key": self.item_key(contribution),
            "step_id": contribution.step_id,
            "author": contribution.author,
            "data": dict(contribution.data),
            "status": contribution.status,
            "outcome": dict(contribution.outcome),
            "visible": contribution.visible,
            "created_at": contribution.created_at.isoformat(),
        }

    # -- exports -----------------------------------------------------------------------------
    def export_topic(self, data: Mapping[str, Any]) -> str:
        """The topic, section or kind a contribution belongs to, for the CSV export ("" if none)."""
        return ""

    def export_text(self, data: Mapping[str, Any]) -> str:
        """What a contribution says, as one cell of the CSV export."""
        return self.summary(data)

    # -- minutes -----------------------------------------------------------------------------
    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        """The Markdown body of this step in the minutes (the step's heading is added around it).

        ``contributions`` are the visible ones, oldest first; ``votes`` counts votes per contribution id.
        """
        raise NotImplementedError

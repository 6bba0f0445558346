"""What the minutes open with, filled in from the console while the meeting runs: the
contributions the facilitator marks as decisions, and each step's two-line summary ("En bref").

Both are the facilitator's work on the meeting, not the room's: only the console sets them, and
only while the meeting runs (afterwards the minutes are text the facilitator edits directly).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core.errors import InvalidInput, KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Step
from kit.core.queries import get_contribution
from kit.core.validation import clean_text
from kit.meeting.lifecycle import get_step, require_live, save_change

#: a summary is two lines on the minutes' first screen, not a report
MAX_SUMMARY = 300


def set_decision(db: Session, meeting: Meeting, contribution_id: object, decided: object) -> Contribution:
    """Mark a contribution of this meeting as a decision (`decided` True) or take the mark back."""
    if not isinstance(decided, bool):
        raise InvalidInput(
            _l("The message was not understood. Please reload the page."), "decision", code="bad_request"
        )
    require_live(meeting)
    contribution = get_contribution(db, meeting, contribution_id)
    if decided:
        if contribution.withdrawn:
            raise KitError("withdrawn", _l("Its author deleted this contribution: it cannot be a decision."))
        if not contribution.visible:
            raise KitError("hidden", _l("Show this contribution again before marking it as a decision."))
        if not activity_for(contribution.step).decision_text(contribution):
            raise KitError("no_text", _l("Only a written contribution can be marked as a decision."))
    if contribution.decision != decided:
        contribution.decision = decided
        save_change(db, meeting)
    return contribution


def set_summary(db: Session, meeting: Meeting, step_id: object, text: object) -> Step:
    """Write a step's summary ("En bref"), at most MAX_SUMMARY characters; empty takes it away."""
    require_live(meeting)
    step = get_step(db, meeting, step_id)
    summary = clean_text(text, "summary", MAX_SUMMARY, required=False)
    if step.summary != summary:
        step.summary = summary
        save_change(db, meeting)
    return step

"""A poll's results shown to the room when the facilitator decides, or kept for later.

The choice is the step's own (its `state`, which the activity reads): the screen redraws with or
without the results, and phones show them once they are shown.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core.errors import KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Status, Step
from kit.meeting.lifecycle import get_step, save_change


def set_results_shown(db: Session, meeting: Meeting, step_id: object, shown: bool) -> Step:
    """Show the results of one of the meeting's poll steps on the screen and the phones (True),
    or hide them again (False): the screen then shows only how many people answered."""
    if meeting.state not in (Status.PREPARED, Status.LIVE):
        raise KitError("closed", _l("This meeting is over: the minutes hold the results."))
    step = get_step(db, meeting, step_id)
    if not activity_for(step).results_can_wait:
        raise KitError("no_results", _l("This step has no results to show or hide: only a poll has."))
    step.state = {**(step.state or {}), "results_shown": shown}
    save_change(db, meeting)
    return step

"""The room's pace: a timer for the step on screen, the step's introduction shown or folded, and
the screen's pages turned from the console.

The timer and the introduction's fold are kept in the step's `state` (a JSON column the activities
already share: the needs' focus lives there too), so a reload, a new phone or a restart sees them;
each change bumps the meeting's version once and is broadcast once — never once a second: views
count down on their own from the end time, on the server's clock.

The screen's pages are not stored: the screen computes them from the height of its cards, and a
page command only tells the screens of the room to turn (see docs/protocol.md, `page`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kit.core.errors import InvalidInput, KitError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Step, utcnow
from kit.meeting.lifecycle import require_live, save_change

TIMER_ACTIONS = ("start", "pause", "add_minute", "reset")
#: the introduction of a step: shown until contributions arrive, then folded ("auto"), or as chosen
INTRO_MODES = ("auto", "open", "folded")
PAGE_ACTIONS = ("next", "previous", "pause", "resume", "blank", "unblank")
MAX_MINUTES = 180
DEFAULT_MINUTES = 5


def _current_step(meeting: Meeting) -> Step:
    require_live(meeting)
    step = meeting.current_step
    if step is None:
        raise KitError("no_step", _l("No step is on screen yet."))
    return step


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def timer_of(step: Step | None, now: datetime | None = None) -> dict[str, Any] | None:
    """The step's timer as views draw it: running (`ends_at`, an ISO time) or paused (`left`,
    seconds), with its `total` in seconds; None when there is none."""
    if step is None:
        return None
    timer = (step.state or {}).get("timer")
    if not isinstance(timer, Mapping):
        return None
    ends_at = _parse(timer.get("ends_at"))
    left = timer.get("left")
    total = int(timer.get("total") or 0)
    if ends_at is not None:
        return {"running": True, "ends_at": ends_at.isoformat(), "total": total}
    if isinstance(left, int):
        return {"running": False, "left": max(0, left), "total": total}
    return None


def set_timer(db: Session, meeting: Meeting, action: object, minutes: object = None) -> dict[str, Any] | None:
    """Start (or resume), pause, add a minute to, or reset the timer of the step on screen."""
    step = _current_step(meeting)
    if not isinstance(action, str) or action not in TIMER_ACTIONS:
        raise KitError("unknown_action", _l("This action does not exist for this step."))
    now = utcnow()
    current = timer_of(step, now)
    state = dict(step.state or {})
    if action == "start":
        if current is not None and not current["running"] and minutes is None:
            # resume where it was paused
            timer = {"ends_at": (now + timedelta(seconds=current["left"])).isoformat(), "total": current["total"]}
        else:
            if minutes is None:
                minutes = DEFAULT_MINUTES
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
                raise InvalidInput(_l("Choose a time between 1 and 180 minutes."), "minutes")
            timer = {"ends_at": (now + timedelta(minutes=minutes)).isoformat(), "total": minutes * 60}
    elif current is None:
        raise KitError("no_timer", _l("Start the timer first."))
    elif action == "pause":
        if not current["running"]:
            return current
        left = max(0, round((datetime.fromisoformat(current["ends_at"]) - now).total_seconds()))
        timer = {"left": left, "total": current["total"]}
    elif action == "add_minute":
        if current["running"]:
            # a timer already over starts again from now, one minute long
            ends_at = max(datetime.fromisoformat(current["ends_at"]), now) + timedelta(minutes=1)
            timer = {"ends_at": ends_at.isoformat(), "total": current["total"] + 60}
        else:
            timer = {"left": current["left"] + 60, "total": current["total"] + 60}
    else:  # reset
        state.pop("timer", None)
        step.state = state
        save_change(db, meeting)
        return None
    state["timer"] = timer
    step.state = state
    save_change(db, meeting)
    return timer_of(step)


def intro_mode(step: Step | None) -> str:
    """How the step's introduction and examples show on the screen: auto, open or folded."""
    mode = (step.state or {}).get("intro") if step is not None else None
    return mode if isinstance(mode, str) and mode in INTRO_MODES else "auto"


def set_intro(db: Session, meeting: Meeting, mode: object) -> str:
    """Show the step's introduction in full, fold it to a band, or let contributions decide (auto)."""
    step = _current_step(meeting)
    if not isinstance(mode, str) or mode not in INTRO_MODES:
        raise InvalidInput(_l("Choose how the introduction shows: auto, open or folded."), "mode")
    state = dict(step.state or {})
    if mode == "auto":
        state.pop("intro", None)
    else:
        state["intro"] = mode
    step.state = state
    save_change(db, meeting)
    return mode


def page_command(meeting: Meeting, action: object) -> dict[str, Any]:
    """A console's command to the screens (next or previous page, pause or resume the paging, a
    blank screen): checked, not stored — the screen keeps its own pages."""
    step = _current_step(meeting)
    if not isinstance(action, str) or action not in PAGE_ACTIONS:
        raise KitError("unknown_action", _l("This action does not exist for this step."))
    return {"action": action, "step_id": step.id}


def page_report(meeting: Meeting, report: Mapping[str, Any]) -> dict[str, Any]:
    """What a screen says it shows (page 2 of 5, paused, blank), checked before the console hears it."""
    page, pages = report.get("page"), report.get("pages")
    paused, blank = report.get("paused", False), report.get("blank", False)
    if (
        isinstance(page, bool)
        or isinstance(pages, bool)
        or not isinstance(page, int)
        or not isinstance(pages, int)
        or not 1 <= page <= pages <= 1000
        or not isinstance(paused, bool)
        or not isinstance(blank, bool)
    ):
        raise InvalidInput(_l("The message was not understood. Please reload the page."), code="bad_request")
    return {
        "page": page,
        "pages": pages,
        "paused": paused,
        "blank": blank,
        "step_id": meeting.current_step_id,
    }

"""Sending changes to the rooms, always after they are stored."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from kit.extensions import socketio
from kit.i18n import LANGUAGES
from kit.live.state import VIEWS, item_event, room, state
from kit.models import Contribution, Meeting


def meeting_changed(db: Session, meeting: Meeting) -> None:
    """The step or the status changed: every view gets its new state, in each language."""
    for view in VIEWS:
        for lang in LANGUAGES:
            socketio.emit("state", state(db, meeting, view, lang), namespace=f"/{view}", to=room(meeting.id, lang))
    counts_changed(meeting)


def contribution_stored(meeting: Meeting, contribution: Contribution) -> None:
    """A new or changed contribution goes whole to the screen and console, as a count to phones."""
    for view in ("screen", "console"):
        for lang in LANGUAGES:
            socketio.emit(
                "contribution",
                item_event(meeting, contribution, view, lang),
                namespace=f"/{view}",
                to=room(meeting.id, lang),
            )
    counts_changed(meeting)


def counts_changed(meeting: Meeting) -> None:
    current_app.extensions["kit.counts"].mark(meeting.id)

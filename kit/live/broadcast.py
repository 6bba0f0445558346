"""Sending changes to the rooms, always after they are stored."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.core.db import get_session
from kit.core.extensions import server_context, socketio
from kit.core.models import Contribution, Meeting
from kit.live.state import (
    VIEWS,
    item_event,
    item_votes,
    listening_languages,
    participant_room,
    room,
    shows_items,
    state,
)
from kit.meeting import lifecycle


def meeting_changed(db: Session, meeting: Meeting) -> None:
    """The step, the status or the facilitator's work on the step changed: every view gets its new
    state, in each language someone reads. Rare (a click in the console), so the whole view is sent again."""
    counted = lifecycle.counts(db, meeting)
    for view in VIEWS:
        for lang in listening_languages(meeting, view):
            payload = state(db, meeting, view, lang, counted)
            socketio.emit("state", payload, namespace=f"/{view}", to=room(meeting, lang))
    counts_changed(meeting.id)


def console_changed(db: Session, meeting: Meeting) -> None:
    """Something only the console shows changed (who joined, under which name): its view again."""
    counted = lifecycle.counts(db, meeting)
    for lang in listening_languages(meeting, "console"):
        socketio.emit(
            "state", state(db, meeting, "console", lang, counted), namespace="/console", to=room(meeting, lang)
        )


def contribution_stored(db: Session, meeting: Meeting, contribution: Contribution, *, new: bool = False) -> None:
    """A new (`new`: just created) or changed contribution goes whole to the views that list it;
    phones get a count."""
    activity = activity_for(contribution.step)
    if activity.live_results:
        # results drawn from every answer: redrawn at most once per interval, however many arrive
        current_app.extensions["kit.counts"].mark(meeting.id, results=True)
        return
    votes = item_votes(db, activity, contribution, new=new)  # read once, whatever the views and languages
    for view in VIEWS:
        if not shows_items(activity, view) or (view == "screen" and meeting.screen_picked_only):
            # the screen shows only what the facilitator picked: something new is not picked yet
            continue
        # rendered only in the languages someone reads (most rooms: French alone)
        for lang in listening_languages(meeting, view):
            event = item_event(db, meeting, contribution, view, lang, votes=votes)
            socketio.emit("contribution", event, namespace=f"/{view}", to=room(meeting, lang))
    counts_changed(meeting.id)


def console_notice(meeting: Meeting, ok: bool, message: str) -> None:
    """A sentence for the facilitator's console (how posting to the chat went, say)."""
    socketio.emit("notice", {"ok": ok, "message": message}, namespace="/console", to=room(meeting))


def tell_authors(meeting: Meeting, action: str, changed: Iterable[Contribution]) -> None:
    """The facilitator acted on contributions: each author the activity has something to tell
    (their news accepted) hears it on their own phones, in their language, and nobody else."""
    for contribution in changed:
        person = contribution.participant
        if person is None or person.removed_at is not None:
            continue
        with force_locale(person.language):
            message = activity_for(contribution.step).author_notice(action, contribution)
        if message:
            notice = {"ok": True, "kind": action, "contribution_id": contribution.id, "message": message}
            socketio.emit("notice", notice, namespace="/phone", to=participant_room(meeting, person.id))


def mailing_changed(meeting: Meeting, message: str | None) -> None:
    """The sending of the minutes by email moved on: the console draws its progress again, and
    reads `message` (a refusal, no connection) when there is one. Called from the sender's
    background task: drawing needs a request context for url_for, and this one is the server's own."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with server_context(app):
        console_changed(get_session(), meeting)
        if message:
            console_notice(meeting, False, message)


def public_kit_changed(meeting: Meeting, ok: bool, message: str) -> None:
    """Sending the minutes to the network's public kit moved on (or the chat heard of them): every
    view is drawn again (the console's status, the screen's QR code of the public address) and the
    console reads `message`. Called from a background task, like `mailing_changed`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with server_context(app):
        meeting_changed(get_session(), meeting)
        console_notice(meeting, ok, message)


def page_command(meeting: Meeting, command: dict[str, Any]) -> None:
    """A console turns the screen's page (or pauses its paging): every screen of the meeting hears it."""
    socketio.emit("page", command, namespace="/screen", to=room(meeting))


def screen_paged(meeting: Meeting, report: dict[str, Any]) -> None:
    """A screen shows another page: the consoles say which ("page 2 / 5")."""
    socketio.emit("screen_page", report, namespace="/console", to=room(meeting))


def counts_changed(meeting_id: int) -> None:
    current_app.extensions["kit.counts"].mark(meeting_id)

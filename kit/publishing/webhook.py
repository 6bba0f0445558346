"""Telling the network's chat channel that minutes are out: an incoming webhook (Mattermost and
Slack both read `{"text": …}`), posted in the background so publishing never waits on it."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from kit.core.db import get_session
from kit.core.extensions import socketio
from kit.core.models import Meeting
from kit.publishing import links

log = logging.getLogger(__name__)
TIMEOUT = 5


def message(meeting: Meeting, url: str) -> dict[str, str]:
    with force_locale(meeting.language):
        return {"text": _("The minutes of %(title)s are published: %(url)s", title=meeting.title, url=url)}


def post(webhook_url: str, payload: dict[str, str]) -> None:
    """POST the payload as JSON; raise OSError (or ValueError) when it does not arrive."""
    if urlsplit(webhook_url).scheme not in ("http", "https"):
        raise ValueError("the webhook address must start with http:// or https://")
    request = urllib.request.Request(
        webhook_url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the scheme is checked above
        if response.status >= 300:
            raise OSError(f"the chat answered {response.status}")


#: how the result reaches the facilitator: called with the meeting, whether the post arrived, and
#: a sentence in the meeting's language (the live layer passes one that notifies the console)
Report = Callable[[Meeting, bool, str], None]


def announce_published(app: Flask, meeting: Meeting, report: Report) -> None:
    """If a webhook is set, post the minutes' link to it in the background and `report` how it went."""
    webhook_url = app.config.get("WEBHOOK_URL")
    if not webhook_url:
        return
    payload = message(meeting, links.minutes_url(meeting))
    socketio.start_background_task(_post_and_report, app, meeting.id, webhook_url, payload, report)


def _post_and_report(app: Flask, meeting_id: int, webhook_url: str, payload: dict[str, str], report: Report) -> None:
    try:
        post(webhook_url, payload)
        ok, detail = True, ""
    except (OSError, ValueError) as error:
        log.warning("posting the minutes to the chat failed: %s", error)
        ok, detail = False, str(error)
    with app.app_context():
        meeting = get_session().get(Meeting, meeting_id)
        if meeting is None:
            return
        with force_locale(meeting.language):
            if ok:
                text = _("The link to the minutes was posted to the chat channel.")
            else:
                text = _(
                    "The minutes are published, but posting them to the chat channel failed (%(detail)s).",
                    detail=detail,
                )
        report(meeting, ok, text)

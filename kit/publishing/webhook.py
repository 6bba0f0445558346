"""Telling the network's chat channel that minutes are out: an incoming webhook, posted in the
background so publishing never waits on it.

The address and the format are the network's own when its coordinators set them on its page
(`Network.chat_webhook_url`, `Network.chat_format`), else the installation's `WEBHOOK_URL` and
`WEBHOOK_FORMAT`. Each chat reads its own payload (the format, or guessed from the address):

- Mattermost, Rocket.Chat, Matrix (hookshot's generic webhooks): `{"text": …}` in Markdown;
- Slack: `{"text": …}` in Slack's own "mrkdwn", where only `&`, `<` and `>` can be escaped
  (as entities) and a backslash shows as itself;
- Discord: `{"content": …}` in Markdown (a webhook address on discord.com);
- Tchap, the State's chat, through its webhook bot (tchapgouv/tchap-bot-mte,
  `POST /api/webhook/post/<webhook id>`): `{"message": …, "message_format": "md"}`; the webhook's
  id names the room, so no `roomId` is sent.

The meeting's title is people's text: escaped so that it shows as typed, never as a link or bold.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.core.db import get_session
from kit.core.errors import InvalidInput
from kit.core.extensions import socketio
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Network
from kit.core.validation import secure_address
from kit.publishing import links

log = logging.getLogger(__name__)
TIMEOUT = 5


#: the chats kit can post to, by the name `WEBHOOK_FORMAT` takes
FORMATS = ("mattermost", "slack", "rocketchat", "matrix", "discord", "tchap")

#: the choice a network's page offers, in the words of the people who run a chat: Rocket.Chat and
#: Matrix read Mattermost's payload; Slack has its own escaping
CHOICES = (
    ("auto", _l("Automatic (from the address)")),
    ("mattermost", _l("Mattermost, Rocket.Chat, Matrix")),
    ("slack", _l("Slack")),
    ("discord", _l("Discord")),
    ("tchap", _l("Tchap")),
)

# what Markdown (CommonMark, as Mattermost, Rocket.Chat, Element and Discord read it) could take as
# markup in a title: escaped with a backslash, which CommonMark allows before any punctuation
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~@])")


def escape_markdown(text: str) -> str:
    """A title shown as typed in a chat that reads Markdown (one line: a line break would end it)."""
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


def escape_slack(text: str) -> str:
    """A title shown as typed in Slack: the three characters its API asks to escape, as entities."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def guess_format(webhook_url: str) -> str:
    """The chat an address belongs to, when `WEBHOOK_FORMAT` does not say (Mattermost's payload,
    read by most chats, when nothing tells)."""
    parts = urlsplit(webhook_url)
    host = (parts.hostname or "").lower()
    if host in ("discord.com", "discordapp.com") or host.endswith((".discord.com", ".discordapp.com")):
        return "discord"
    if host == "hooks.slack.com":
        return "slack"
    if "/api/webhook/post/" in parts.path:
        return "tchap"
    return "mattermost"


def chat_format(configured: object, webhook_url: str) -> str:
    """The format to post in: the configured one, or the address's; ValueError for an unknown name."""
    name = str(configured or "").strip().lower()
    if name in ("", "auto"):
        return guess_format(webhook_url)
    if name not in FORMATS:
        raise ValueError(f"the chat format {name!r} is not one of: auto, {', '.join(FORMATS)}")
    return name


def message(meeting: Meeting, url: str, chat: str = "mattermost") -> dict[str, str]:
    """The payload that tells `chat` the minutes are out, in the meeting's language."""
    title = escape_slack(meeting.title) if chat == "slack" else escape_markdown(meeting.title)
    with force_locale(meeting.language):
        text = _("The minutes of %(title)s are published: %(url)s", title=title, url=url)
    if chat == "discord":
        return {"content": text}
    if chat == "tchap":
        return {"message": text, "message_format": "md"}
    return {"text": text}


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


def target(config: Mapping[str, Any], meeting: Meeting) -> tuple[str, object]:
    """Where the meeting's chat is and the format it was set to: its network's, else the installation's."""
    network = meeting.network
    if network is not None and network.chat_webhook_url:
        return network.chat_webhook_url, network.chat_format or config.get("WEBHOOK_FORMAT")
    return config.get("WEBHOOK_URL") or "", config.get("WEBHOOK_FORMAT")


def set_network_chat(db: Session, network: Network, address: object, chosen: object, *, remove: bool = False) -> None:
    """The network's own chat, from its page: a new address (empty keeps the one set, `remove`
    forgets it) and the format its chat reads; InvalidInput, with nothing changed, for a wrong one."""
    if not isinstance(chosen, str) or chosen not in dict(CHOICES):
        raise InvalidInput(_l("Choose the chat from the list."), "chat_format")
    url = secure_address(
        address,
        "chat_webhook_url",
        wrong=_l("Write the chat's webhook address as the chat gave it, such as https://chat.example.fr/hooks/…"),
        insecure=_l("The chat's webhook address must start with https:// so that no one can read it on the way."),
        max_length=500,
    )
    if remove:
        network.chat_webhook_url = network.chat_format = None
    elif url or network.chat_webhook_url:
        network.chat_webhook_url = url or network.chat_webhook_url
        network.chat_format = chosen
    db.commit()


def masked_address(address: str | None) -> str:
    """A chat's webhook address as the network's page shows it back: its host and its last
    characters, enough to recognise it, not to post with it."""
    if not address:
        return ""
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}/…{address[-4:]}"


def announce_published(app: Flask, meeting: Meeting, report: Report) -> None:
    """If a webhook is set, post the minutes' link to it in the background and `report` how it went."""
    webhook_url, configured = target(app.config, meeting)
    if not webhook_url:
        return
    try:
        chat = chat_format(configured, webhook_url)
    except ValueError as error:
        log.warning("posting the minutes to the chat: %s", error)
        with force_locale(meeting.language):
            text = _(
                "The minutes are published, but posting them to the chat channel failed (%(detail)s).",
                detail=str(error),
            )
        report(meeting, False, text)
        return
    payload = message(meeting, links.minutes_url(meeting), chat)
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

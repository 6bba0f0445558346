"""The addresses kit hands out: join, console, screen and minutes links.

When kit serves on all interfaces, PUBLIC_URL holds the machine's address on the room's
network, so links work from phones and not only from the laptop itself.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for

from kit.core.models import Meeting


def external(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def join_url(meeting: Meeting) -> str:
    return external("public.phone", code=meeting.code)


def console_url(meeting: Meeting) -> str:
    return external("facilitator.console", code=meeting.code, key=meeting.facilitator_key)


def screen_url(meeting: Meeting) -> str:
    return external("facilitator.screen", code=meeting.code, key=meeting.screen_key)


def minutes_url(meeting: Meeting) -> str:
    """The minutes' address to give: the network's public kit's once it holds them (it works for
    everyone, long after the laptop is closed), else this kit's own."""
    return meeting.public_url or local_minutes_url(meeting)


def local_minutes_url(meeting: Meeting) -> str:
    """The minutes' address on this kit (on a laptop: the room's network only)."""
    return external("public.minutes", token=meeting.share_token)


def home_url() -> str:
    return external("public.home")


def same_origin() -> bool:
    """A form post that comes from one of kit's own pages (browsers send Origin on POST)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == request.host_url.rstrip("/")

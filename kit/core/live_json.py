"""The JSON that Socket.IO messages are read with, bounded in depth and size.

Python's JSON reader recurses: a message nested a thousand levels deep raised ``RecursionError``
inside python-socketio, before any handler, so the client got no answer and the log a traceback.
:func:`loads` measures a message before parsing it. A message deeper than :data:`MAX_DEPTH`
levels of arrays and objects (counted inside the event's payload), or longer than
:data:`MAX_CHARS` characters, is not parsed: its event name is kept and its payload replaced by
:data:`OVERSIZED`, which the live layer answers with ``invalid_input`` (docs/protocol.md).
Clients cannot send :data:`OVERSIZED` themselves: it is no JSON value.

Set on the Socket.IO server (``kit.core.extensions``); python-socketio uses it for every packet.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: levels of arrays and objects a payload may nest (kit's own messages use 3 or 4)
MAX_DEPTH = 20
#: characters of one message (below the 64 KB at which the engine drops the connection unread;
#: the longest text kit takes is a few thousand characters)
MAX_CHARS = 48 * 1024

_EVENT_NAME = re.compile(r'\[\s*("(?:[^"\\]|\\.){0,200}")')


class Oversized:
    """The payload of a message that was too deep or too large to be read."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "too_deep" or "too_large"

    def __repr__(self) -> str:
        return f"<oversized message: {self.reason}>"


OVERSIZED_DEEP = Oversized("too_deep")
OVERSIZED_LARGE = Oversized("too_large")


def depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text, without parsing it (strings skipped)."""
    deepest = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    return deepest


def _refused(text: str, reason: Oversized) -> Any:
    # keep the event's name, so that its ack says what was refused and where
    if text.lstrip().startswith("["):
        found = _EVENT_NAME.match(text.lstrip())
        if found:
            try:
                name = json.loads(found.group(1))
            except ValueError:
                name = "message"
            return [name, reason]
        return ["message", reason]
    return reason


def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    if len(text) > MAX_CHARS:
        return _refused(text, OVERSIZED_LARGE)
    # an event is [name, payload…]: its own array is one level more than the payload's
    if depth(text) > MAX_DEPTH + 1:
        return _refused(text, OVERSIZED_DEEP)
    return json.loads(text, *args, **kwargs)


def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
    return json.dumps(obj, *args, **kwargs)

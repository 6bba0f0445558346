"""What the server reads of a Socket.IO message: a bound on its nesting before it is decoded.

A message nested a thousand levels deep made the JSON decoder give up with a traceback and the
sender got no answer. The server's packets (never a client's: the class is the server's own
`serializer`, python-socketio's Packet is left as it is) check the depth first; a message too
deep becomes the event `TOO_DEEP`, which the live layer answers with `invalid_input`. Its size is
bounded before this by Engine.IO (`max_http_buffer_size`, kit/core/extensions.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from socketio.packet import Packet

# kit's own payloads nest four or five levels; a hundred is never a phone's
MAX_DEPTH = 32
# the event name a message too deep is read as (a client sending it gets the same answer)
TOO_DEEP = "kit:too_deep"

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (strings' own brackets not counted)."""
    depth = deepest = 0
    for bracket in _NOT_BRACKETS.sub("", _STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def too_deep(text: str) -> bool:
    # most messages have fewer brackets than the bound: no need to look closer
    return text.count("[") + text.count("{") > MAX_DEPTH and nesting(text) > MAX_DEPTH


class _BoundedJson:
    """The json module as the server's packets use it, with the depth checked before decoding."""

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> str:
        return json.dumps(*args, **kwargs)

    @staticmethod
    def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if too_deep(text.decode("utf-8", "replace") if isinstance(text, bytes) else text):
            return [TOO_DEEP]
        return json.loads(text, *args, **kwargs)


class BoundedPacket(Packet):
    """The server's Socket.IO packet: python-socketio's, with the depth of its JSON bounded, and
    no search for binary data in what the server sends.

    python-socketio looks through every message it is given to send, every list and dict of it,
    for bytes to send as attachments: as long as encoding it to JSON (a contribution's card, 7 µs
    each), longer for a state of 300 cards (1.2 ms, where JSON takes 0.7). kit sends JSON alone:
    a message holding bytes would fail to encode, loudly. What a client sends is read as before."""

    json = _BoundedJson
    uses_binary_events = False

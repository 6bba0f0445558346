"""The live layer: one Socket.IO namespace per kind of view, one room per meeting.

``/screen`` is the projected screen (read-only), ``/console`` the facilitator's, ``/phone`` a
participant's. Every event is documented in docs/protocol.md.
"""

from __future__ import annotations

from flask import Flask

from kit.core.extensions import socketio
from kit.core.settings import DEFAULTS
from kit.live.counts import CountBroadcaster
from kit.live.namespaces import ConsoleNamespace, PhoneNamespace, ScreenNamespace
from kit.live.presence import Presence, SharedPresence
from kit.live.ratelimit import FairShare, RateLimiter, read_budgets
from kit.live.state import PhoneStates

_namespaces_registered = False


def register_live(app: Flask) -> None:
    global _namespaces_registered
    if not _namespaces_registered:
        socketio.on_namespace(ScreenNamespace("/screen"))
        socketio.on_namespace(ConsoleNamespace("/console"))
        socketio.on_namespace(PhoneNamespace("/phone"))
        _namespaces_registered = True
    app.extensions["kit.counts"] = CountBroadcaster(app)
    queue = app.config.get("MESSAGE_QUEUE")
    if isinstance(queue, str) and queue.startswith(("redis://", "rediss://", "unix://")):
        # several processes: who is connected is kept where they all see it
        app.extensions["kit.presence"] = SharedPresence(queue, app.config["MESSAGE_QUEUE_CHANNEL"])
    else:
        app.extensions["kit.presence"] = Presence()
    app.extensions["kit.phone_states"] = PhoneStates()
    app.extensions["kit.rate_limiter"] = RateLimiter(app.config["RATE_LIMIT"], app.config["RATE_WINDOW"])
    app.extensions["kit.fair_share"] = FairShare(
        read_budgets(DEFAULTS["LIVE_BUDGETS"], app.config["LIVE_BUDGETS"]),
        (float(app.config["LIVE_UNJOINED_BUDGET"][0]), float(app.config["LIVE_UNJOINED_BUDGET"][1])),
        int(app.config["LIVE_BACKLOG"]),
        int(app.config["LIVE_CLOSE_AFTER"] or 0),
        int(app.config["LIVE_SATURATED_AT"] or 0),
    )

"""The unbound extension objects, bound to the app in create_app."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask, Request, abort, current_app
from flask.ctx import RequestContext
from flask_babel import Babel
from flask_login import LoginManager
from flask_socketio import SocketIO
from werkzeug.routing import MapAdapter

from kit.core.db import get_session
from kit.core.i18n import SOCKETIO_SESSION, select_locale
from kit.core.live_packets import BoundedPacket
from kit.core.models import User

socketio = SocketIO()
babel = Babel()
# accounts, on a server only (ACCOUNTS): who is signed in
login_manager = LoginManager()


# where a request's URL adapter is kept, in its environ (KitFlask.create_url_adapter)
URL_ADAPTER = "kit.url_adapter"


class KitFlask(Flask):
    """Flask, with live events that skip URL matching (see LiveRequestContext) and reuse what
    their connection's first event built: its URL adapter and its session.

    Flask-SocketIO opens a request context for every live event, on the environ of the request
    that opened the connection: the same dict for all the connection's events. Flask built the
    URL adapter from it again each time (the host checked, the address parsed), and opened the
    session cookie again, which Flask-SocketIO then replaced by the connection's own session
    (`manage_session`). Both came to about 4 % of a join storm's CPU, profiled
    (docs/performance.md). An HTTP request has an environ of its own, so nothing is shared
    between requests."""

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        return LiveRequestContext(self, environ, session=environ.get(SOCKETIO_SESSION))

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is None:
            return super().create_url_adapter(request)
        adapter: MapAdapter | None = request.environ.get(URL_ADAPTER)
        if adapter is None:
            adapter = request.environ[URL_ADAPTER] = super().create_url_adapter(request)
        return adapter


# in the environ of a request context the server opens itself, with nothing to route (server_context)
SERVER_CONTEXT = "kit.server_context"


def server_context(app: Flask) -> RequestContext:
    """A request context of the server's own, to draw pages and links (url_for) outside any
    request: a background task's counts, an email, a send to the public kit. Its address is
    PUBLIC_URL when set, and it is not routed (see LiveRequestContext)."""
    base = app.config.get("PUBLIC_URL") or "http://localhost"
    return app.test_request_context(base_url=base, environ_base={SERVER_CONTEXT: True})


class LiveRequestContext(RequestContext):
    """A request context whose request on the Socket.IO path is given its rule instead of matched,
    and the server's own (server_context) none.

    Flask-SocketIO handles every live event in a request context for the connection's request,
    and Flask matches its URL on each: werkzeug's matcher builds a recursive closure per match,
    a cycle of eight objects only the garbage collector frees. In a busy room those cycles were
    most of what the collector found, and its pauses were what a contribution waited for at the
    p99 (docs/performance.md). The path is Socket.IO's alone (the `live_transport` rules below),
    so there is nothing to match; `match_request` is Flask's hook for this."""

    def match_request(self) -> None:
        if self.request.environ.get(SERVER_CONTEXT):
            return
        transport = self.app.extensions.get("kit.live_transport")
        if transport is not None and self.request.path.rstrip("/") == transport.rule.rstrip("/"):
            self.request.url_rule, self.request.view_args = transport, {}
            return
        super().match_request()


def init_extensions(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_locale=app.config["DEFAULT_LANGUAGE"],
        default_timezone="Europe/Paris",
    )
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    # Flask-SocketIO keeps the options of an earlier init_app, its queue's client manager
    # included: an app without a queue must not inherit the one an earlier app in this process had
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        # one channel per installation (see settings.queue_channel)
        channel=app.config["MESSAGE_QUEUE_CHANNEL"],
        # a contribution is a few KB at most; refuse anything far bigger before parsing it
        max_http_buffer_size=64 * 1024,
        # and anything nested too deep before decoding it (kit.core.live_packets)
        serializer=BoundedPacket,
        ping_interval=10,
        ping_timeout=20,
    )
    # Flask-SocketIO handles each live event inside a request context for the Engine.IO path, and
    # Flask's routing, finding no page there, raised NotFound (or, for a websocket, a mismatch) for
    # every event: the exception, its traceback and their frames made cycles that only the garbage
    # collector frees, about 40 objects an event, and the collector's pauses in a busy room were
    # what a contribution waited for at the p99 (docs/performance.md). Socket.IO's middleware
    # serves the path before Flask sees it; these rules only let the routing match, for polling
    # (GET and POST) and for websockets.
    path = getattr(socketio.sockio_mw, "engineio_path", "/socket.io/")
    for websocket in (False, True):
        app.add_url_rule(
            path,
            endpoint="live_transport",
            view_func=_served_by_socketio,
            methods=["GET"] if websocket else ["GET", "POST"],
            strict_slashes=False,
            websocket=websocket,
        )
    app.extensions["kit.live_transport"] = next(app.url_map.iter_rules("live_transport"))


def _served_by_socketio() -> NoReturn:
    """Never reached: Socket.IO's middleware answers this path before Flask routes it."""
    abort(404)


def _load_user(user_id: str) -> User | None:
    """The signed-in account, when accounts are on (on a laptop, nobody signs in)."""
    if not current_app.config.get("ACCOUNTS") or not user_id.isdigit():
        return None
    return get_session().get(User, int(user_id))

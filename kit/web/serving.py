"""How long kit waits for a slow client, whatever server `kit serve` runs on.

A client that opens a connection, sends a request line and a `Host` header, then nothing, held one
of the server's connections for ever: ten thousand of them and no page was served any more. Every
connection now has `REQUEST_TIMEOUT` seconds for each read of its request line, its headers and
its body (eventlet's `socket_timeout`, werkzeug's handler `timeout`, gevent's handler in
kit/cli.py); a websocket, once upgraded, has no timeout, as Socket.IO's pings watch it instead.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import WSGIRequestHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def connection_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The client's socket of a request, where each server keeps it (eventlet, gevent's pywsgi,
    werkzeug): where simple-websocket, which Engine.IO uses on gevent, looks for it too."""
    if "eventlet.input" in environ:
        return environ["eventlet.input"].get_socket()  # type: ignore[no-any-return]
    if environ.get("SERVER_SOFTWARE", "").startswith("gevent"):
        stream = environ.get("wsgi.input")
        if not hasattr(stream, "raw"):  # a request with a body: gevent's Input around the file
            stream = getattr(stream, "rfile", None)
        sock = getattr(getattr(stream, "raw", None), "_sock", None)
        return sock if isinstance(sock, socket.socket) else None
    sock = environ.get("werkzeug.socket")
    return sock if isinstance(sock, socket.socket) else None


def websockets_wait(app: WSGIApp) -> WSGIApp:
    """WSGI middleware: a request upgrading to a websocket drops the connection's read timeout
    (a phone may say nothing between two pings). On gevent the websocket reads a duplicate of the
    socket, and a duplicate keeps the timeout: without this, gevent closed every websocket opened
    directly (no long-polling first) after REQUEST_TIMEOUT seconds of silence."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            sock = connection_socket(environ)
            if sock is not None:
                sock.settimeout(None)
        return app(environ, start_response)

    return middleware


def werkzeug_handler(timeout: float) -> type[WSGIRequestHandler]:
    """werkzeug's request handler with a read timeout on every connection (threading mode)."""
    return type("TimedWSGIRequestHandler", (WSGIRequestHandler,), {"timeout": timeout})

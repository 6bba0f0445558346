"""How long kit waits for a slow client, whatever server `kit serve` runs on.

A client that opens a connection, sends a request line and a `Host` header, then nothing, held one
of the server's connections for ever: ten thousand of them and no page was served any more. Every
connection now has `REQUEST_TIMEOUT` seconds for each read of its request line, its headers and
its body (eventlet's `socket_timeout`, werkzeug's handler `timeout`, gevent's handler in
kit/cli.py); a websocket, once upgraded, has no timeout, as Socket.IO's pings watch it instead.

And how each connection holds and sends: a phone's websocket keeps the buffers its first request
was read and answered with for as long as it stays open (CONNECTION_BUFFER), and what kit writes
leaves at once (send_at_once).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import WSGIRequestHandler

# The buffers a connection reads its request and writes its answer through. A websocket keeps them
# while it is open, though it reads and writes the socket itself: eventlet gave each connection
# 8 KB to read and 16 KB to write, most of what kit held per phone beyond its stack (measured in
# docs/performance.md). A request's head fits in 2 KB or is read in a few goes, and a bigger body
# or answer is read or written straight through, past the buffer.
CONNECTION_BUFFER = 2048

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def send_at_once(sock: socket.socket) -> None:
    """Let what is written to a connection leave at once (TCP_NODELAY): an answer's head then its
    body, or two live messages in a row, no longer wait for the client to acknowledge the first,
    which clients delay (40 ms on Linux, up to 200 ms on Windows). eventlet's and gevent's servers
    leave the delay on: each stylesheet and script, and on gevent every page, took 44 ms on the
    loopback instead of about 1 (docs/performance.md). werkzeug's handler has a setting for it."""
    with contextlib.suppress(OSError):  # not TCP: nothing to turn off
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


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
    """werkzeug's request handler with a read timeout, a small read buffer and no delay on every
    connection (threading mode; werkzeug writes to the socket itself)."""
    settings = {"timeout": timeout, "rbufsize": CONNECTION_BUFFER, "disable_nagle_algorithm": True}
    return type("TimedWSGIRequestHandler", (WSGIRequestHandler,), settings)

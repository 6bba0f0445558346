"""Half-sent requests are closed, on every server `kit serve` runs on (docs/deployment.md).

Hundreds of sockets send a request line and a `Host` header, then nothing: the server closes them
after REQUEST_TIMEOUT and still serves a page to someone else; a phone's websocket, silent between
pings for longer than that, stays open.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import time

import pytest
import requests

from tests.server import KitServer, LiveClient

pytestmark = pytest.mark.e2e

HALF_OPEN = 300


def half_open(port: int) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock
    except OSError:
        return None


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server ends the connection (an empty read, a reset, or an error answer)."""
    sock.settimeout(within)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return False
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.")


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent", "threading"])
def test_hundreds_of_half_sent_requests_are_closed_and_a_page_is_still_served(tmp_path, async_mode):
    if async_mode == "gevent" and importlib.util.find_spec("gevent") is None:
        pytest.skip("gevent is not installed (pip install -e '.[bench]')")
    server = KitServer(tmp_path / "instance", async_mode=async_mode)
    # fewer connections than half-open sockets: without a timeout, eventlet's pool stays full for ever
    server.env.update({"KIT_REQUEST_TIMEOUT": "2", "KIT_MAX_CONNECTIONS": "200"})
    links = server.new_meeting("Rencontre des aidants numériques de la vallée de l'Oust")
    server.start()
    sockets: list[socket.socket] = []
    try:
        # a phone connected before, silent for longer than the timeout between two pings
        phone = LiveClient(server.url, "phone", {"meeting": links.code})
        # the client reconnects by itself: count its drops, or a closed websocket looks connected
        dropped: list[object] = []
        phone.sio.on("disconnect", lambda *reason: dropped.append(reason), namespace="/phone")
        sockets = [s for s in (half_open(server.port) for _ in range(HALF_OPEN)) if s is not None]
        assert len(sockets) >= HALF_OPEN // 2
        page = requests.get(f"{server.url}/j/{links.code}", timeout=120)
        assert page.status_code == 200
        assert closed_by_server(sockets[0], within=60)
        time.sleep(3)
        assert phone.sio.connected and "/phone" in phone.sio.namespaces
        assert phone.call("sync")["ok"], "the websocket outlived the timeout"
        assert not dropped, "the websocket, silent between two pings, was closed by the request timeout"
        phone.close()
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        server.stop()

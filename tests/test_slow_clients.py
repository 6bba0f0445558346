"""Half-sent requests are closed, on every server `kit serve` runs on (docs/deployment.md).

Hundreds of sockets send a request line and a `Host` header, then nothing: the server closes them
after REQUEST_TIMEOUT and still serves a page to someone else; a phone's websocket, silent between
pings for longer than that, stays open.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.server import KitServer, LiveClient

pytestmark = pytest.mark.e2e

HALF_OPEN = 300
HAS_GEVENT = importlib.util.find_spec("gevent") is not None


def skip_unless_installed(async_mode: str) -> None:
    if async_mode == "gevent" and not HAS_GEVENT:
        pytest.skip("gevent is not installed (pip install -e '.[bench]')")


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
    skip_unless_installed(async_mode)
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


@pytest.mark.parametrize("async_mode", ["eventlet", "gevent", "threading"])
def test_requests_bigger_than_a_connections_buffers_are_read_and_answered_whole(tmp_path, async_mode):
    """Each connection reads and writes through small buffers (kit.web.serving.CONNECTION_BUFFER):
    a head of several KB, a body of tens of KB and a big answer still arrive whole, byte for byte."""
    skip_unless_installed(async_mode)
    from kit.web.serving import CONNECTION_BUFFER

    server = KitServer(tmp_path / "instance", async_mode=async_mode)
    links = server.new_meeting("Rencontre des aidants numériques du pays de Ploërmel")
    server.start()
    try:
        with requests.Session() as browser:
            # a head three buffers long: a phone with many cookies from the town hall's other services
            cookies = {f"mairie_service_{n}": "é" * 10 + "x" * 180 for n in range(30)}
            head = sum(len(name) + len(value) for name, value in cookies.items())
            assert head > 3 * CONNECTION_BUFFER
            page = browser.get(f"{server.url}/j/{links.code}", cookies=cookies, timeout=30)
            assert page.status_code == 200 and "Ploërmel" in page.text

            # an answer bigger than the buffer, byte for byte
            css = browser.get(f"{server.url}/static/kit.css", timeout=30)
            assert css.status_code == 200
            assert css.content == (Path(__file__).parents[1] / "kit" / "static" / "kit.css").read_bytes()

            # a phone on long-polling, as on a Wi-Fi that drops websockets: each message is a POST
            # read through the same buffer, its accents sent escaped, six bytes each
            console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
            assert console.call("start")["ok"] and console.call("next")["ok"]
            idea = ("« Été » : à Ploërmel, l’accès à l’écrit n’était qu’à côté ; élèves, aînés, bénévoles… " * 12)[:500]
            phone = socketio.Client(reconnection=False)
            phone.connect(
                server.url, namespaces=["/phone"], auth={"meeting": links.code}, transports=["polling"], wait_timeout=10
            )
            try:
                assert phone.transport() == "polling"
                joined = phone.call("join", {"name": "Zoé Le Bihan-Guéguen"}, namespace="/phone", timeout=10)
                board = joined["snapshot"]["step"]["id"]
                sent = {"client_id": "repertoire-1", "step_id": board, "data": {"text": idea}}
                assert len(json.dumps(sent)) > CONNECTION_BUFFER / 2
                ack = phone.call("contribute", sent, namespace="/phone", timeout=10)
                assert ack["ok"], ack
            finally:
                phone.disconnect()
            assert console.call("close")["ok"]
            console.close()
            draft = browser.get(f"{server.url}/m/{links.code}/minutes", params={"key": links.console_key}, timeout=30)
            assert idea in draft.text.replace("\r\n", "\n"), "the contribution sent by polling was stored whole"

            # a body of tens of KB: the reviewed minutes of a closed meeting, read back whole
            paragraphs = [
                f"Atelier {n} : les aidants de l’espace France services ont accompagné {n * 3} personnes "
                f"pour leurs démarches de retraite, de CAF et d’ANTS, souvent sans adresse électronique."
                for n in range(400)
            ]
            minutes = "\n\n".join(paragraphs) + "\n\nFin du compte rendu : prochaine rencontre à Josselin."
            assert len(minutes.encode()) > 20 * CONNECTION_BUFFER
            editor = f"{server.url}/m/{links.code}/minutes"
            saved = browser.post(
                editor,
                params={"key": links.console_key},
                data={"minutes": minutes},
                headers={"Origin": server.url},
                timeout=30,
            )
            assert saved.status_code == 200 and saved.history and saved.history[0].status_code == 303
            assert minutes in saved.text.replace("\r\n", "\n")
    finally:
        server.stop()


@contextlib.contextmanager
def accepted_connection() -> Iterator[socket.socket]:
    """The server's side of a real TCP connection on the loopback."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as client, listener.accept()[0] as server_side:
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            yield server_side


def sends_at_once(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_each_server_gives_a_connection_small_buffers_and_no_delay():
    """What the test above reads through: the buffers `kit serve` asks each server for, and each
    connection's writes sent at once (kit.web.serving.send_at_once), not held back for the client's
    acknowledgement of the last: 44 ms a stylesheet on the loopback (docs/performance.md)."""
    from kit.cli import _server_options
    from kit.web.serving import CONNECTION_BUFFER

    protocol = _server_options("eventlet", 5)["protocol"]
    assert protocol.rbufsize == protocol.wbufsize == CONNECTION_BUFFER  # type: ignore[attr-defined]
    with accepted_connection() as sock:
        handler = protocol.__new__(protocol)  # type: ignore[attr-defined]
        handler.request = sock
        handler.setup()
        assert sends_at_once(sock)

    werkzeug_handler = _server_options("threading", 5)["request_handler"]
    assert werkzeug_handler.rbufsize == CONNECTION_BUFFER  # type: ignore[attr-defined]
    assert werkzeug_handler.disable_nagle_algorithm  # type: ignore[attr-defined]

    if HAS_GEVENT:
        gevent_handler = _server_options("gevent", 5)["handler_class"]
        with accepted_connection() as sock:
            gevent_handler(sock, sock.getpeername(), None)  # type: ignore[operator]
            assert sends_at_once(sock)

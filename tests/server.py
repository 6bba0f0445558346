"""A real `kit serve` process for end-to-end tests, and phones that behave like the browser's outbox."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from tests.conftest import postgres_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port for a test's `kit serve`, below the system's range for outgoing connections.

    A port the system hands out (bind to 0) is in the range every client connection takes its own
    port from: a server killed and started again on it — as the tests of crashes do — could find
    it taken meanwhile by a connection of another test. Each pytest-xdist worker draws from its own
    band, so two workers do not pick the same port either."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    band = int(worker[2:]) if worker[2:].isdigit() else 7
    low = 12000 + (band % 8) * 2500
    for _ in range(200):
        port = random.randrange(low, low + 2500)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A throw-away PostgreSQL database on the server of `base_url`, dropped afterwards."""
    name = f"kit_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_or_skip() -> Iterator[str]:
    """A throw-away database on the PostgreSQL server that KIT_TEST_POSTGRES_URL names (CI sets
    it); without it, the test asking is skipped."""
    base = postgres_url()
    if not base:
        pytest.skip("PostgreSQL run skipped: set KIT_TEST_POSTGRES_URL=postgresql://… to run it (CI does)")
    with postgres_database(base) as url:
        yield url


@dataclass(frozen=True)
class MeetingLinks:
    """What `kit meeting new` prints: the code and the console's and screen's keys."""

    code: str
    console_key: str
    screen_key: str


def wait_for(condition: Callable[[], object], timeout: float = 15, what: str = "a condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class KitServer:
    """`kit serve` on 127.0.0.1 with its own instance folder; killable and restartable on the same port."""

    def __init__(self, instance: Path, database_url: str | None = None, async_mode: str = "eventlet") -> None:
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KIT_INSTANCE_PATH": str(instance),
            "KIT_ASYNC_MODE": async_mode,
            "KIT_PUBLIC_URL": self.url,
        }
        if database_url:
            self.env["KIT_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None
        instance.parent.mkdir(parents=True, exist_ok=True)
        self.log = instance.parent / f"kit-serve-{self.port}.log"

    def kit(self, *args: str) -> str:
        """Run another kit command against the same instance and database; return what it printed."""
        result = subprocess.run(
            [sys.executable, "-m", "kit", *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def new_meeting(self, title: str = "Rencontre de test") -> MeetingLinks:
        """Prepare a meeting from the fixed test template (tests/fixtures), as `kit meeting new` does.

        Done in this process, on the server's database: running the command costs some 2 s of
        starting Python and importing kit, and two dozen tests prepare a meeting. The command
        itself is checked by tests/test_cli.py, and run against a live server by `kit()` in
        tests/test_e2e_server.py, tests/test_screenshots.py and tests/test_browser_pages.py.
        """
        from kit import create_app
        from kit.core.db import get_session
        from kit.meeting import lifecycle
        from kit.meeting.templates import load_template

        config = {"INSTANCE_PATH": str(self.instance), "PUBLIC_URL": self.url, "ASYNC_MODE": "threading"}
        if "KIT_DATABASE_URL" in self.env:
            config["DATABASE_URL"] = self.env["KIT_DATABASE_URL"]
        app = create_app(config)
        try:
            with app.app_context():
                template = load_template(ROOT / "tests" / "fixtures" / "board-meeting.toml")
                meeting = lifecycle.create_meeting(get_session(), template, title=title)
                return MeetingLinks(meeting.code, meeting.facilitator_key, meeting.screen_key)
        finally:
            app.extensions["kit.engine"].dispose()

    def start(self, timeout: float = 30) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kit", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kit serve exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                if requests.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("kit serve did not answer in time")

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, as when the laptop's battery dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class LiveClient:
    """A python-socketio client on one namespace that records what it receives."""

    def __init__(self, url: str, view: str, auth: dict[str, Any]) -> None:
        self.namespace = f"/{view}"
        self.auth = dict(auth)
        self.received: list[tuple[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        for event in ("snapshot", "state", "contribution", "counts"):
            self.sio.on(event, self._recorder(event), namespace=self.namespace)
        self.sio.connect(
            url, namespaces=[self.namespace], auth=lambda: self.auth, transports=["websocket"], wait_timeout=10
        )

    def _recorder(self, event: str):  # type: ignore[no-untyped-def]
        def record(data: Any) -> None:
            with self.lock:
                self.received.append((event, data))
                if event == "snapshot":
                    self.snapshots.append(data)

        return record

    def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    def close(self) -> None:
        self.sio.disconnect()


class Phone(LiveClient):
    """Joins, then sends like the browser does: each contribution keeps its client id until acknowledged."""

    def __init__(self, url: str, code: str, name: str) -> None:
        super().__init__(url, "phone", {"meeting": code})
        ack = self.call("join", {"name": name})
        assert ack["ok"], ack
        self.auth["token"] = ack["token"]
        self.acked: dict[str, int] = {}

    def send_until_acked(self, client_id: str, step_id: int, text: str, deadline: float) -> int:
        while time.monotonic() < deadline:
            if not self.sio.connected or self.namespace not in self.sio.namespaces:
                time.sleep(0.05)
                continue
            try:
                ack = self.call(
                    "contribute", {"client_id": client_id, "step_id": step_id, "data": {"text": text}}, timeout=3
                )
            except (
                socketio.exceptions.TimeoutError,
                socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError,
            ):
                time.sleep(0.05)
                continue
            assert ack["ok"], ack
            self.acked[client_id] = ack["id"]
            return ack["id"]
        raise AssertionError(f"{client_id} was never acknowledged")


class AsyncPhone:
    """A phone on an asyncio client (hundreds fit in one thread): joins, then sends like the browser.

    Each contribution keeps its client id and is sent again until an ack arrives, through dropped
    connections and server restarts; the client reconnects by itself with its token.
    """

    RETRYABLE = ("rate_limited", "internal", "not_connected")

    def __init__(self, url: str, code: str, name: str) -> None:
        self.url = url
        self.name = name
        self.auth: dict[str, Any] = {"meeting": code}
        self.acked: dict[str, int] = {}
        self.snapshots: list[dict[str, Any]] = []
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0, randomization_factor=0.5
        )
        self.sio.on("snapshot", self.snapshots.append, namespace="/phone")

    async def connect(self) -> None:
        await self.sio.connect(
            self.url, namespaces=["/phone"], auth=lambda: self.auth, transports=["websocket"], wait_timeout=10
        )

    async def join(self) -> None:
        await self.connect()
        ack = await self.sio.call("join", {"name": self.name}, namespace="/phone", timeout=10)
        assert ack["ok"], ack
        self.auth["token"] = ack["token"]

    @property
    def connected(self) -> bool:
        return self.sio.connected and "/phone" in self.sio.namespaces

    async def call(self, event: str, data: Any = None, timeout: float = 3) -> Any:
        return await self.sio.call(event, data, namespace="/phone", timeout=timeout)

    async def send_until_acked(self, client_id: str, step_id: int, text: str, deadline: float) -> int:
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            if not self.connected:
                await asyncio.sleep(0.05)
                continue
            try:
                ack = await self.call(
                    "contribute", {"client_id": client_id, "step_id": step_id, "data": {"text": text}}
                )
            except (
                socketio.exceptions.TimeoutError,
                socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError,
            ):
                await asyncio.sleep(0.05)
                continue
            if not ack["ok"] and ack["error"]["code"] in self.RETRYABLE:
                await asyncio.sleep(0.5)
                continue
            assert ack["ok"], ack
            self.acked[client_id] = ack["id"]
            return int(ack["id"])
        raise AssertionError(f"{self.name}: {client_id} was never acknowledged")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()

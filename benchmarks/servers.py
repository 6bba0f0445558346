"""The servers under test, each started as its own process on 127.0.0.1.

kit runs as `python -m kit serve` (eventlet, gevent or threading, SQLite file in a throw-away
instance folder); the references are `benchmarks/reference_server.py` and `benchmarks/node/server.js`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "benchmarks" / "node"
# a check-in, a board, a needs step and four boards (see the file); not a shipped template, so
# what is measured stays the same when those change
TEMPLATE = ROOT / "benchmarks" / "meeting.toml"

# what each target is called in the tables
LABELS = {
    "kit-eventlet": "kit (eventlet)",
    "kit-gevent": "kit (gevent)",
    "kit-threading": "kit (threading)",
    "bare": "bare python-socketio",
    "bare-sqlite": "bare python-socketio + SQLite",
    "stack": "Flask-SocketIO + SQLAlchemy + SQLite, no kit code",
    "node": "bare Node socket.io",
    "kit-4procs": "kit, 4 processes (PostgreSQL + Redis)",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def available(target: str) -> str | None:
    """Why this target cannot run here, or None when it can."""
    if target == "node":
        if shutil.which("node") is None:
            return "node is not installed"
        if not (NODE_DIR / "node_modules" / "socket.io").exists():
            return "run `npm ci --prefix benchmarks/node` first"
    if target == "kit-gevent":
        try:
            import gevent  # noqa: F401
        except ImportError:
            return "gevent is not installed (pip install -e '.[bench]')"
    if target not in LABELS:
        return f"unknown target {target!r}"
    return None


@dataclass
class Server:
    """A started server: where it listens, how to authenticate, and its process (for RSS and CPU)."""

    target: str
    workdir: Path
    port: int = field(default_factory=free_port)
    code: str = "BENCH1"
    screen_key: str = "screen"
    console_key: str = "console"
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    # what the harness was doing, for an error's message
    stage: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_kit(self) -> bool:
        return self.target.startswith("kit-")

    @property
    def urls(self) -> list[str]:
        """Where phones connect: phone number i to urls[i % len(urls)]."""
        return [self.url]

    def screen_auth(self) -> dict[str, Any]:
        return {"meeting": self.code, "key": self.screen_key}

    def console_auth(self) -> dict[str, Any]:
        return {"meeting": self.code, "key": self.console_key}

    def start(self, timeout: float = 60) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        if self.is_kit:
            env.update(
                {
                    "KIT_INSTANCE_PATH": str(self.workdir / "instance"),
                    "KIT_ASYNC_MODE": self.target.removeprefix("kit-"),
                    "KIT_PUBLIC_URL": self.url,
                    # one phone sends many contributions in a benchmark; a person cannot
                    "KIT_RATE_LIMIT": "1000000",
                    # nor a phone's fair share of the live layer (the flood stage keeps votes and syncs' budgets)
                    "KIT_LIVE_BUDGETS": '{"contribute": [1000000, 1000000]}',
                }
            )
            self._new_meeting(env)
            command = [sys.executable, "-m", "kit", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        elif self.target in ("bare", "bare-sqlite"):
            store = "sqlite" if self.target == "bare-sqlite" else "none"
            database = str(self.workdir / "reference.sqlite3")
            command = [sys.executable, "-m", "benchmarks.reference_server", "--port", str(self.port), "--store", store]
            command += ["--database", database]
        elif self.target == "stack":
            database = str(self.workdir / "reference.sqlite3")
            command = [sys.executable, "-m", "benchmarks.reference_flask", "--port", str(self.port)]
            command += ["--database", database]
        elif self.target == "node":
            command = ["node", str(NODE_DIR / "server.js"), str(self.port)]
        else:
            raise ValueError(self.target)
        log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/socket.io/?EIO=4&transport=polling", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.target} did not answer in {timeout} s")

    def _new_meeting(self, env: dict[str, str]) -> None:
        printed = subprocess.run(
            [sys.executable, "-m", "kit", "meeting", "new", str(TEMPLATE), "--title", "Benchmark"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        links = dict(line.split(":", 1) for line in printed.strip().splitlines())
        self.code = links["code"].strip().replace("-", "")
        self.console_key = links["console"].split("key=")[1].strip()
        self.screen_key = links["screen"].split("key=")[1].strip()

    def log_tail(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Usage:
    """The server process's resident memory and CPU time (psutil if installed, else /proc on Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            import psutil

            self._process: Any = psutil.Process(pid)
        except ImportError:
            self._process = None

    def rss(self) -> int | None:
        if self._process is not None:
            return int(self._process.memory_info().rss)
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def cpu(self) -> float | None:
        """User + system seconds used so far."""
        if self._process is not None:
            times = self._process.cpu_times()
            return float(times.user + times.system)
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            return None

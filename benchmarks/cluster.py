"""Several `kit serve` processes serving one meeting: PostgreSQL holds it, Redis carries broadcasts.

The target `kit-4procs` of the harness: a throw-away database on the PostgreSQL of `--postgres`,
four eventlet processes sharing one instance folder (the same secrets, so the same queue channel,
of their own: a shared Redis is never disturbed) on the Redis of `--redis`. The screen and the
console talk to the first process; phone number i talks to process i mod 4, as a proxy with
sticky sessions would spread them. CPU and memory are the sum over the processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from benchmarks.servers import ROOT, Server, Usage, free_port

PROCESSES = 4


def _admin(base_url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")


@dataclass
class Cluster(Server):
    """`PROCESSES` kit processes; `url` is the first one's, `urls` all of them."""

    postgres: str = ""
    redis: str = ""
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    database: str = ""

    @property
    def is_kit(self) -> bool:
        return True

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, timeout: float = 90) -> None:
        from sqlalchemy import text

        self.workdir.mkdir(parents=True, exist_ok=True)
        name = f"kit_bench_{uuid.uuid4().hex[:10]}"
        with _admin(self.postgres).connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.database = name
        self.ports = [self.port] + [free_port() for _ in range(PROCESSES - 1)]
        env = {
            **os.environ,
            **self.env,
            "KIT_INSTANCE_PATH": str(self.workdir / "instance"),
            "KIT_ASYNC_MODE": "eventlet",
            "KIT_DATABASE_URL": self.postgres.rsplit("/", 1)[0] + "/" + name,
            "KIT_MESSAGE_QUEUE": self.redis,
            "KIT_PUBLIC_URL": self.url,
            "KIT_RATE_LIMIT": "1000000",
            "KIT_LIVE_BUDGETS": '{"contribute": [1000000, 1000000]}',
        }
        self._new_meeting(env)
        log = (self.workdir / "server.log").open("ab")
        for port in self.ports:
            command = [sys.executable, "-m", "kit", "serve", "--host", "127.0.0.1", "--port", str(port)]
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        self.process = self.processes[0]
        deadline = time.monotonic() + timeout
        for url, process in zip(self.urls, self.processes, strict=True):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"a kit process exited: {self.log_tail()}")
                try:
                    with urllib.request.urlopen(url + "/socket.io/?EIO=4&transport=polling", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} did not answer in {timeout} s") from None
                    time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.database:
            from sqlalchemy import text

            engine = _admin(self.postgres)
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
            engine.dispose()
            self.database = ""


class ClusterUsage(Usage):
    """Memory and CPU summed over the processes of a cluster."""

    def __init__(self, pids: list[int]) -> None:
        self.parts = [Usage(pid) for pid in pids]

    def rss(self) -> int | None:
        values = [part.rss() for part in self.parts]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    def cpu(self) -> float | None:
        values = [part.cpu() for part in self.parts]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

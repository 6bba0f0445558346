"""A tiny stand-in for a public kit that misbehaves on purpose: answers a given status, answers too
late, or reads part of the request and closes the connection."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeKit:
    def __init__(
        self, *, status: int = 200, answer: Any = None, delay: float = 0.0, cut_after: int | None = None
    ) -> None:
        self.status = status
        self.answer = answer
        self.delay = delay
        self.cut_after = cut_after
        self.requests: list[bytes] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                length = int(self.headers.get("Content-Length", "0"))
                if fake.cut_after is not None:
                    self.rfile.read(min(length, fake.cut_after))
                    self.connection.close()
                    return
                fake.requests.append(self.rfile.read(length))
                time.sleep(fake.delay)
                body = json.dumps(fake.answer if fake.answer is not None else {"ok": False}).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKit:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

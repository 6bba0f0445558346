"""Publishing posts the minutes' link to the network's chat; a chat that fails does not stop it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import gen_meeting


class Chat(BaseHTTPRequestHandler):
    received: list[dict] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        Chat.received.append(json.loads(self.rfile.read(length)))
        self.send_response(Chat.answer)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def chat():  # type: ignore[no-untyped-def]
    Chat.received = []
    Chat.answer = 200
    server = HTTPServer(("127.0.0.1", 0), Chat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/abc"
    server.shutdown()


def notices(console) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in console.get_received("/console") if e["name"] == "notice"]


def wait_for_notice(console) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = notices(console)
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError("the console heard nothing about the chat")


def publish(app, db, live_clients, webhook_url):  # type: ignore[no-untyped-def]
    app.config["WEBHOOK_URL"] = webhook_url
    meeting = gen_meeting(db, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    assert console.emit("close", callback=True, namespace="/console")["ok"]
    assert console.emit("publish", callback=True, namespace="/console")["ok"]
    return meeting, console


def test_one_post_per_publication_with_the_link(app, db, live_clients, chat):
    meeting, console = publish(app, db, live_clients, chat)
    notice = wait_for_notice(console)
    assert notice["ok"] is True
    [posted] = Chat.received
    assert "Rencontre test" in posted["text"] and f"/minutes/{meeting.share_token}" in posted["text"]


@pytest.mark.parametrize("failure", ["error", "unreachable"])
def test_a_failing_chat_leaves_the_minutes_published_and_says_so(app, db, live_clients, chat, failure):
    Chat.answer = 500
    url = chat if failure == "error" else "http://127.0.0.1:9/nothing-listens-here"
    meeting, console = publish(app, db, live_clients, url)
    notice = wait_for_notice(console)
    assert notice["ok"] is False and "publié" in notice["message"]
    db.expire_all()
    assert meeting.status == "published"

"""Publishing posts the minutes' link to the network's chat; a chat that fails does not stop it."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kit.publishing import webhook
from tests.conftest import gen_meeting


class Chat(BaseHTTPRequestHandler):
    received: list[dict] = []
    requests: list[tuple[str, str]] = []  # (path, content type) of each post
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        Chat.received.append(json.loads(self.rfile.read(length)))
        Chat.requests.append((self.path, self.headers["Content-Type"]))
        self.send_response(Chat.answer)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def chat():  # type: ignore[no-untyped-def]
    Chat.received = []
    Chat.requests = []
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


TITLE = (
    "Rencontre *spéciale* du réseau [Vitré](https://pirate.example) #3 — @channel <b>ateliers</b> & cafés_numériques"
)


def shows_as_typed(markdown_text: str) -> str:
    """What a CommonMark chat shows of an escaped text (a backslash before punctuation is dropped)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown_text)


@pytest.mark.parametrize(
    ("chat_format", "key"),
    [
        ("mattermost", "text"),
        ("rocketchat", "text"),
        ("matrix", "text"),
        ("slack", "text"),
        ("discord", "content"),
        ("tchap", "message"),
    ],
)
def test_each_chat_receives_its_own_payload_with_the_title_escaped(app, db, chat, chat_format, key):
    meeting = gen_meeting(db, title=TITLE)
    with app.test_request_context():
        payload = webhook.message(meeting, "https://kit.example.org/minutes/abc", chat_format)
    webhook.post(chat, payload)
    [received] = Chat.received
    assert Chat.requests == [("/hooks/abc", "application/json")]
    assert received == payload and set(received) == ({key, "message_format"} if key == "message" else {key})
    text = received[key]
    assert "https://kit.example.org/minutes/abc" in text
    if chat_format == "slack":
        assert "&lt;b&gt;ateliers&lt;/b&gt; &amp; cafés" in text and "\\" not in text
    else:
        # nothing of the title is markup: no link, no bold, no heading, no mention, no HTML
        assert "](" not in text and "*spéciale*" not in text and "<b>" not in text and " @channel" not in text
        assert TITLE in shows_as_typed(text)
    if chat_format == "tchap":
        assert received["message_format"] == "md"


def test_the_format_is_guessed_from_the_address_unless_configured():
    assert webhook.chat_format("", "https://discord.com/api/webhooks/123/abc") == "discord"
    assert webhook.chat_format("auto", "https://hooks.slack.com/services/T/B/X") == "slack"
    assert webhook.chat_format(None, "https://tchap-bot.example.gouv.fr/api/webhook/post/f00d") == "tchap"
    assert webhook.chat_format("", "https://chat.example.org/hooks/abc") == "mattermost"
    assert webhook.chat_format("Rocketchat", "https://discord.com/api/webhooks/1/x") == "rocketchat"
    with pytest.raises(ValueError, match="teams"):
        webhook.chat_format("teams", "https://chat.example.org/hooks/abc")


@pytest.mark.parametrize("chat_format", ["discord", "tchap"])
def test_publishing_posts_in_the_configured_format(app, db, live_clients, chat, chat_format):
    app.config["WEBHOOK_FORMAT"] = chat_format
    meeting, console = publish(app, db, live_clients, chat)
    assert wait_for_notice(console)["ok"] is True
    [posted] = Chat.received
    text = posted["content"] if chat_format == "discord" else posted["message"]
    assert "Rencontre test" in text and f"/minutes/{meeting.share_token}" in text


def test_an_unknown_format_is_said_on_the_console_and_nothing_is_posted(app, db, live_clients, chat):
    app.config["WEBHOOK_FORMAT"] = "teams"
    meeting, console = publish(app, db, live_clients, chat)
    notice = wait_for_notice(console)
    assert notice["ok"] is False and "publié" in notice["message"] and "teams" in notice["message"]
    assert Chat.received == []
    db.expire_all()
    assert meeting.status == "published"

"""Headers and origins: what a hostile page on the venue's network can and cannot do with kit.

The first tests check the pages in-process; the last ones start `kit serve` for real, because
the Origin check and the message size limit live in the Socket.IO server, not in Flask.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
import requests
import socketio
import websocket

from kit.core.access import same_secret
from kit.meeting import lifecycle
from tests.conftest import ROOT, gen_meeting
from tests.server import KitServer, LiveClient, MeetingLinks, Phone, wait_for

SAME_ORIGIN = {"Origin": "http://localhost"}
REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


class ScriptFinder(HTMLParser):
    """Collects what a strict policy would block: inline scripts, event handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self.in_script = "src" not in names
        self.inline += [f"<{tag} {name}>" for name in names if name.startswith("on") or name == "style"]
        self.inline += [
            f"<{tag} {name}=javascript:>" for name, value in attrs if (value or "").startswith("javascript:")
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}")


@pytest.fixture
def every_page(app, db, client):  # type: ignore[no-untyped-def]
    """Each kind of page kit serves, with the client that may open it: (name, client, path)."""
    live = gen_meeting(db, live=True)
    done = gen_meeting(db, live=True)
    lifecycle.close(db, done)
    lifecycle.publish(db, done)
    phone = app.test_client()
    phone.post(f"/j/{live.code}", data={"name": "Awa"}, headers=SAME_ORIGIN)
    admin = app.test_client()
    admin.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    return [
        ("home", client, "/"),
        ("unknown code", client, "/go?code=ZZZZZZ"),
        ("join form", client, f"/j/{live.code}"),
        ("phone page", phone, f"/j/{live.code}"),
        ("meeting over", client, f"/j/{done.code}"),
        ("qr code", client, f"/j/{live.code}/qr.svg"),
        ("admin", admin, "/admin"),
        ("admin refused", client, "/admin"),
        ("console", client, f"/m/{live.code}/console?key={live.facilitator_key}"),
        ("screen", client, f"/m/{live.code}/screen?key={live.screen_key}"),
        ("minutes", client, f"/minutes/{done.share_token}"),
        ("minutes markdown", client, f"/minutes/{done.share_token}.md"),
        ("minutes json", client, f"/minutes/{done.share_token}.json"),
        ("not found", client, "/nowhere"),
        ("stylesheet", client, "/static/kit.css"),
        ("shared script", client, "/static/live/common.js"),
        ("phone script", client, "/static/live/phone.js"),
        ("screen script", client, "/static/live/screen.js"),
        ("console script", client, "/static/live/console.js"),
    ]


def test_every_page_has_a_strict_content_security_policy_and_cannot_be_framed(every_page):
    for name, client, path in every_page:
        response = client.get(path)
        assert response.status_code < 500, name
        directives = policy(response)
        for directive, value in REQUIRED_DIRECTIVES.items():
            assert directives.get(directive) == value, f"{name}: {directive} is {directives.get(directive)!r}"
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], name
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"], name
        assert response.headers["X-Frame-Options"] == "DENY", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name


def test_no_page_needs_an_inline_script_or_style_that_the_policy_would_block(every_page):
    for name, client, path in every_page:
        response = client.get(path)
        if response.mimetype != "text/html":
            continue
        finder = ScriptFinder()
        finder.feed(response.get_data(as_text=True))
        assert finder.inline == [], f"{name} has inline code the policy blocks: {finder.inline}"


def test_no_template_holds_an_inline_script_or_event_handler():
    templates = ROOT / "kit" / "templates"
    # an email is not a page kit serves: mail programs drop <style>, so its layout is inline; that
    # it carries no script is checked on the messages themselves (tests/test_mail.py)
    emails = templates / "mail"
    for template in sorted(t for t in templates.rglob("*.html") if emails not in t.parents):
        source = template.read_text(encoding="utf-8")
        finder = ScriptFinder()
        # Jinja blocks are not HTML; what is left is enough to find inline code
        finder.feed(re.sub(r"{[%{#].*?[%}#]}", "", source, flags=re.S))
        assert finder.inline == [], f"{template.relative_to(ROOT)}: {finder.inline}"


def test_the_policy_names_only_a_plain_host_for_the_live_connection(client):
    response = client.get("/", headers={"Host": "kit.local:8000"})
    assert policy(response)["connect-src"] == "'self' ws://kit.local:8000 wss://kit.local:8000"
    sneaky = client.get("/", headers={"Host": "evil; script-src *"})
    assert policy(sneaky)["connect-src"] == "'self'"
    assert "script-src *" not in sneaky.headers["Content-Security-Policy"]


def test_the_session_cookie_of_a_phone_and_of_the_admin_is_httponly_and_samesite_lax(app, db, client):
    meeting = gen_meeting(db)
    joined = client.post(f"/j/{meeting.code}", data={"name": "Awa"}, headers=SAME_ORIGIN)
    admin = app.test_client().get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    for response in (joined, admin):
        [cookie] = [value for key, value in response.headers.items() if key == "Set-Cookie"]
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
        assert "httponly" in attributes, cookie
        assert attributes["samesite"].lower() == "samesite=lax", cookie


def test_secrets_are_compared_in_constant_time():
    with mock.patch("kit.core.access.hmac.compare_digest", wraps=__import__("hmac").compare_digest) as compare:
        assert same_secret("s3cret", "s3cret")
        assert not same_secret("s3creT", "s3cret")
        assert compare.call_count == 2
    for wrong in (None, 12, b"s3cret", ["s3cret"], {"key": "s3cret"}):
        assert not same_secret(wrong, "s3cret")


# -- against a real `kit serve` ------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):  # type: ignore[no-untyped-def]
    server = KitServer(Path(tmp_path_factory.mktemp("headers")) / "instance")
    server.start()
    try:
        yield server, server.new_meeting()
    finally:
        server.stop()


FOREIGN = "http://evil.example"


@pytest.mark.e2e
def test_a_page_of_another_site_cannot_open_a_live_connection_by_polling(served):
    server, _ = served
    handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": FOREIGN}, timeout=5)
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    own = requests.get(handshake, headers={"Origin": server.url}, timeout=5)
    assert own.status_code == 200 and own.headers["Access-Control-Allow-Origin"] == server.url


@pytest.mark.e2e
def test_a_page_of_another_site_cannot_open_a_live_websocket(served):
    server, _ = served
    address = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(address, origin=FOREIGN, timeout=5)
    assert refused.value.status_code == 400
    own = websocket.create_connection(address, origin=server.url, timeout=5)
    try:
        assert own.recv().startswith("0{")  # the Engine.IO handshake
    finally:
        own.close()


@pytest.mark.e2e
def test_a_phone_on_another_site_cannot_join_a_meeting(served):
    server, links = served
    for transport in ("websocket", "polling"):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(
                server.url,
                namespaces=["/phone"],
                auth={"meeting": links.code},
                headers={"Origin": FOREIGN},
                transports=[transport],
                wait_timeout=5,
            )
        client.disconnect()
    assert requests.get(server.url + "/", timeout=5).status_code == 200


def _stored_cards(server: KitServer, links: MeetingLinks) -> list[int]:
    screen = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        wait_for(lambda: screen.snapshots, what="a console snapshot")
        return [item["id"] for item in screen.snapshots[-1]["items"]]
    finally:
        screen.close()


@pytest.mark.e2e
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_an_oversized_message_is_dropped_without_harm_and_stores_nothing(served, transport):
    server, links = served
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        if console.call("sync")["snapshot"]["meeting"]["status"] == "prepared":
            console.call("start")
            console.call("next")
    finally:
        console.close()
    phone = Phone(server.url, links.code, "Awa")
    before = _stored_cards(server, links)
    board = phone.call("sync")["snapshot"]["step"]["id"]
    heavy = socketio.Client(reconnection=False)
    heavy.connect(server.url, namespaces=["/phone"], auth={**phone.auth}, transports=[transport], wait_timeout=5)
    try:
        huge = {"client_id": "huge-1", "step_id": board, "data": {"text": "x" * 200_000}}
        try:
            ack = heavy.call("contribute", huge, namespace="/phone", timeout=2)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            ack = None  # dropped: the server closed that connection
        assert ack is None or ack["ok"] is False, ack
    finally:
        heavy.disconnect()
        phone.close()
    # the server is still up, takes normal messages, and stored nothing of the huge one
    assert requests.get(server.url + "/", timeout=5).status_code == 200
    assert _stored_cards(server, links) == before
    again = Phone(server.url, links.code, "Bruno")
    try:
        ack = again.call("contribute", {"client_id": "small-1", "step_id": board, "data": {"text": "petit"}})
        assert ack["ok"], ack
    finally:
        again.close()
    assert _stored_cards(server, links) == [*before, ack["id"]]

"""Publishing posts the minutes' link to the network's chat; a chat that fails does not stop it."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kit.network import networks, transfer
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


# -- each network its own chat ---------------------------------------------------------------------
def admin_client(app, client):  # type: ignore[no-untyped-def]
    with client.session_transaction() as session:
        session["admin"] = app.config["ADMIN_TOKEN"]
    return client


def publish_in(app, db, live_clients, network_id, title):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True, network_id=network_id, title=title)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    assert console.emit("close", callback=True, namespace="/console")["ok"]
    assert console.emit("publish", callback=True, namespace="/console")["ok"]
    assert wait_for_notice(console)["ok"] is True
    return meeting


def test_two_networks_each_receive_their_own_payload_in_their_own_chat(app, db, client, live_clients, chat):
    admin = admin_client(app, client)
    app.config["WEBHOOK_URL"] = chat.replace("/hooks/abc", "/hooks/installation")
    vitre = networks.create_network(db, "Réseau des médiateurs du pays de Vitré", "Vitré Communauté")
    fougeres = networks.create_network(db, "Fabrique numérique de Fougères", "Fougères Agglomération")
    saved = admin.post(
        f"/networks/{vitre.id}/chat",
        data={"chat_webhook_url": chat.replace("/hooks/abc", "/hooks/vitre"), "chat_format": "discord"},
    )
    assert saved.status_code == 303
    admin.post(
        f"/networks/{fougeres.id}/chat",
        data={"chat_webhook_url": chat.replace("/hooks/abc", "/api/webhook/post/f0u6"), "chat_format": "tchap"},
    )
    db.expire_all()
    assert (vitre.chat_format, fougeres.chat_format) == ("discord", "tchap")

    first = publish_in(app, db, live_clients, vitre.id, "Rencontre de novembre à Vitré")
    second = publish_in(app, db, live_clients, fougeres.id, "Atelier « démarches » à Fougères")
    assert [path for path, _type in Chat.requests] == ["/hooks/vitre", "/api/webhook/post/f0u6"]
    to_vitre, to_fougeres = Chat.received
    assert set(to_vitre) == {"content"} and "novembre à Vitré" in to_vitre["content"]
    assert f"/minutes/{first.share_token}" in to_vitre["content"]
    assert set(to_fougeres) == {"message", "message_format"} and "Fougères" in to_fougeres["message"]
    assert f"/minutes/{second.share_token}" in to_fougeres["message"]


def test_a_network_without_its_own_chat_and_a_meeting_without_a_network_use_the_installations(
    app, db, live_clients, chat
):
    app.config["WEBHOOK_URL"] = chat
    app.config["WEBHOOK_FORMAT"] = "discord"
    rennes = networks.create_network(db, "Hub numérique de Rennes Métropole", "Rennes")
    publish_in(app, db, live_clients, rennes.id, "Rencontre mensuelle du hub")
    publish_in(app, db, live_clients, None, "Rencontre sans réseau")
    assert [path for path, _type in Chat.requests] == ["/hooks/abc", "/hooks/abc"]
    assert all(set(posted) == {"content"} for posted in Chat.received)


def test_a_network_with_an_address_but_no_format_reads_the_installations_format(app, db):
    app.config["WEBHOOK_FORMAT"] = "slack"
    network = networks.create_network(db, "Réseau du Pays de Brocéliande", "Brocéliande")
    network.chat_webhook_url = "https://chat.broceliande.fr/hooks/xyz"
    db.commit()
    meeting = gen_meeting(db, network_id=network.id)
    assert webhook.target(app.config, meeting) == ("https://chat.broceliande.fr/hooks/xyz", "slack")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"chat_webhook_url": "http://chat.example.fr/hooks/x", "chat_format": "mattermost"}, "url", "https://"),
        ({"chat_webhook_url": "javascript:alert(1)", "chat_format": "mattermost"}, "url", "webhook"),
        ({"chat_webhook_url": "https://chat.example.fr/hooks/x?token=1 2", "chat_format": "auto"}, "url", "webhook"),
        ({"chat_webhook_url": "https://chat.example.fr/hooks/x", "chat_format": "teams"}, "format", "liste"),
        ({"chat_webhook_url": "https://chat.example.fr/hooks/x"}, "format", "liste"),
    ],
)
def test_a_wrong_address_or_format_is_refused_next_to_its_field_and_nothing_changes(
    app, db, client, data, field, words
):
    admin = admin_client(app, client)
    network = networks.create_network(db, "Réseau Cap Numérique", "Redon")
    network.chat_webhook_url, network.chat_format = "https://chat.redon.fr/hooks/kept", "discord"
    db.commit()
    refused = admin.post(f"/networks/{network.id}/chat", data=data)
    assert refused.status_code == 400
    page = refused.text
    error = page.split('id="chat-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert words in error
    described = 'id="chat-webhook-url"' if field == "url" else 'id="chat-format"'
    assert 'aria-describedby="chat-error"' in page.split(described, 1)[1].split(">", 1)[0]
    db.expire_all()
    assert (network.chat_webhook_url, network.chat_format) == ("https://chat.redon.fr/hooks/kept", "discord")


def test_the_address_is_kept_masked_changed_in_format_and_removed(app, db, client):
    admin = admin_client(app, client)
    network = networks.create_network(db, "Réseau Cap Numérique", "Redon")
    secret = "https://chat.redon.fr/hooks/s3cr3t-t0k3n-9f2a"
    admin.post(f"/networks/{network.id}/chat", data={"chat_webhook_url": secret, "chat_format": "auto"})
    page = admin.get(f"/networks/{network.id}").text
    assert secret not in page and "https://chat.redon.fr/…9f2a" in page
    # in plain words, in French: which chat, each one a choice of the list
    assert "Prévenir le salon de discussion du réseau" in page and "Quelle messagerie ?" in page
    options = re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', page.split('id="chat-format"', 1)[1])
    assert [(value, label) for value, _selected, label in options][:5] == [
        ("auto", "Automatique (d'après l'adresse)"),
        ("mattermost", "Mattermost, Rocket.Chat, Matrix"),
        ("slack", "Slack"),
        ("discord", "Discord"),
        ("tchap", "Tchap"),
    ]
    assert [value for value, selected, _label in options if selected] == ["auto"]
    assert secret not in json.dumps(transfer.export_network(db, network))
    # an empty address keeps it: only the format changes
    admin.post(f"/networks/{network.id}/chat", data={"chat_webhook_url": "", "chat_format": "slack"})
    db.expire_all()
    assert (network.chat_webhook_url, network.chat_format) == (secret, "slack")
    # http:// to this machine is for trying it out
    local = "http://127.0.0.1:8065/hooks/essai"
    admin.post(f"/networks/{network.id}/chat", data={"chat_webhook_url": local, "chat_format": "mattermost"})
    db.expire_all()
    assert network.chat_webhook_url == local
    admin.post(f"/networks/{network.id}/chat", data={"chat_webhook_url": "", "chat_format": "auto", "remove": "yes"})
    db.expire_all()
    assert (network.chat_webhook_url, network.chat_format) == (None, None)

"""Two real kit processes: a facilitator's laptop publishes a meeting to the network's public kit,
which runs behind Caddy over TLS (a certificate of a test CA, trusted by the laptop through
PUBLISH_CA_FILE). Sending twice, editing, withdrawing, a connection cut mid-send, a revoked key, a
public kit that answers 500, too late, or from an older kit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from sqlalchemy import create_engine, text

from kit import create_app
from kit.core.db import get_session
from kit.core.models import Meeting, Network
from kit.meeting import lifecycle, preparation
from kit.network import keys, networks
from tests.conftest import gen_template
from tests.fake_kit import FakeKit
from tests.server import KitServer, LiveClient, free_port, wait_for

pytestmark = pytest.mark.e2e


def caddy_or_skip() -> str:
    found = shutil.which("caddy")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs the public kit behind Caddy, and caddy is missing (apt-get install caddy)")
        pytest.skip("needs Caddy (apt-get install caddy)")
    return found


class Caddy:
    """Caddy as the public kit's reverse proxy on 127.0.0.1, with a certificate of the test CA."""

    def __init__(self, folder: Path, upstream_port: int, ca: trustme.CA) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(folder / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(folder / "cert.pem"), append=True)
        (folder / "Caddyfile").write_text(
            "{\n  admin off\n  auto_https disable_redirects\n  skip_install_trust\n"
            f"  storage file_system {folder / 'data'}\n}}\n"
            f"https://127.0.0.1:{self.port} {{\n  tls {folder / 'cert.pem'} {folder / 'key.pem'}\n"
            f"  reverse_proxy 127.0.0.1:{upstream_port}\n}}\n"
        )
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "HOME": str(self.folder),
            "XDG_DATA_HOME": str(self.folder),
            "XDG_CONFIG_HOME": str(self.folder),
        }
        log = (self.folder / "caddy.log").open("ab")
        self.process = subprocess.Popen(
            [caddy_or_skip(), "run", "--config", str(self.folder / "Caddyfile"), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(up, 20, "Caddy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class CuttingProxy:
    """A TCP proxy that passes `limit` bytes of what the client sends, then closes both ends: the
    connection cut in the middle of a send."""

    def __init__(self, upstream_port: int, limit: int) -> None:
        self.upstream_port = upstream_port
        self.limit = limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.cuts = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))

        def back() -> None:
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass

        threading.Thread(target=back, daemon=True).start()
        passed = 0
        try:
            while data := client.recv(65536):
                room = self.limit - passed
                upstream.sendall(data[:room])
                passed += min(len(data), room)
                if passed >= self.limit:
                    self.cuts += 1
                    break
        except OSError:
            pass
        for end in (client, upstream):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()


@contextmanager
def kit_db(server: KitServer) -> Iterator[Any]:
    """The database of a running kit, from this process (as tests/server.py's new_meeting does)."""
    app = create_app({"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"})
    try:
        with app.test_request_context():
            yield get_session()
    finally:
        app.extensions["kit.engine"].dispose()


def read(server: KitServer, query: str, **params: Any) -> list[Any]:
    engine = create_engine(f"sqlite:///{server.instance / 'kit.sqlite3'}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(query), params))
    finally:
        engine.dispose()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def public(tmp_path: Path, ca: trustme.CA) -> Iterator[tuple[KitServer, Caddy]]:
    caddy_or_skip()
    server = KitServer(tmp_path / "public")
    caddy = Caddy(tmp_path / "caddy", server.port, ca)
    server.env["KIT_PUBLIC_URL"] = caddy.url
    server.start()
    caddy.start()
    yield server, caddy
    caddy.stop()
    server.stop()


@pytest.fixture
def laptop(tmp_path: Path, ca: trustme.CA) -> Iterator[KitServer]:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = KitServer(tmp_path / "laptop")
    server.env |= {
        "KIT_PUBLISH_CA_FILE": str(ca_file),
        "KIT_PUBLISH_RETRY_SECONDS": "0.3",
        "KIT_PUBLISH_TIMEOUT": "2",
        "KIT_PUBLISH_MAX_ATTEMPTS": "2",
    }
    server.start()
    yield server
    server.stop()


def make_key(public: KitServer) -> tuple[str, int]:
    with kit_db(public) as db:
        network = networks.create_network(db, "Réseau des conseillers numériques 35", "35")
        return keys.create_key(db, network), network.id


def published_meeting(laptop: KitServer, target: str, key: str, photo: bytes | None = None) -> dict[str, Any]:
    """On the laptop: a network with its public kit, and a meeting of it, published."""
    with kit_db(laptop) as db:
        network = networks.create_network(db, "Réseau 35", "35")
        network.publish_url, network.publish_key = target, key
        db.commit()
        meeting = lifecycle.create_meeting(db, gen_template(), title="Rencontre de mars", network_id=network.id)
        if photo is not None:
            preparation.set_photo(db, meeting, meeting.steps[0].id, laptop.instance / "uploads", photo)
        lifecycle.start(db, meeting)
        awa = lifecycle.join(db, meeting, "Awa", "Médiathèque", "Vitré")
        data = {"name": "Awa", "structure": "Médiathèque", "territory": "Vitré", "email": "awa@example.org"}
        lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "ci", data | {"wants_minutes": "yes"})
        lifecycle.move(db, meeting, +1)
        card = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "b1", {"text": "Un atelier arnaques"})
        lifecycle.close(db, meeting)
        lifecycle.publish(db, meeting)
        return {
            "id": meeting.id,
            "code": meeting.code,
            "key": meeting.facilitator_key,
            "network": network.id,
            "token": awa.token,
            "card": card.contribution.id,
        }


def state_of(laptop: KitServer, meeting_id: int) -> tuple[str | None, str, Any]:
    [row] = read(laptop, "SELECT public_url, public_error, public_sent_at FROM meeting WHERE id = :id", id=meeting_id)
    return row[0], row[1], row[2]


def received(public: KitServer) -> list[Any]:
    return read(public, "SELECT id, minutes_md FROM meeting WHERE received_from IS NOT NULL")


def set_target(laptop: KitServer, network_id: int, url: str) -> None:
    with kit_db(laptop) as db:
        network = db.get(Network, network_id)
        network.publish_url = url
        db.commit()


def test_a_meeting_published_to_the_public_kit_over_tls(public, laptop, tmp_path):
    server, caddy = public
    key, server_network = make_key(server)
    m = published_meeting(laptop, caddy.url, key)
    ca_file = laptop.env["KIT_PUBLISH_CA_FILE"]
    console = LiveClient(laptop.url, "console", {"meeting": m["code"], "key": m["key"]})
    try:
        assert console.call("publish_public")["ok"]
        wait_for(lambda: state_of(laptop, m["id"])[0], 20, "the public address")
        url, error, _ = state_of(laptop, m["id"])
        [(first_version,)] = read(server, "SELECT version FROM meeting WHERE received_from IS NOT NULL")
        assert url.startswith(caddy.url + "/minutes/") and not error
        page = requests.get(url, verify=ca_file, timeout=5)
        assert page.status_code == 200 and "Un atelier arnaques" in page.text
        # the console now gives the public address
        console_page = requests.get(f"{laptop.url}/m/{m['code']}/console?key={m['key']}", timeout=5)
        assert console_page.status_code == 200
        ics_or_json = requests.get(url + ".json", verify=ca_file, timeout=5).json()
        assert ics_or_json["title"] == "Rencontre de mars" and "awa@example.org" not in page.text

        # sent again: one meeting, the same address
        assert console.call("publish_public")["ok"]
        version = "SELECT version FROM meeting WHERE received_from IS NOT NULL"
        wait_for(lambda: read(server, version)[0][0] > first_version, 20, "the second send")
        assert state_of(laptop, m["id"])[0] == url and len(received(server)) == 1

        # an edit after publishing reaches the public kit on its own, at the same address
        edited = requests.post(
            f"{laptop.url}/m/{m['code']}/minutes",
            data={"key": m["key"], "minutes": "# Rencontre de mars\n\nUne correction.\n\nUn atelier arnaques\n"},
            headers={"Origin": laptop.url},
            timeout=5,
            allow_redirects=False,
        )
        assert edited.status_code == 303
        wait_for(lambda: "Une correction." in (received(server)[0][1] or ""), 20, "the edit on the public kit")
        assert state_of(laptop, m["id"])[0] == url and len(received(server)) == 1

        # Awa withdraws her card: the public kit's copy loses her words
        gone = requests.post(
            f"{laptop.url}/mine/{m['token']}/{m['card']}",
            headers={"Origin": laptop.url},
            timeout=5,
            allow_redirects=False,
        )
        assert gone.status_code == 303
        wait_for(lambda: "arnaques" not in (received(server)[0][1] or ""), 20, "the withdrawal on the public kit")
        assert "arnaques" not in requests.get(url, verify=ca_file, timeout=5).text
        assert "arnaques" not in requests.get(url + ".json", verify=ca_file, timeout=5).text

        # the key is revoked on the public kit: the laptop says so, in French
        with kit_db(server) as db:
            network = db.get(Network, server_network)
            [made] = keys.network_keys(db, network)
            keys.revoke(db, network, made.id)
        assert console.call("publish_public")["ok"]
        wait_for(lambda: "clé" in state_of(laptop, m["id"])[1], 20, "the refusal of the key")
        assert "révoquée" in state_of(laptop, m["id"])[1]
    finally:
        console.close()


def test_a_send_cut_in_the_middle_leaves_nothing_and_is_sent_again(public, laptop):
    server, caddy = public
    key, _ = make_key(server)
    # a venue photo makes the meeting big enough to be cut well inside its body
    photo = b"\x89PNG\r\n\x1a\n" + os.urandom(400_000)
    proxy = CuttingProxy(caddy.port, limit=120_000)
    m = published_meeting(laptop, proxy.url, key, photo=photo)
    console = LiveClient(laptop.url, "console", {"meeting": m["code"], "key": m["key"]})
    try:
        assert console.call("publish_public")["ok"]
        wait_for(lambda: proxy.cuts >= 1 and "connexion" in state_of(laptop, m["id"])[1], 20, "a cut send")
        assert received(server) == []  # nothing half-visible
        assert state_of(laptop, m["id"])[0] is None
        # the connection is back: kit, which was waiting, sends again and completes
        set_target(laptop, m["network"], caddy.url)
        wait_for(lambda: state_of(laptop, m["id"])[0], 20, "the send once the connection is back")
        url = state_of(laptop, m["id"])[0]
        assert len(received(server)) == 1
        onefile = requests.get(url + ".html", verify=laptop.env["KIT_PUBLISH_CA_FILE"], timeout=10)
        assert onefile.status_code == 200 and "data:image/png;base64," in onefile.text
    finally:
        console.close()
        proxy.close()


def test_a_public_kit_that_fails_gets_a_clear_french_message(laptop):
    with FakeKit(status=500) as broken:
        m = published_meeting(laptop, broken.url, "kitpub_x")
        console = LiveClient(laptop.url, "console", {"meeting": m["code"], "key": m["key"]})
        try:
            assert console.call("publish_public")["ok"]
            # tried PUBLISH_MAX_ATTEMPTS times, then it says so and waits for the button
            wait_for(lambda: "Appuyez" in state_of(laptop, m["id"])[1], 20, "the server's 500")
            assert "problème" in state_of(laptop, m["id"])[1] and len(broken.requests) == 2
            with FakeKit(delay=4, answer={"ok": True, "url": "https://late.example/x"}) as slow:
                set_target(laptop, m["network"], slow.url)
                assert console.call("publish_public")["ok"]
                wait_for(lambda: "à temps" in state_of(laptop, m["id"])[1], 20, "the timeout")
            with FakeKit(status=409, answer={"ok": False, "error": {"code": "newer_format"}}) as old:
                set_target(laptop, m["network"], old.url)
                wait_for(lambda: console.call("publish_public").get("started"), 20, "the sender to be free")
                wait_for(lambda: "plus ancienne" in state_of(laptop, m["id"])[1], 20, "the older kit")
            assert state_of(laptop, m["id"])[0] is None
        finally:
            console.close()


def test_the_public_kit_keeps_its_own_clock(public, laptop):
    """The laptop's clock an hour ahead: its times travel as data; what the public kit records is its own."""
    server, caddy = public
    key, _ = make_key(server)
    m = published_meeting(laptop, caddy.url, key)
    with kit_db(laptop) as db:
        meeting = db.get(Meeting, m["id"])
        meeting.started_at = meeting.started_at + timedelta(hours=1)
        meeting.closed_at = meeting.closed_at + timedelta(hours=1)
        meeting.minutes_updated_at = meeting.minutes_updated_at + timedelta(hours=1)
        db.commit()
    before = time.time()
    console = LiveClient(laptop.url, "console", {"meeting": m["code"], "key": m["key"]})
    try:
        assert console.call("publish_public")["ok"]
        wait_for(lambda: state_of(laptop, m["id"])[0], 20, "the public address")
    finally:
        console.close()
    [row] = read(server, "SELECT published_at, minutes_updated_at FROM meeting WHERE received_from IS NOT NULL")
    for value in row:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert before - 5 <= moment.timestamp() <= time.time() + 5

"""kit behind a real Caddy over HTTPS, as docs/deployment.md sets it up, driven in Chromium.

The Caddyfile is the one in docs/deployment.md, with three changes for a test machine: the site
is localhost on a free port, `tls internal` (Caddy's own local CA) replaces the Let's Encrypt
line, and global options keep Caddy off port 80, its admin port and the system's trust store.
kit runs with the settings the page gives (PROXY_HOPS=1, ALLOWED_HOSTS).

Skipped without caddy (apt-get install caddy), Playwright or Chromium, unless KIT_REQUIRE_CADDY
is set (CI sets it), where a missing caddy fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3

from tests.browser import DESK, PHONE, Room, browser_fixture, expect, join, room_fixture  # noqa: F401  (fixtures)
from tests.server import KitServer, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTED_DOMAIN = "kit.example.org"
DOCUMENTED_UPSTREAM = "127.0.0.1:8000"


def documented_caddyfile() -> str:
    """The Caddyfile of docs/deployment.md (its one ```caddy block)."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```caddy\n(.*?)```", text, re.S)
    return block


def caddy_or_skip() -> str:
    found = shutil.which("caddy")
    if found is None:
        if os.environ.get("KIT_REQUIRE_CADDY"):
            pytest.fail("KIT_REQUIRE_CADDY is set but caddy is missing (apt-get install caddy)")
        pytest.skip("needs Caddy (apt-get install caddy)")
    return found


class Caddy:
    """`caddy run` with the documented Caddyfile made local; `url` is the HTTPS site, `plain_url` a
    second, plain-HTTP site that strips X-Forwarded-Proto (a proxy that does not say the scheme)."""

    def __init__(self, folder: Path, upstream: str) -> None:
        self.folder = folder
        self.port = free_port()
        self.plain_port = free_port()
        self.url = f"https://localhost:{self.port}"
        self.plain_url = f"http://localhost:{self.plain_port}"
        site = documented_caddyfile().replace(DOCUMENTED_DOMAIN, f"localhost:{self.port}")
        site = site.replace(DOCUMENTED_UPSTREAM, upstream)
        site, replaced = re.subn(r"^(\s*)tls \S+$", r"\1tls internal", site, flags=re.M)
        assert replaced == 1, "the documented Caddyfile has one tls line"
        self.config = folder / "Caddyfile"
        self.config.write_text(
            "{\n"
            "\tadmin off\n"
            "\tauto_https disable_redirects\n"
            "\tskip_install_trust\n"
            f"\tstorage file_system {folder / 'data'}\n"
            "}\n\n"
            + site
            + f"\nhttp://localhost:{self.plain_port} {{\n"
            + f"\treverse_proxy {upstream} {{\n\t\theader_up -X-Forwarded-Proto\n\t}}\n}}\n",
            encoding="utf-8",
        )
        self.log = folder / "caddy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, caddy: str, timeout: float = 30) -> None:
        env = {
            **os.environ,
            "HOME": str(self.folder),
            "XDG_DATA_HOME": str(self.folder / "data"),
            "XDG_CONFIG_HOME": str(self.folder / "config"),
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [caddy, "run", "--config", str(self.config), "--adapter", "caddyfile"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"caddy exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(self.url + "/", timeout=2, verify=False).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"caddy did not answer in time: {self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(name="proxied", scope="module")
def proxied_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KitServer, Caddy]]:
    caddy_binary = caddy_or_skip()
    folder = tmp_path_factory.mktemp("caddy")
    server = KitServer(folder / "instance")
    caddy = Caddy(folder, f"127.0.0.1:{server.port}")
    server.env.update(
        {
            "KIT_PUBLIC_URL": caddy.url,
            "KIT_PROXY_HOPS": "1",
            # the documented setting names the domain; here it is localhost (and the test harness's
            # direct address, which KitServer polls to know kit is up)
            "KIT_ALLOWED_HOSTS": '["localhost", "127.0.0.1"]',
        }
    )
    server.start()
    try:
        caddy.start(caddy_binary)
        yield server, caddy
    finally:
        caddy.stop()
        server.stop()


def test_a_short_meeting_through_caddy_over_https(proxied: tuple[KitServer, Caddy], room: Room) -> None:
    server, caddy = proxied
    admin_token = (server.instance / "admin-token").read_text().strip()
    sockets: list[Any] = []
    sent: dict[str, list[str]] = {}

    def watch_sockets(page: Any) -> None:
        def opened(socket: Any) -> None:
            sockets.append(socket)
            frames = sent.setdefault(socket.url, [])
            socket.on("framesent", lambda payload: frames.append(payload if isinstance(payload, str) else ""))

        page.on("websocket", opened)

    # -- the admin link, then a meeting prepared with the admin page's form -----------------------
    desk = room.page(ignore_https_errors=True, **DESK)
    watch_sockets(desk)
    first = desk.goto(f"{caddy.url}/admin?token={admin_token}")
    assert first is not None
    expect(desk.get_by_role("heading", name="Réunions", exact=True)).to_be_visible()
    assert "token=" not in desk.url
    headers = desk.goto(f"{caddy.url}/admin").all_headers()  # type: ignore[union-attr]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert f"wss://localhost:{caddy.port}" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    desk.get_by_label("Modèle", exact=True).select_option("rencontre-mensuelle")
    desk.get_by_label(re.compile("^Titre")).fill("Rencontre derrière Caddy")
    # the form is posted from https://localhost:…: the origin check passes only if kit knows it is https
    desk.get_by_role("button", name="Préparer la réunion").click()
    expect(desk.get_by_role("button", name="Démarrer la réunion")).to_be_visible()
    assert re.fullmatch(rf"{re.escape(caddy.url)}/m/[A-Z0-9]+/console", desk.url), "the key left the address"
    expect(desk.get_by_role("status").first).to_have_text("Connexion établie")
    join_url = desk.get_by_text(re.compile(r"/j/[A-Z0-9]+$")).inner_text().strip()
    assert join_url.startswith(caddy.url + "/j/"), "the links handed out are the public https ones"

    cookies = desk.context.cookies()
    assert cookies and all(cookie["secure"] for cookie in cookies), cookies

    # -- a phone joins over the websocket; the facilitator starts the meeting ---------------------
    phone = room.page(ignore_https_errors=True, **PHONE)
    watch_sockets(phone)
    join(phone, join_url, "Awa Diallo", "CCAS de Vitré")
    desk.get_by_role("button", name="Démarrer la réunion").click()
    expect(phone.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()
    phone.get_by_role("button", name="Je suis là").click()
    expect(phone.get_by_text("Envoyé ✓")).to_be_visible()
    assert all(cookie["secure"] for cookie in phone.context.cookies())

    # both live connections went from polling to a websocket through Caddy, and stayed on it: the
    # client sends "5" (upgrade) on the websocket once the probe came back
    upgraded = [socket for socket in sockets if "transport=websocket" in socket.url]
    assert len(upgraded) >= 2, [socket.url for socket in sockets]
    for socket in upgraded:
        assert socket.url.startswith(f"wss://localhost:{caddy.port}/socket.io/"), socket.url
        assert "5" in sent[socket.url], f"no upgrade on {socket.url}: {sent[socket.url][:5]}"
        assert not socket.is_closed()


def test_a_proxy_that_does_not_say_https_is_taken_for_plain_http(proxied: tuple[KitServer, Caddy]) -> None:
    server, caddy = proxied
    admin_token = (server.instance / "admin-token").read_text().strip()
    browser = requests.Session()
    signed_in = browser.get(f"{caddy.plain_url}/admin", params={"token": admin_token}, allow_redirects=False)
    assert signed_in.status_code == 302
    assert "Secure" not in signed_in.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in signed_in.headers
    created = browser.post(
        f"{caddy.plain_url}/admin/meetings",
        data={"template": "rencontre-mensuelle"},
        headers={"Origin": caddy.plain_url},
        allow_redirects=False,
    )
    assert created.status_code == 303, created.text[:500]


def test_a_host_name_outside_the_list_is_refused(proxied: tuple[KitServer, Caddy]) -> None:
    server, caddy = proxied
    refused = requests.get(f"{server.url}/", headers={"Host": "rebound.evil.example", "Accept-Language": "fr"})
    assert refused.status_code == 400 and "pas servie ici" in refused.text
    handshake = requests.get(
        f"{server.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers={"Host": "evil.example"}
    )
    assert handshake.status_code == 400
    # and a client that writes X-Forwarded-Host itself, through Caddy, does not get past it either
    forged = requests.get(f"{caddy.url}/", headers={"X-Forwarded-Host": "evil.example"}, verify=False)
    assert forged.status_code == 200


urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

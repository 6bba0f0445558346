"""Signing in to a kit on a server, in Debian's Chromium, as a coordinator would: ask for a link,
open it from the email, reach the network's people. axe-core on each new page, on a phone and a
laptop; screenshots in screenshots/accounts-*.png.

Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.browser import Room, browser_fixture, room_fixture  # noqa: F401  (fixtures)
from tests.server import KitServer
from tests.test_browser_pages import axe, checked_page
from tests.test_mail import SmtpServer
from tests.test_screenshots import SHOTS

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SmtpServer, Path]]:
    folder = tmp_path_factory.mktemp("accounts-mail")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    server = SmtpServer(folder, ca).start()
    yield server, folder / "ca.pem"
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mail: tuple[SmtpServer, Path]) -> Iterator[KitServer]:
    smtp, ca_file = mail
    started = KitServer(tmp_path_factory.mktemp("accounts") / "instance")
    started.env.update(
        {
            "KIT_ACCOUNTS": "true",
            "KIT_SMTP_HOST": "127.0.0.1",
            "KIT_SMTP_PORT": str(smtp.port),
            "KIT_SMTP_USER": "kit",
            "KIT_SMTP_PASSWORD": "secret",
            "KIT_SMTP_CA_FILE": str(ca_file),
            "KIT_MAIL_FROM": "kit@reseau.example.org",
        }
    )
    started.kit("user", "add", "--admin", "coordination@reseau.example.org")
    started.start()
    try:
        yield started
    finally:
        started.stop()


def test_a_coordinator_signs_in_from_the_email_and_reaches_the_network(server: KitServer, mail: Any, room: Room):
    smtp, _ = mail
    problems: list[str] = []
    phone = checked_page(room, **PHONE)
    phone.goto(f"{server.url}/sign-in")
    problems += axe(phone, "sign-in")
    phone.screenshot(path=str(SHOTS / "accounts-sign-in-phone.png"), full_page=True)
    before = len(smtp.received())
    phone.get_by_label("Votre adresse e-mail").fill("coordination@reseau.example.org")
    phone.get_by_role("button", name="M'envoyer un lien").click()
    phone.get_by_text("un lien pour vous connecter lui est envoyé").wait_for()
    problems += axe(phone, "sign-in sent")
    phone.screenshot(path=str(SHOTS / "accounts-sign-in-sent-phone.png"), full_page=True)
    deadline = time.monotonic() + 15
    while len(smtp.received()) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    text = smtp.received()[before].get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/sign-in/[A-Za-z0-9_-]+", text)
    assert link, text
    desk = checked_page(room, **DESK)
    desk.goto(f"{server.url}/sign-in")
    desk.screenshot(path=str(SHOTS / "accounts-sign-in-desk.png"), full_page=True)
    desk.goto(link.group(0))
    problems += axe(desk, "sign-in confirm")
    desk.get_by_role("button", name="Se connecter à kit").click()
    desk.get_by_text("Connecté·e : coordination@reseau.example.org").wait_for()
    desk.get_by_text("Créer un réseau").click()
    desk.get_by_label("Nom du réseau").fill("Réseau des conseillers numériques du pays de Fougères")
    desk.get_by_role("button", name="Créer le réseau").click()
    desk.get_by_role("link", name=re.compile("Qui anime")).click()
    desk.get_by_label("Son adresse e-mail").fill("Animatrice.Fougeres@exemple.fr")
    desk.get_by_label("Son rôle").select_option("facilitator")
    desk.get_by_role("button", name="Inviter").click()
    desk.get_by_text("animatrice.fougeres@exemple.fr", exact=True).wait_for()
    problems += axe(desk, "members")
    desk.screenshot(path=str(SHOTS / "accounts-members-desk.png"), full_page=True)
    # the same pages on a co-coordinator's phone: this browser keeps the session
    narrow = desk.context.new_page()
    narrow.set_viewport_size({"width": 360, "height": 640})
    narrow.goto(desk.url)
    narrow.screenshot(path=str(SHOTS / "accounts-members-phone.png"), full_page=True)
    narrow.goto(f"{server.url}/admin")
    narrow.screenshot(path=str(SHOTS / "accounts-admin-phone.png"), full_page=True)
    narrow.close()
    # the phone is not signed in: the same page is refused to it
    assert phone.goto(desk.url).status == 403

    # the network's public page, as a partner opens it from the link the coordinator gives
    desk.get_by_role("link", name="Toutes les réunions").click()
    desk.get_by_role("link", name="Réseau des conseillers numériques du pays de Fougères", exact=True).click()
    public = desk.locator("a[href*='/n/']").first.get_attribute("href")
    assert public
    for label, options in (("phone", PHONE), ("desk", DESK)):
        visitor = checked_page(room, **options)
        visitor.goto(public)
        visitor.get_by_role("heading", name="Prochaine rencontre").wait_for()
        problems += axe(visitor, f"network public page ({label})")
        visitor.screenshot(path=str(SHOTS / f"accounts-network-public-{label}.png"), full_page=True)
    assert not problems, "\n".join(problems)

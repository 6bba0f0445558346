"""A participant deletes what they sent, in Chromium: from the phone's list during the meeting (one
button, one plain question), and from their personal link after it. Screenshots at 360×640."""

from __future__ import annotations

import re

import pytest

from tests.browser import PHONE, SCREEN, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401
from tests.server import KitServer, LiveClient

pytestmark = pytest.mark.e2e


def test_a_participant_deletes_from_the_phone_then_from_the_personal_link(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion sans regret")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        screen = room.page(**SCREEN)
        screen.goto(f"{server.url}/m/{links.code}/screen?key={links.screen_key}")
        phone = room.page(**PHONE)
        join(phone, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        expect(phone.get_by_role("heading", name="Idées")).to_be_visible()
        for text in ("Mon voisin ne sait pas lire", "Un atelier sur les arnaques"):
            phone.locator("textarea").first.fill(text)
            phone.get_by_role("button", name=re.compile("Envoyer")).first.click()
            expect(phone.locator("#mine-list")).to_contain_text(text)
        expect(screen.locator("#stage")).to_contain_text("Mon voisin ne sait pas lire")

        first = phone.locator("#mine-list li").filter(has_text="Mon voisin ne sait pas lire")
        first.get_by_role("button", name="Supprimer").click()
        expect(first).to_contain_text("Supprimer pour de bon ?")
        shoot(phone, "phone-delete-question")
        # "no" keeps it
        first.get_by_role("button", name="Non, garder").click()
        expect(phone.locator("#mine-list")).to_contain_text("Mon voisin ne sait pas lire")
        first = phone.locator("#mine-list li").filter(has_text="Mon voisin ne sait pas lire")
        first.get_by_role("button", name="Supprimer").click()
        first.get_by_role("button", name="Oui, supprimer").click()
        expect(phone.locator("#mine-list")).not_to_contain_text("Mon voisin ne sait pas lire")
        expect(phone.locator("#mine-list")).to_contain_text("Supprimé")
        expect(screen.locator("#stage")).not_to_contain_text("Mon voisin ne sait pas lire")
        expect(screen.locator("#stage")).to_contain_text("Un atelier sur les arnaques")

        # after the meeting: the personal link the phone shows
        assert console.call("close")["ok"] and console.call("publish")["ok"]
        phone.get_by_role("link", name=re.compile("Ce que vous avez envoyé")).click()
        expect(phone.get_by_role("heading", name="Ce que vous avez envoyé")).to_be_visible()
        personal = phone.url
        shoot(phone, "phone-mine-page", full_page=True)
        phone.get_by_role("link", name=re.compile("^Supprimer")).first.click()
        expect(phone.get_by_role("heading", name="Supprimer ce que vous avez envoyé ?")).to_be_visible()
        expect(phone.locator("blockquote")).to_have_text("Un atelier sur les arnaques")
        shoot(phone, "phone-mine-confirm")
        phone.get_by_role("button", name="Oui, supprimer").click()
        expect(phone.get_by_role("status")).to_contain_text("Supprimé.")
        assert phone.url.startswith(personal)
        minutes = room.page(**PHONE)
        minutes.goto(server.url + (phone.get_by_role("link", name="Lire le compte rendu").get_attribute("href") or ""))
        body = minutes.locator("main")
        expect(body).not_to_contain_text("Un atelier sur les arnaques")
        expect(body).not_to_contain_text("Mon voisin ne sait pas lire")
        expect(body).to_contain_text("2 contributions ont été retirées")
    finally:
        console.close()

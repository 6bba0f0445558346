"""The room's controls in real Chromium: the facilitator moves on while phones are typing (nothing
typed is lost, nothing lands in a step its writer did not see), the screen showing only what the
facilitator picked (1920×1080), sending without a name, then names required again; a step
longer than the screen paging through by itself; phones hearing the meeting's end once.

Screenshots go to screenshots/ (browser-room-*.png). Skipped without Playwright and
/usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import requests

from tests.browser import DESK, PHONE, SCREEN, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.server import KitServer, LiveClient, MeetingLinks, Phone

pytestmark = pytest.mark.e2e


def exported(server: KitServer, links: MeetingLinks) -> list[dict[str, str]]:
    """The meeting's CSV export, as rows by column name: where each contribution landed."""
    answer = requests.get(f"{server.url}/m/{links.code}/export.csv", params={"key": links.console_key}, timeout=10)
    answer.raise_for_status()
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_facilitator_moves_on_while_phones_are_typing(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion qui avance")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        awa = room.page(**PHONE)
        bruno = room.page(**PHONE)
        join(awa, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        join(bruno, f"{server.url}/j/{links.code}", "Bruno Le Gall", "Médiathèque")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        for phone in (awa, bruno):
            expect(phone.get_by_role("heading", name="Idées")).to_be_visible()

        # Awa is typing; Bruno has lost the network and pressed Send: his text waits in the outbox
        awa.get_by_label("Votre contribution").click()
        awa.get_by_label("Votre contribution").press_sequentially("Une idée pour les ateliers")
        bruno.context.set_offline(True)
        bruno.get_by_label("Votre contribution").fill("Écrit sans réseau pour Idées")
        bruno.get_by_role("button", name="Envoyer", exact=True).click()
        expect(bruno.get_by_text("Pas encore envoyé : en attente de la connexion…").first).to_be_visible()

        # the facilitator moves on
        assert console.call("next")["ok"]
        expect(awa.get_by_role("heading", name="Évaluation")).to_be_visible()
        kept = awa.get_by_role("region", name="Gardé pour vous : pas envoyé")
        expect(kept).to_contain_text("Une idée pour les ateliers")
        expect(kept).to_contain_text("pendant que vous écriviez")
        expect(kept).to_contain_text("« Idées »")
        assert awa.evaluate("document.documentElement.scrollWidth") <= 360, "the phone page scrolls sideways"
        shoot(awa, "room-moved-on-kept", full_page=True)

        # Bruno's phone comes back: behind, it is told, resynchronised, and his text is kept
        bruno.context.set_offline(False)
        expect(bruno.get_by_role("heading", name="Évaluation")).to_be_visible(timeout=15_000)
        bruno_kept = bruno.get_by_role("region", name="Gardé pour vous : pas envoyé")
        expect(bruno_kept).to_contain_text("Écrit sans réseau pour Idées", timeout=15_000)
        expect(bruno_kept).to_contain_text("était passée à une autre étape")
        shoot(bruno, "room-stale-kept", full_page=True)
        assert exported(server, links) == [], "nothing landed in a step its writer did not see"

        # Awa puts her text back in the field of the step on screen, and sends it there, knowingly
        kept.get_by_role("button", name="Le remettre dans le champ").click()
        expect(awa.get_by_label("Votre contribution")).to_have_value("Une idée pour les ateliers")
        expect(kept).to_be_hidden()
        awa.get_by_role("button", name="Envoyer", exact=True).click()
        expect(awa.get_by_text("Envoyé ✓")).to_be_visible()
        # Bruno removes his (he will write it again); back on Idées, nothing is offered twice
        bruno_kept.get_by_role("button", name="L'effacer").click()
        expect(bruno_kept).to_be_hidden()
        rows = exported(server, links)
        assert [(r["Étape"], r["Auteur"], r["Texte"]) for r in rows] == [
            ("Évaluation", "Awa Diallo", "Une idée pour les ateliers")
        ]
        assert console.call("previous")["ok"]
        expect(awa.get_by_role("heading", name="Idées")).to_be_visible()
        expect(awa.get_by_label("Votre contribution")).to_have_value("")
    finally:
        console.close()


def test_the_screen_shows_only_what_the_facilitator_picked(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion choisie")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        screen = room.page(**SCREEN)
        screen.goto(f"{server.url}/m/{links.code}/screen?key={links.screen_key}")
        desk = room.page(**DESK)
        desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
        phone = room.page(**PHONE)
        join(phone, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        ideas = [f"Idée numéro {n} : un atelier" for n in range(1, 6)]
        for idea in ideas:
            phone.get_by_label("Votre contribution").fill(idea)
            phone.get_by_role("button", name="Envoyer", exact=True).click()
            expect(phone.get_by_text("Envoyé ✓")).to_be_visible()
        for idea in ideas:
            expect(screen.get_by_text(idea)).to_be_visible()

        for idea in (ideas[1], ideas[3]):
            card = desk.get_by_role("listitem").filter(has_text=idea)
            card.get_by_text("Plus").click()  # picking waits under "Plus" until only picks are shown
            card.get_by_role("button", name="Choisir pour l'écran").click()
            expect(card.get_by_role("button", name="Choisi pour l'écran")).to_have_attribute("aria-pressed", "true")
        desk.locator("#fold-room > summary").click()  # the room's controls are folded until needed
        desk.get_by_role("button", name="Ne montrer à l'écran que mes choix").click()
        expect(desk.get_by_text("écran : vos choix seulement")).to_be_visible()
        expect(screen.get_by_text(ideas[0])).to_be_hidden()
        expect(screen.get_by_text(ideas[1])).to_be_visible()
        expect(screen.get_by_text(ideas[3])).to_be_visible()
        expect(screen.locator("[data-items] > li")).to_have_count(2)
        shoot(screen, "room-picked-only-screen")
        shoot(desk, "room-picked-only-console", full_page=True)

        # something new reaches the console, not the screen
        phone.get_by_label("Votre contribution").fill("Arrivée pendant le mode choisi")
        phone.get_by_role("button", name="Envoyer", exact=True).click()
        expect(desk.locator(".card-text", has_text="Arrivée pendant le mode choisi")).to_be_visible()
        expect(screen.get_by_text("Arrivée pendant le mode choisi")).to_be_hidden()

        desk.get_by_role("button", name="Tout montrer à l'écran").click()
        expect(screen.get_by_text("Arrivée pendant le mode choisi")).to_be_visible()
        expect(screen.locator("[data-items] > li")).to_have_count(6)
    finally:
        console.close()


def test_sending_without_a_name_then_names_required_again(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion sans nom")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        screen = room.page(**SCREEN)
        screen.goto(f"{server.url}/m/{links.code}/screen?key={links.screen_key}")
        desk = room.page(**DESK)
        desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
        desk.locator("#fold-room > summary").click()
        desk.get_by_role("button", name="Autoriser l'envoi sans nom").click()
        expect(desk.get_by_text("envoi sans nom autorisé")).to_be_visible()

        phone = room.page(**PHONE)
        phone.goto(f"{server.url}/j/{links.code}")
        expect(phone.get_by_text("(facultatif)").first).to_be_visible()
        phone.get_by_role("button", name="Rejoindre la réunion").click()
        expect(phone.get_by_role("status").first).to_have_text("Connexion établie")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        phone.get_by_label("Votre contribution").fill("Sans mon nom")
        phone.get_by_role("button", name="Envoyer", exact=True).click()
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible()
        card = screen.get_by_role("listitem").filter(has_text="Sans mon nom")
        expect(card).to_contain_text("Anonyme")
        shoot(screen, "room-anonymous-screen")

        desk.locator("#fold-room > summary").click()  # folded again on the new step
        desk.get_by_role("button", name="Demander son nom à chacun").click()
        name_form = phone.locator("#name-form")
        expect(name_form).to_be_visible()
        expect(name_form).to_contain_text("demande à chacun de donner son nom")
        phone.get_by_label("Votre contribution").fill("Avec mon nom, bientôt")
        phone.get_by_role("button", name="Envoyer", exact=True).click()
        expect(phone.get_by_text(re.compile("Donnez le vôtre")).first).to_be_visible()
        shoot(phone, "room-name-asked", full_page=True)
        phone.get_by_label("Nom affiché avec vos envois").fill("Chloé Martin")
        phone.get_by_role("button", name="Donner mon nom").click()
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible()
        expect(name_form).to_be_hidden()
        expect(screen.get_by_role("listitem").filter(has_text="Avec mon nom, bientôt")).to_contain_text("Chloé Martin")
    finally:
        console.close()


def test_a_step_longer_than_the_screen_pages_through_by_itself(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion très bavarde")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    awa = Phone(server.url, links.code, "Awa Diallo")
    try:
        screen = room.page(**SCREEN)
        screen.goto(f"{server.url}/m/{links.code}/screen?key={links.screen_key}")
        assert console.call("start")["ok"]
        board = console.call("next")["current_step_id"]
        expect(screen.get_by_role("heading", name="Idées")).to_be_visible()
        expect(screen.locator("#screen-page")).to_be_hidden()  # a step that fits does not move
        deadline = time.monotonic() + 30
        for n in range(1, 19):
            text = f"Idée {n} : " + "un atelier de découverte pour les familles, le samedi matin. " * 2
            awa.send_until_acked(f"long-{n}", board, text.strip(), deadline)
        expect(screen.get_by_text(re.compile("^Idée 18 :"))).to_be_attached()
        page_number = screen.locator("#screen-page")
        expect(page_number).to_have_text(re.compile(r"^1 / [2-9]$"))
        shoot(screen, "room-long-step-page-1")

        # quicker pages for the test (8 s and more each in the room): the next page shows other cards
        first = screen.locator(".card:visible").first.text_content()
        screen.evaluate("document.body.setAttribute('data-page-seconds', '1')")
        expect(page_number).to_have_text(re.compile(r"^2 / [2-9]$"), timeout=15_000)
        assert screen.locator(".card:visible").first.text_content() != first
        expect(screen.get_by_role("heading", name="Idées")).to_be_in_viewport()  # the title stays on top
        expect(screen.get_by_text(re.compile("^Idée 18 :"))).to_be_in_viewport(ratio=1, timeout=15_000)
        shoot(screen, "room-long-step-last-page")
        expect(page_number).to_have_text(re.compile(r"^1 / "), timeout=15_000)  # then back to the first
        assert screen.evaluate("window.scrollY") == 0, "pages are shown, never scrolled to"
        # a new step starts at its first page
        screen.evaluate("document.body.setAttribute('data-page-seconds', '60')")
        screen.keyboard.press("PageDown")
        expect(page_number).to_have_text(re.compile(r"^2 / "))
        assert console.call("next")["ok"]
        expect(screen.get_by_role("heading", name="Évaluation")).to_be_visible()
        expect(page_number).to_be_hidden()
    finally:
        awa.close()
        console.close()


def test_phones_hear_the_end_of_the_meeting_once(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion qui finit")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        phone = room.page(**PHONE)
        join(phone, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        assert console.call("start")["ok"]
        expect(phone.get_by_role("heading", name="Accueil")).to_be_visible()
        announced = phone.locator("#announce")
        assert console.call("close")["ok"]
        expect(phone.get_by_role("heading", name="Merci !")).to_be_visible()
        expect(announced).to_have_text("Merci !")
        assert console.call("publish")["ok"]
        expect(phone.get_by_role("link", name="Lire le compte rendu")).to_be_visible()
        # the end is not announced a second time: only that the minutes are out
        expect(announced).to_have_text("Le compte rendu est publié.")
    finally:
        console.close()

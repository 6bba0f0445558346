"""The facilitator's console in real Chromium, as it is used during a busy step: on a laptop
(1440×900) what arrives is in view at the top, its main action works, the people who join are
listed as they come, "En bref" is saved; and a co-facilitator's phone (390×844) shows the same.
axe-core finds nothing to fix. Screenshots go to screenshots/ (browser-console-*.png).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from tests.browser import Room, browser_fixture, expect, room_fixture, server_fixture, shoot  # noqa: F401
from tests.server import KitServer, LiveClient, Phone, wait_for
from tests.test_browser_pages import SMALL_TARGETS, axe, checked_page
from tests.test_screenshots import SHOTS

pytestmark = pytest.mark.e2e

LAPTOP = {"viewport": {"width": 1440, "height": 900}}
CO_FACILITATOR = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

NAMES = [
    "Awa Diallo",
    "Bruno Lefèvre",
    "Céline Rousseau",
    "Élodie Marchand",
    "François Nguyen",
    "Gaëlle Le Goff",
    "Hélène Moreau",
    "Ibrahim Benali",
    "Jérôme Petitjean",
    "Karima Haddad",
    "Loïc Guillou",
    "Zoé Tanguy",
]

IDEAS = [
    "Organiser un atelier « arnaques au téléphone » avec le club des aînés de la médiathèque, un jeudi "
    "sur deux, en partant des vrais SMS que les gens reçoivent.",
    "Créer une fiche commune pour accompagner les démarches CAF : ce qu'il faut apporter, les pièges de "
    "l'espace personnel, et à qui passer la main quand c'est trop compliqué.",
    "Mutualiser les prêts de tablettes entre les trois structures du territoire, avec un calendrier partagé "
    "et une personne référente par lieu.",
    "Proposer une permanence « Pronote et ENT » à la rentrée, pour les parents qui n'osent pas demander à "
    "l'école ; prévoir une traduction en arabe et en turc.",
    "Faire une carte des lieux où l'on peut imprimer gratuitement un document administratif, mise à jour "
    "chaque trimestre.",
    "Tester le jeu de cartes « Les Bons Clics » avec un groupe d'allocataires du RSA avant de le proposer "
    "à tout le réseau.",
]


def idea(number: int) -> str:
    return f"{IDEAS[number % len(IDEAS)]} (proposition n° {number + 1})"


def test_the_console_shows_what_arrives_first_and_its_main_action_works(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Rencontre du réseau de Vitré — novembre")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    phones: list[Phone] = []
    desk = checked_page(room, **LAPTOP)
    try:
        desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
        expect(desk.get_by_role("button", name="Démarrer la réunion")).to_be_visible()
        desk.get_by_text("Personnes présentes").click()

        # the people present are listed as their phones join, without reloading the console
        for name in NAMES:
            phones.append(Phone(server.url, links.code, name))
        for name in ("Awa Diallo", "Élodie Marchand", "Zoé Tanguy"):
            expect(desk.locator("#console-people .person-name").get_by_text(name, exact=True)).to_be_visible()
        expect(desk.locator("#console-people li")).to_have_count(len(NAMES))
        expect(desk.locator(".console-fold.people summary")).to_contain_text(str(len(NAMES)))

        # the next-step button says where it goes
        desk.get_by_role("button", name="Démarrer la réunion").click()
        expect(desk.get_by_role("button", name="Suivant : Idées →")).to_be_visible()
        desk.get_by_role("button", name="Suivant : Idées →").click()
        expect(desk.get_by_role("heading", name="Idées", exact=True)).to_be_visible()
        expect(desk.get_by_role("button", name="Suivant : Évaluation →")).to_be_visible()

        # the first contribution of the step is in view without scrolling, and its main action works
        step_id = console.call("sync")["snapshot"]["step"]["id"]
        phones[0].send_until_acked("idee-0", step_id, idea(0), deadline=_soon())
        first = desk.locator("li.card").filter(has_text="proposition n° 1)")
        expect(first).to_be_in_viewport()
        first.get_by_role("button", name="Marquer comme décision").click()
        expect(first.get_by_role("button", name="Décision", exact=True)).to_have_attribute("aria-pressed", "true")

        # thirty more arrive; the rest of an item's actions wait under "Plus"
        for number in range(1, 32):
            phones[number % len(phones)].send_until_acked(f"idee-{number}", step_id, idea(number), deadline=_soon())
        expect(desk.locator("li.card")).to_have_count(32)
        expect(first).to_be_in_viewport()
        desk.screenshot(path=SHOTS / "browser-console-laptop-busy.png")
        second = desk.locator("li.card").filter(has_text="proposition n° 2)")
        second.locator(".item-menu > summary").click()
        expect(second.get_by_role("button", name="Masquer")).to_be_visible()
        second.locator(".item-menu > summary").click()

        # "En bref": two lines for the top of the minutes, saved with a word to say so
        desk.get_by_text("En bref").first.click()
        desk.get_by_label("Cette étape en deux lignes, en haut du compte rendu").fill(
            "Trente idées ; on retient l'atelier « arnaques » du jeudi et la fiche CAF commune."
        )
        desk.get_by_role("button", name="Enregistrer le résumé").click()
        expect(desk.get_by_text("Enregistré ✓")).to_be_visible()
        wait_for(lambda: "fiche CAF commune" in _draft(server, links), what="the summary in the draft minutes")

        shoot(desk, "console-laptop")
        desk.screenshot(path=SHOTS / "browser-console-laptop-in-brief.png")
        small = desk.evaluate(SMALL_TARGETS)
        assert not small, small
        problems = axe(desk, "console, a busy step")

        # the room's controls and the steps are folded until needed, and open with the keyboard
        room_fold = desk.locator("#fold-room")
        expect(room_fold.get_by_role("button", name="Fermer les arrivées")).to_be_hidden()
        room_fold.locator("> summary").focus()
        desk.keyboard.press("Enter")
        expect(room_fold.get_by_role("button", name="Fermer les arrivées")).to_be_visible()
        desk.locator("#fold-steps > summary").click()
        expect(desk.get_by_role("button", name="Afficher Évaluation")).to_be_visible()
        problems += axe(desk, "console, its tools open")
        desk.screenshot(path=SHOTS / "browser-console-laptop-tools-open.png")

        # a co-facilitator follows on a phone
        phone_desk = checked_page(room, **CO_FACILITATOR)
        phone_desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
        expect(phone_desk.get_by_role("button", name="Suivant : Évaluation →")).to_be_visible()
        expect(phone_desk.get_by_role("button", name="Décision", exact=True)).to_be_visible()
        width = phone_desk.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the console is {width} px wide on a 390 px phone"
        shoot(phone_desk, "console-phone")
        phone_desk.screenshot(path=SHOTS / "browser-console-phone-whole.png", full_page=True)
        small = phone_desk.evaluate(SMALL_TARGETS)
        assert not small, small
        problems += axe(phone_desk, "console on a phone")
        assert not problems, "\n".join(problems)

        # at the last step, the main button says what will happen
        phone_desk.get_by_role("button", name="Suivant : Évaluation →").click()
        expect(desk.get_by_role("button", name="Terminer la réunion")).to_be_visible()
        expect(desk.get_by_text(re.compile("C'est la dernière étape"))).to_be_visible()

        # removing someone from the list asks first, naming them: the list holds the question
        # once, and the console puts in the name of the line clicked
        questions: list[str] = []
        desk.on("dialog", lambda dialog: questions.append(dialog.message))
        if not desk.locator("#fold-people").evaluate("fold => fold.open"):
            desk.locator("#fold-people > summary").click()
        desk.get_by_role("button", name="Retirer Zoé Tanguy").click()
        zoe = desk.locator("#console-people li").filter(has_text="Zoé Tanguy")
        expect(zoe.locator(".badge.warn")).to_have_text("retiré")
        assert len(questions) == 1 and questions[0].startswith("Retirer Zoé Tanguy de la réunion"), questions
        assert "{name}" not in questions[0]
        desk.locator("#fold-people").screenshot(path=SHOTS / "browser-console-people.png")
        expect(desk.locator("#console-people li").filter(has_text="Awa Diallo").locator(".badge.ok")).to_have_text(
            "en ligne"
        )
    finally:
        for client in (console, *phones):
            client.close()


def _soon() -> float:
    return time.monotonic() + 10


def _draft(server: KitServer, links: Any) -> str:
    url = f"{server.url}/m/{links.code}/minutes/draft.md?key={links.console_key}"
    return requests.get(url, timeout=5).text


def test_a_cards_menu_is_drawn_when_opened_and_a_redraw_keeps_what_was_typed_in_it(
    server: KitServer, room: Room
) -> None:
    """The cards come without their forms; "Plus" asks the server for them. While the facilitator
    rewords a card, another console's moderation redraws this one: the menu, the open "Modifier",
    the words typed and the caret come back, and typing goes on."""
    links = server.new_meeting("Rencontre du réseau de Fougères")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    phone = Phone(server.url, links.code, "Awa Diallo")
    desk = checked_page(room, **LAPTOP)
    try:
        assert console.call("start")["ok"] and console.call("next")["ok"]
        step_id = console.call("sync")["snapshot"]["step"]["id"]
        ids = [phone.send_until_acked(f"m-{n}", step_id, idea(n), deadline=_soon()) for n in range(6)]
        desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
        expect(desk.locator("li.card")).to_have_count(6)
        assert desk.locator("li.card form").count() == 0, "no card carries its forms"

        card = desk.locator("li.card").filter(has_text="proposition n° 3)")
        card.locator(".item-menu > summary").click()
        card.get_by_text("Modifier", exact=True).click()
        field = card.get_by_label("Nouvelle formulation")
        expect(field).to_have_value(idea(2))
        field.press("Control+End")
        desk.keyboard.type(" Relu en réunion.")
        desk.screenshot(path=SHOTS / "browser-console-item-menu.png")

        # another console hides the first card: this console is drawn again, whole
        assert console.call("moderate", {"action": "hide", "id": ids[0]})["ok"]
        expect(desk.locator("li.card.is-hidden")).to_have_count(1)
        expect(field).to_have_value(f"{idea(2)} Relu en réunion.")
        expect(field).to_be_focused()
        desk.keyboard.type(" À garder.")
        expect(field).to_have_value(f"{idea(2)} Relu en réunion. À garder.")
        card.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(card.locator(".card-text")).to_have_text(f"{idea(2)} Relu en réunion. À garder.")
        assert desk.locator(".item-menu-body[data-filled]").count() <= 1, "only the menu reopened was drawn"
    finally:
        for client in (console, phone):
            client.close()

"""A whole monthly meeting as people live it, in real Chromium: the facilitator prepares it on the
admin page and drives it from the console, the room watches the projected screen (1920×1080),
and three people take part from their phones (360×640, touch; two in French, one in English).
Everything is done by clicking and typing, found by role and label as a person finds it.

Also here: a phone that loses the network while sending, a phone on slow 3G, and a watch on every
request, so that no page ever asks anything of another machine. Screenshots go to screenshots/
(browser-*.png). Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser import DESK, PHONE, SCREEN, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.server import KitServer, LiveClient, wait_for

pytestmark = pytest.mark.e2e


def test_a_whole_monthly_meeting(server: KitServer, room: Room) -> None:
    started = time.monotonic()
    admin_token = (server.instance / "admin-token").read_text().strip()

    # -- the facilitator prepares the meeting on the admin page ---------------------------------
    desk = room.page(**DESK)
    desk.goto(f"{server.url}/admin?token={admin_token}")
    expect(desk.get_by_role("heading", name="Réunions", exact=True)).to_be_visible()
    desk.get_by_label("Modèle", exact=True).select_option("rencontre-mensuelle")
    desk.get_by_label(re.compile("^Titre")).fill("Rencontre de novembre")
    desk.get_by_label(re.compile("^Date")).fill("2026-11-26")
    desk.get_by_label(re.compile("^Lieu")).fill("Médiathèque de Vitré")
    desk.get_by_role("button", name="Préparer la réunion").click()
    expect(desk.get_by_role("button", name="Démarrer la réunion")).to_be_visible()
    console_url = desk.url
    screen_url = desk.get_by_role("link", name="Ouvrir l'écran à projeter").get_attribute("href")
    join_url = desk.get_by_text(re.compile(r"/j/[A-Z0-9]+$")).inner_text().strip()
    assert join_url.startswith(server.url + "/j/")

    # the meeting is listed with its date written the French way
    desk.goto(f"{server.url}/admin")
    meeting_row = desk.get_by_role("listitem").filter(has_text="Rencontre de novembre")
    expect(meeting_row).to_contain_text("26 novembre 2026")
    expect(meeting_row).to_contain_text("En préparation")
    shoot(desk, "admin", full_page=True)
    desk.goto(console_url)

    # -- the screen is projected; three people join from their phones ----------------------------
    screen = room.page(**SCREEN)
    screen.goto(f"{server.url}{screen_url}" if screen_url.startswith("/") else screen_url)
    expect(screen.get_by_role("heading", name="Rencontre de novembre")).to_be_visible()
    expect(screen.get_by_text(re.compile("^Scannez le code avec votre téléphone"))).to_be_visible()

    awa = room.page(**PHONE)
    sam = room.page(locale="en-GB", **PHONE)
    lea = room.page(**PHONE)
    join(awa, join_url, "Awa Diallo", "CCAS de Vitré")
    join(sam, join_url, "Sam Taylor", "Espace numérique", english=True)
    join(lea, join_url, "Léa Martin", "Médiathèque")
    expect(screen.get_by_text(re.compile(r"^3$"))).to_be_visible(timeout=5000)
    expect(desk.get_by_text(re.compile("^3$")).first).to_be_visible()
    shoot(screen, "meeting-0-welcome-screen")
    shoot(sam, "meeting-0-welcome-phone-en")
    phones = (awa, sam, lea)

    def step_everywhere(title: str, number: int) -> None:
        expect(screen.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(desk.get_by_role("heading", name=title, exact=True)).to_be_visible()
        for phone in phones:
            expect(phone.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(awa.get_by_text(f"Étape {number} sur 5")).to_be_visible()
        expect(sam.get_by_text(f"Step {number} of 5")).to_be_visible()

    # -- 1. check-in: who is here, what they can share -------------------------------------------
    desk.get_by_role("button", name="Démarrer la réunion").click()
    step_everywhere("Accueil", 1)
    expect(awa.get_by_label("Votre nom")).to_have_value("Awa Diallo")  # filled in from joining
    awa.locator("summary", has_text="modifier").click()  # the rest of the check-in is folded
    awa.get_by_label(re.compile("^Votre fonction")).fill("Conseillère numérique")
    awa.get_by_role("group", name=re.compile("pouvez partager")).get_by_label("Sécurité et arnaques").check()
    awa.get_by_role("button", name="Je suis là").click()
    expect(awa.get_by_text("Envoyé ✓")).to_be_visible()
    sam.get_by_text("I am looking for", exact=True).click()  # one list of skills at a time
    sam.get_by_role("group", name=re.compile("you are looking for")).get_by_label(
        "Démarches en ligne (CAF, ANTS, impôts)"
    ).check()
    sam.get_by_role("button", name="I am here").click()
    expect(sam.get_by_text("Sent ✓")).to_be_visible()
    lea.get_by_role("button", name="Je suis là").click()
    expect(lea.get_by_text("Envoyé ✓")).to_be_visible()
    attendance = screen.get_by_role("list").filter(has_text="Awa Diallo")
    for name in ("Awa Diallo", "Sam Taylor", "Léa Martin"):
        expect(attendance).to_contain_text(name)
    expect(screen.get_by_text("Conseillère numérique")).to_be_visible()
    expect(screen.get_by_text(re.compile("Sécurité et arnaques"))).to_be_visible()
    shoot(screen, "meeting-1-checkin-screen")

    # -- 2. news: a proposal from a phone, accepted by the facilitator ------------------------------
    desk.get_by_role("button", name=re.compile("^Suivant : ")).click()
    step_everywhere("Point d'actualité", 2)
    awa.get_by_label("Type").select_option(label="Événement")
    awa.get_by_label("De quoi s'agit-il ?").fill("Forum de l'emploi numérique")
    awa.get_by_label(re.compile("^Date de l'événement")).fill("2027-02-04")
    awa.get_by_role("button", name="Envoyer", exact=True).click()
    expect(awa.get_by_text("Envoyé ✓")).to_be_visible()
    proposal = desk.get_by_role("listitem").filter(has_text="Forum de l'emploi numérique")
    proposal.get_by_role("button", name="Accepter").click()
    expect(screen.get_by_text("Forum de l'emploi numérique").first).to_be_visible()
    expect(screen.get_by_role("complementary", name="Dates et échéances")).to_contain_text("4 février 2027")
    expect(screen.get_by_text("18 décembre 2026").first).to_be_visible()  # the template's deadline
    shoot(screen, "meeting-2-news-screen")
    shoot(awa, "meeting-2-news-phone", full_page=True)

    # -- 3. needs, and "Moi aussi" -----------------------------------------------------------------
    desk.get_by_role("button", name=re.compile("^Suivant : ")).click()
    step_everywhere("Recensement des besoins", 3)
    awa.get_by_label("Votre besoin ou votre question").fill("Un tutoriel pour Pronote")
    awa.get_by_role("button", name="Envoyer", exact=True).click()
    sam.get_by_label("Your need or question").fill("Help with the CAF website")
    sam.get_by_role("button", name="Send", exact=True).click()
    expect(sam.get_by_text("Sent ✓")).to_be_visible()
    sam.get_by_role("button", name=re.compile("^Me too.*Pronote")).click()
    lea.get_by_role("button", name=re.compile("^Moi aussi.*Pronote")).click()
    expect(lea.get_by_role("button", name=re.compile("^Soutenu.*Pronote"))).to_have_attribute("aria-pressed", "true")
    needs_on_screen = screen.get_by_role("list").filter(has_text="Pronote")
    expect(needs_on_screen.get_by_role("listitem").first).to_contain_text("Pronote")
    expect(needs_on_screen.get_by_role("listitem").first).to_contain_text(re.compile(r"2\s*▲"))
    expect(needs_on_screen.get_by_role("listitem").nth(1)).to_contain_text("CAF")
    desk.get_by_role("listitem").filter(has_text="Un tutoriel pour Pronote").get_by_role(
        "button", name=re.compile("Répondre maintenant")
    ).click()
    expect(screen.get_by_text(re.compile(r"^[45]:\d\d$"))).to_be_visible()
    expect(awa.get_by_text("en cours de réponse")).to_be_visible()
    shoot(screen, "meeting-3-needs-screen")
    shoot(lea, "meeting-3-needs-phone", full_page=True)
    shoot(desk, "meeting-3-needs-console", full_page=True)

    # -- 4. practice sharing --------------------------------------------------------------------
    desk.get_by_role("button", name=re.compile("^Suivant : ")).click()
    step_everywhere("Animation thématique : partage de pratiques", 4)
    lea.get_by_label(re.compile("^La pratique en quelques mots")).fill("Un atelier « arnaques » en jouant")
    lea.get_by_label(re.compile("^Contexte")).fill("Club seniors, dix personnes")
    lea.get_by_label(re.compile("^Ce que nous avons fait")).fill("Un quiz avec de vrais SMS")
    lea.get_by_role("button", name="Envoyer", exact=True).click()
    expect(lea.get_by_text("Envoyé ✓")).to_be_visible()
    sam.get_by_label(re.compile("^The practice in a few words")).fill("Coffee and questions")
    sam.get_by_role("button", name="Send", exact=True).click()
    expect(screen.get_by_text("Un atelier « arnaques » en jouant")).to_be_visible()
    expect(screen.get_by_text("Un quiz avec de vrais SMS")).to_be_visible()
    expect(screen.get_by_text("Coffee and questions")).to_be_visible()
    shoot(screen, "meeting-4-practice-screen")

    # -- 5. the evaluation poll -----------------------------------------------------------------
    desk.get_by_role("button", name=re.compile("^Suivant : ")).click()
    step_everywhere("Évaluation", 5)
    for phone, mark, words in ((awa, "5", "convivial, utile"), (sam, "4", "useful"), (lea, "5", "convivial")):
        phone.get_by_role("radio", name=mark, exact=True).check()
        phone.get_by_label(re.compile("En un mot ou deux")).fill(words)
        english = phone is sam
        phone.get_by_role("button", name="Send my answers" if english else "Envoyer mes réponses").click()
        expect(phone.get_by_text("Sent ✓" if english else "Envoyé ✓")).to_be_visible()
    expect(screen.get_by_text("3 réponses").first).to_be_visible()
    expect(screen.get_by_text(re.compile(r"moyenne 4,7"))).to_be_visible()
    convivial = screen.locator(".cloud li", has_text="convivial")  # one word, said by two people
    expect(convivial).to_be_visible()
    expect(convivial.locator(".word-count")).to_have_text("2")
    shoot(screen, "meeting-5-poll-screen")
    shoot(awa, "meeting-5-poll-phone", full_page=True)

    # -- the end: close, publish, read the minutes from a phone --------------------------------------
    desk.get_by_role("button", name="Terminer la réunion").click()  # the confirmation is accepted
    desk.get_by_role("button", name="Publier le compte rendu").click()
    expect(desk.get_by_role("link", name="Ouvrir le compte rendu publié")).to_be_visible()
    expect(screen.get_by_text("Merci à toutes et à tous ! La réunion est terminée.")).to_be_visible()
    expect(sam.get_by_role("heading", name="Thank you!")).to_be_visible()
    # and a screen reader hears it: the phone's live region said the end at the close, then (once,
    # not the end again) that the minutes are out
    expect(sam.get_by_text("The minutes are published.", exact=True)).to_have_attribute("aria-live", "polite")
    awa.get_by_role("link", name="Lire le compte rendu").click()
    expect(awa.get_by_role("heading", name=re.compile("Rencontre de novembre")).first).to_be_visible()
    for text in ("Awa Diallo", "Sam Taylor", "Un tutoriel pour Pronote", "Forum de l'emploi numérique"):
        expect(awa.get_by_text(text).first).to_be_visible()
    shoot(awa, "meeting-6-minutes-phone", full_page=True)
    elapsed = time.monotonic() - started
    print(f"whole meeting in the browser: {elapsed:.1f} s")
    assert elapsed < 60


def test_a_phone_that_loses_the_network_sends_once(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion sans réseau")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    screen = room.page(**SCREEN)
    try:
        screen.goto(f"{server.url}/m/{links.code}/screen?key={links.screen_key}")
        phone = room.page(**PHONE)
        join(phone, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        expect(phone.get_by_role("heading", name="Idées")).to_be_visible()

        phone.context.set_offline(True)
        phone.get_by_label("Votre contribution").fill("Un guide sur les arnaques par SMS")
        phone.get_by_role("button", name="Envoyer", exact=True).click()
        # what the person reads: the link is gone, the text is kept and will be sent
        expect(phone.get_by_role("status").first).to_have_text("Connexion perdue, nouvel essai…")
        expect(phone.get_by_text("Pas encore envoyé : en attente de la connexion…").first).to_be_visible()
        expect(phone.get_by_role("region", name="Vos envois à cette étape")).to_contain_text(
            "Un guide sur les arnaques par SMS"
        )
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "the phone page scrolls sideways"
        shoot(phone, "offline-phone-waiting", full_page=True)
        time.sleep(1)
        phone.context.set_offline(False)
        back = time.monotonic()
        expect(phone.get_by_role("status").first).to_have_text("Connexion établie", timeout=15_000)
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible()
        print(f"\nback online: sent {time.monotonic() - back:.1f} s after the network returned")
        shoot(phone, "offline-phone-sent", full_page=True)

        expect(screen.get_by_text("Un guide sur les arnaques par SMS")).to_have_count(1)
        time.sleep(1.5)  # a second copy, if any, would have arrived by now
        expect(screen.get_by_text("Un guide sur les arnaques par SMS")).to_have_count(1)
        texts = [item["data"]["text"] for item in console.call("sync")["snapshot"]["items"]]
        assert texts == ["Un guide sur les arnaques par SMS"]
    finally:
        console.close()


def test_a_phone_on_slow_3g_joins_and_contributes(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion au sous-sol")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        assert console.call("start")["ok"] and console.call("next")["ok"]
        phone = room.page(**PHONE)
        cdp = phone.context.new_cdp_session(phone)
        cdp.send("Network.enable")
        # Chrome DevTools' "Slow 3G": 2 s round trips, about 400 kbit/s each way
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
        )
        phone.set_default_timeout(30_000)
        began = time.monotonic()
        join(phone, f"{server.url}/j/{links.code}", "Bruno Petit", "Mairie", heading="Idées", timeout=30_000)
        phone.get_by_label("Votre contribution").fill("Un annuaire des lieux d'accueil")
        phone.get_by_role("button", name="Envoyer", exact=True).click()
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible(timeout=30_000)
        print(f"slow 3G: joined and contributed in {time.monotonic() - began:.1f} s")
        wait_for(
            lambda: any(
                item["data"]["text"] == "Un annuaire des lieux d'accueil"
                for item in console.call("sync")["snapshot"]["items"]
            ),
            what="the slow phone's contribution",
        )
        shoot(phone, "slow-3g-phone", full_page=True)
    finally:
        console.close()


def test_the_watch_catches_a_request_to_another_machine_and_a_script_error(browser: Any) -> None:
    """The watch itself works: a page that asks another machine, or whose script throws, is caught."""
    watched = Room(browser)
    try:
        page = watched.page()
        page.set_content('<img src="http://example.invalid/pixel.png"><script>throw new Error("boom")</script>')
        wait_for(lambda: watched.outside and watched.errors, timeout=5, what="the outside request and the error")
    finally:
        watched.close()
    assert watched.outside == ["http://example.invalid/pixel.png"]
    assert "boom" in watched.errors[0]

"""People on their phones, in real Chromium at 360 × 640: the check-in fits one screen (skills as
chips, one list with a switch); a removed phone says so plainly and stops trying to connect; a
phone the meeting no longer knows goes back to the join form; every target of the join and phone
pages is at least 44 × 44 px; axe-core finds nothing on them.

Screenshots go to screenshots/ (browser-people-*.png). Skipped without Playwright and
/usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kit import create_app
from kit.core.db import get_session
from kit.core.models import Contribution, Meeting, Participant
from kit.meeting import lifecycle
from kit.meeting.templates import load_template
from tests.browser import PHONE, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.server import KitServer, LiveClient, MeetingLinks
from tests.test_browser_pages import axe

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
MONTHLY = ROOT / "sessions" / "rencontre-mensuelle.toml"

# every control a finger presses, with its real target: a check box or radio button is pressed
# through its label; only a link inside a sentence is exempt (WCAG 2.5.8)
TARGETS = """() => {
    const found = [];
    const controls = 'button, a[href], input:not([type=hidden]), select, textarea, summary, '
        + '[tabindex]:not([tabindex="-1"])';
    for (const el of document.querySelectorAll(controls)) {
        const target = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') || el) : el;
        if (target.closest('.visually-hidden, [hidden]')) continue;
        const box = target.getBoundingClientRect();
        if (!box.width || !box.height || getComputedStyle(target).visibility === 'hidden') continue;
        const sentence = target.closest('p, li');
        if (target.tagName === 'A' && sentence && sentence.textContent.trim() !== target.textContent.trim()) continue;
        const name = (target.textContent || target.name || '').trim().slice(0, 40);
        found.push({what: `${target.tagName.toLowerCase()} "${name}"`, width: box.width, height: box.height});
    }
    return found;
}"""


def small_targets(page: Any) -> list[str]:
    measured = page.evaluate(TARGETS)
    assert measured, "no control measured"
    return [f"{t['what']} {t['width']:.0f}×{t['height']:.0f}" for t in measured if t["width"] < 44 or t["height"] < 44]


def monthly_meeting(server: KitServer, title: str) -> MeetingLinks:
    """The shipped monthly meeting (its check-in offers eight skills), prepared on the server's database."""
    app = create_app({"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"})
    try:
        with app.app_context():
            meeting = lifecycle.create_meeting(get_session(), load_template(MONTHLY), title=title)
            return MeetingLinks(meeting.code, meeting.facilitator_key, meeting.screen_key)
    finally:
        app.extensions["kit.engine"].dispose()


def of_meeting(links: MeetingLinks) -> Any:
    """The contributions of one meeting (the module's server holds every test's meetings)."""
    return select(Contribution).join(Meeting, Meeting.id == Contribution.meeting_id).where(Meeting.code == links.code)


def on_the_database(server: KitServer, change: Any) -> Any:
    app = create_app({"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"})
    try:
        with app.app_context():
            return change(get_session())
    finally:
        app.extensions["kit.engine"].dispose()


def test_the_check_in_fits_one_phone_screen_with_skills_as_chips(server: KitServer, room: Room) -> None:
    links = monthly_meeting(server, "Rencontre mensuelle du réseau d'inclusion numérique du Pays de Vitré")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        phone = room.page(bypass_csp=True, **PHONE)
        phone.goto(f"{server.url}/j/{links.code}")
        assert axe(phone, "join") == []
        assert small_targets(phone) == []
        shoot(phone, "people-join")
        join(phone, f"{server.url}/j/{links.code}", "Élodie Martin-Guérin", "Centre social des Rimains")
        assert console.call("start")["ok"]
        expect(phone.get_by_role("heading", name="Accueil")).to_be_visible()
        expect(phone.locator("[data-me=name]")).to_have_text("Élodie Martin-Guérin")
        shoot(phone, "people-checkin")

        # the whole form, up to its button, on the first screen: nothing to scroll to
        button = phone.get_by_role("button", name="Je suis là")
        box = button.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 640, f"the button is below the screen: {box}"
        assert phone.evaluate("window.scrollY") == 0
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways"
        chips = phone.locator(".skills-offers label.chip")
        expect(chips).to_have_count(8)
        assert phone.locator(".skills-seeks label.chip").count() == 8
        expect(phone.locator(".skills-seeks")).to_be_hidden()
        assert axe(phone, "phone, check-in") == []
        assert small_targets(phone) == []

        # what she can help with, then, switched, what she looks for: one list at a time
        phone.get_by_text("Sécurité et arnaques").first.click()
        phone.get_by_text("Parentalité numérique").first.click()
        phone.get_by_text("Je cherche", exact=True).click()
        expect(phone.locator(".skills-offers")).to_be_hidden()
        expect(phone.locator(".skills-seeks")).to_be_visible()
        phone.locator(".skills-seeks").get_by_text("Démarches en ligne (CAF, ANTS, impôts)").click()
        shoot(phone, "people-checkin-seeks")
        assert small_targets(phone) == []
        # the rest is folded, one tap away
        phone.locator("summary", has_text="modifier").click()
        phone.get_by_label("Votre fonction").fill("Conseillère numérique")
        shoot(phone, "people-checkin-more", full_page=True)
        assert small_targets(phone) == []
        button.click()
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible()

        def check_in(db: Any) -> dict[str, Any]:
            return dict(db.scalars(of_meeting(links)).one().data)

        data = on_the_database(server, check_in)
        assert data["offers"] == ["Parentalité numérique", "Sécurité et arnaques"]
        assert data["seeks"] == ["Démarches en ligne (CAF, ANTS, impôts)"]
        assert (data["name"], data["role"]) == ("Élodie Martin-Guérin", "Conseillère numérique")
    finally:
        console.close()


def test_la_coops_themes_open_next_to_the_button_and_a_picked_one_is_stored(server: KitServer, room: Room) -> None:
    links = monthly_meeting(server, "Rencontre du réseau France services de Fougères")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        phone = room.page(bypass_csp=True, **PHONE)
        join(phone, f"{server.url}/j/{links.code}", "Yannick Le Goff", "France services Fougères")
        assert console.call("start")["ok"]
        expect(phone.get_by_role("heading", name="Accueil")).to_be_visible()
        themes = phone.locator(".coop-themes")
        expect(themes).to_be_hidden()
        phone.locator("label.more-themes").click()
        expect(themes).to_be_visible()
        expect(phone.locator(".coop-offers label.chip")).to_have_count(19)
        expect(phone.locator(".coop-seeks")).to_be_hidden()
        shoot(phone, "people-checkin-coop", full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways"
        assert axe(phone, "phone, check-in with La Coop's themes") == []
        assert small_targets(phone) == []
        phone.locator(".coop-offers").get_by_text("Navigation sur internet", exact=True).click()
        phone.get_by_text("Je cherche", exact=True).click()
        expect(phone.locator(".coop-offers")).to_be_hidden()
        phone.locator(".coop-seeks").get_by_text("Intelligence artificielle (IA)", exact=True).click()
        phone.locator(".skills-seeks").get_by_text("Sécurité et arnaques").click()
        # a theme picked keeps the list shown, even folded again
        phone.locator("label.more-themes").click()
        expect(themes).to_be_visible()
        phone.get_by_role("button", name="Je suis là").click()
        expect(phone.get_by_text("Envoyé ✓")).to_be_visible()

        def check_in(db: Any) -> dict[str, Any]:
            return dict(db.scalars(of_meeting(links)).one().data)

        data = on_the_database(server, check_in)
        assert data["offers"] == ["Navigation sur internet"]
        assert sorted(data["seeks"]) == ["Intelligence artificielle (IA)", "Sécurité et arnaques"]
    finally:
        console.close()


def test_a_removed_phone_is_told_plainly_and_stops_reconnecting(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion du réseau de Fougères")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        phone = room.page(**PHONE)
        sockets: list[str] = []
        phone.on("websocket", lambda ws: sockets.append(ws.url))
        join(phone, f"{server.url}/j/{links.code}", "Zoé Lambert", "Mairie de Fougères")
        assert console.call("start")["ok"]
        expect(phone.get_by_role("heading", name="Accueil")).to_be_visible()

        def zoe(db: Any) -> int:
            found = select(Participant.id).join(Meeting, Meeting.id == Participant.meeting_id)
            return db.scalar(found.where(Meeting.code == links.code, Participant.display_name == "Zoé Lambert"))

        assert console.call("control", {"action": "remove", "participant_id": on_the_database(server, zoe)})["ok"]
        told = phone.get_by_role("alert")
        expect(told).to_contain_text("Vous avez été retiré·e de la réunion par l'animation.")
        expect(told).to_contain_text("parlez-en à la personne qui anime")
        expect(phone.locator("#status")).to_have_text("Pas connecté")
        expect(phone.get_by_role("button", name="Je suis là")).to_have_count(0)
        shoot(phone, "people-removed")

        # later, and after a reload: told again (the refusal carries its code), and no more tries
        phone.reload()
        expect(told).to_contain_text("Vous avez été retiré·e de la réunion par l'animation.")
        expect(phone.locator("#status")).to_have_text("Pas connecté")
        opened = len(sockets)
        phone.evaluate("window.dispatchEvent(new Event('online'))")  # "the network is back": still no retry
        phone.wait_for_timeout(6500)  # longer than the client's longest pause between two tries
        assert len(sockets) == opened, "the removed phone tried to connect again"
        expect(phone.locator("#status")).to_have_text("Pas connecté")
        expect(phone.get_by_text("Connexion perdue")).to_have_count(0)
    finally:
        console.close()


def test_a_phone_the_meeting_no_longer_knows_goes_back_to_the_join_form(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion restaurée")
    phone = room.page(**PHONE)
    join(phone, f"{server.url}/j/{links.code}", "Bruno Le Gall", "Médiathèque")

    def forget_the_phone(db: Any) -> None:
        # what `kit forget` does to a meeting's phones, or a restore of a backup made before they joined
        found = select(Participant).join(Meeting, Meeting.id == Participant.meeting_id)
        person = db.scalars(found.where(Meeting.code == links.code, Participant.display_name == "Bruno Le Gall")).one()
        person.token = "un-autre-jeton-que-celui-du-telephone"
        db.commit()

    on_the_database(server, forget_the_phone)
    # the connection drops and comes back (a server restarted from a backup), with the old identity
    phone.evaluate("window.kit.socket.disconnect().connect()")
    expect(phone.get_by_role("button", name="Rejoindre la réunion")).to_be_visible(timeout=15_000)
    expect(phone.get_by_label(re.compile("^Votre nom"))).to_have_value("")
    shoot(phone, "people-join-again")


def test_the_kept_text_lasts_one_step(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion qui avance vite")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        awa = room.page(**PHONE)
        join(awa, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        expect(awa.get_by_role("heading", name="Idées")).to_be_visible()
        idea = "Un café numérique le samedi matin à la médiathèque, pour les parents qui travaillent"
        awa.get_by_label("Votre contribution").fill(idea)

        assert console.call("next")["ok"]
        expect(awa.get_by_role("heading", name="Évaluation")).to_be_visible()
        kept = awa.get_by_role("region", name="Gardé pour vous : pas envoyé")
        expect(kept).to_contain_text(idea)
        shoot(awa, "people-kept-one-step")

        # one step later it is gone: it does not follow its owner through the meeting
        steps = console.call("sync")["snapshot"]["meeting"]["steps"]
        assert console.call("goto", {"step_id": steps[0]["id"]})["ok"]
        expect(awa.get_by_role("heading", name="Accueil")).to_be_visible()
        expect(kept).to_be_hidden()
        awa.reload()
        expect(awa.get_by_role("heading", name="Accueil")).to_be_visible()
        expect(kept).to_be_hidden()
        # it stays the draft of its own step, should the meeting come back to it
        assert console.call("next")["ok"]
        expect(awa.get_by_role("heading", name="Idées")).to_be_visible()
        expect(awa.get_by_label("Votre contribution")).to_have_value(idea)
    finally:
        console.close()


def test_whoever_proposed_a_news_item_sees_it_accepted(server: KitServer, room: Room) -> None:
    links = monthly_meeting(server, "Rencontre mensuelle de décembre")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    try:
        awa = room.page(bypass_csp=True, **PHONE)
        bruno = room.page(**PHONE)
        join(awa, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS de Vitré")
        join(bruno, f"{server.url}/j/{links.code}", "Bruno Le Gall", "Médiathèque")
        assert console.call("start")["ok"] and console.call("next")["ok"]
        expect(awa.get_by_role("heading", name="Point d'actualité")).to_be_visible()
        awa.get_by_label("Type", exact=True).select_option("event")
        awa.get_by_label("De quoi s'agit-il ?").fill("Forum départemental de l'inclusion numérique à Rennes")
        awa.get_by_label(re.compile("^Lien")).fill("solidarite-numerique.fr/agenda")
        awa.get_by_role("button", name="Envoyer", exact=True).click()
        expect(awa.get_by_text("Envoyé ✓")).to_be_visible()

        def proposal(db: Any) -> tuple[int, str]:
            found = db.scalars(of_meeting(links)).one()
            return found.id, found.data["link"]

        proposal_id, link = on_the_database(server, proposal)
        assert link == "https://solidarite-numerique.fr/agenda"
        assert console.call("act", {"action": "accept", "id": proposal_id})["ok"]
        notice = awa.get_by_role("status").filter(has_text="a été acceptée")
        expect(notice).to_contain_text(
            "Votre actualité « Forum départemental de l'inclusion numérique à Rennes » a été acceptée : "
            "elle est à l'écran et sera dans le compte rendu."
        )
        shoot(awa, "people-news-accepted")
        assert axe(awa, "phone, news accepted") == []
        assert small_targets(awa) == []
        expect(bruno.get_by_text("a été acceptée")).to_have_count(0)
        awa.get_by_role("button", name="D'accord").click()
        expect(notice).to_be_hidden()
    finally:
        console.close()

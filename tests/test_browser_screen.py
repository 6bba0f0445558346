"""The projected screen with a real workshop's content (tests/long_content.py), in real Chromium at
1920×1080: every step in pages of whole cards — no card cut, none under the QR corner, the title
and the timer always there — a presentation clicker turning the pages (PageDown, PageUp, B), the
console's page and timer controls, and axe-core finding nothing on the screen.

Screenshots go to screenshots/ (browser-screen-*.png) and, with KIT_SHOTS_DIR set, there too.
Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from kit.core import queries
from kit.core.models import Meeting
from tests.browser import DESK, PHONE, SCREEN, Room, browser_fixture, expect, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.long_content import create_long_meeting, fill_meeting, on_server
from tests.server import KitServer, LiveClient
from tests.test_browser_pages import axe, checked_page

pytestmark = pytest.mark.e2e
PAUSED = re.compile(r"\bpaused\b")

# what screen.js pages, and where each unit shown lies: inside the window, clear of the QR corner
SHOWN_UNITS = """() => {
    const units = '[data-unit], .card, .need, .news-item, .attendance > li, .skill-cloud > li, .signature, '
        + '.deadlines li, .diag-list > li, .poll-result';
    const corner = document.getElementById('corner-join');
    const qr = corner && corner.getClientRects().length ? corner.getBoundingClientRect() : null;
    const found = [];
    for (const el of document.querySelectorAll('#stage ' + units.split(', ').join(', #stage '))) {
        if (!el.getClientRects().length || el.closest('[hidden]')) continue;
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height) continue;
        // the columns it flows in: it must stay inside them, in one piece
        let flow = el.parentElement;
        while (flow && flow.id !== 'stage' && getComputedStyle(flow).columnWidth === 'auto'
               && getComputedStyle(flow).columnCount === 'auto') flow = flow.parentElement;
        const within = flow.getBoundingClientRect();
        const inside = box.top >= -1 && box.left >= -1 && box.bottom <= innerHeight + 1 && box.right <= innerWidth + 1
            && box.right <= within.right + 1 && box.bottom <= within.bottom + 1 && el.getClientRects().length === 1;
        const underQr = qr && box.right > qr.left && box.bottom > qr.top;
        // a unit inside another (a card of a poll question) is judged with it
        found.push({text: el.textContent.trim().slice(0, 60), inside, underQr: !!underQr});
    }
    return found;
}"""


FITS = """() => { const body = document.querySelector('.step-body');
    return body.scrollHeight <= body.clientHeight + 1 && body.scrollWidth <= body.clientWidth + 1; }"""


def shots_dir() -> Path | None:
    folder = os.environ.get("KIT_SHOTS_DIR")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(page: Any, name: str) -> None:
    shoot(page, name)
    extra = shots_dir()
    if extra is not None:
        page.screenshot(path=extra / f"{name}.png")


def long_meeting(server: KitServer) -> dict[str, Any]:
    def make(db: Any) -> dict[str, Any]:
        meeting: Meeting = create_long_meeting(db, "Rencontre du réseau, journée longue")
        fill_meeting(db, meeting)
        needs = next(step for step in meeting.steps if step.activity == "needs")
        return {
            "need": queries.contributions(db, needs)[0].id,
            "code": meeting.code,
            "console": meeting.facilitator_key,
            "screen": meeting.screen_key,
            "steps": [(step.id, step.activity, step.title) for step in meeting.steps],
        }

    return on_server(server, make)


def step_of(made: dict[str, Any], kind: str) -> int:
    """The long meeting's step of this activity."""
    return next(step_id for step_id, activity, _ in made["steps"] if activity == kind)


def screen_address(server: KitServer, made: dict[str, Any]) -> str:
    return f"{server.url}/m/{made['code']}/screen?key={made['screen']}"


def pages_of(screen: Any) -> int:
    text = screen.locator("#screen-page").text_content() or ""
    found = re.search(r"/ (\d+)", text)
    return int(found.group(1)) if found and screen.locator("#screen-page").is_visible() else 1


def assert_whole_cards(screen: Any, where: str) -> int:
    units = screen.evaluate(SHOWN_UNITS)
    assert units, f"{where}: nothing shown"
    cut = [u["text"] for u in units if not u["inside"]]
    assert not cut, f"{where}: cards cut at the edge of the screen: {cut}"
    hidden = [u["text"] for u in units if u["underQr"]]
    assert not hidden, f"{where}: cards under the QR corner: {hidden}"
    return len(units)


def test_every_step_of_a_long_workshop_shows_in_pages_of_whole_cards(server: KitServer, room: Room) -> None:
    made = long_meeting(server)
    console = LiveClient(server.url, "console", {"meeting": made["code"], "key": made["console"]})
    try:
        screen = room.page(**SCREEN)
        screen.goto(screen_address(server, made))
        for step_id, activity, title in made["steps"]:
            assert console.call("goto", {"step_id": step_id})["ok"]
            expect(screen.get_by_role("heading", name=title, exact=True)).to_be_visible()
            if activity == "needs":
                # a need answered now: its countdown stays on every page
                assert console.call("act", {"action": "answer_now", "id": made["need"], "minutes": 3})["ok"]
                expect(screen.locator(".need-focus .timer")).to_be_visible()
            screen.keyboard.press("PageUp")  # paused, on its first page: the pictures do not race the paging
            screen.keyboard.press("Home")
            pages = pages_of(screen)
            seen = 0
            for number in range(1, pages + 1):
                expect(screen.get_by_role("heading", name=title, exact=True)).to_be_in_viewport(ratio=1)
                if activity == "needs":
                    expect(screen.locator(".need-focus .timer")).to_be_in_viewport(ratio=1)
                if activity != "checkin":
                    expect(screen.locator("#corner-join")).to_be_in_viewport(ratio=1)
                assert screen.evaluate(FITS), f"{activity}, page {number}: runs off the screen"
                seen += assert_whole_cards(screen, f"{activity}, page {number}")
                keep(screen, f"screen-{activity}-{number}")
                screen.keyboard.press("PageDown")
            if activity not in ("diagnosis", "poll"):
                # every contribution is on one page or another (some steps add examples, sections)
                assert seen >= 30, f"{activity}: only {seen} cards over {pages} pages"
    finally:
        console.close()


def test_a_clicker_turns_the_pages_of_a_long_step(server: KitServer, room: Room) -> None:
    made = long_meeting(server)
    console = LiveClient(server.url, "console", {"meeting": made["code"], "key": made["console"]})
    try:
        topics = step_of(made, "topics")
        screen = room.page(**SCREEN)
        screen.goto(screen_address(server, made))
        assert console.call("goto", {"step_id": topics})["ok"]
        expect(screen.get_by_role("heading", name="Nos projets possibles")).to_be_visible()
        page_number = screen.locator("#screen-page")
        expect(page_number).to_have_text(re.compile(r"^1 / [2-9]$"))
        first = screen.evaluate(SHOWN_UNITS)

        screen.keyboard.press("PageDown")
        expect(page_number).to_have_text(re.compile(r"^2 / [2-9]$"))
        expect(page_number).to_have_class(PAUSED)  # a clicker pauses the paging
        second = screen.evaluate(SHOWN_UNITS)
        assert {u["text"] for u in first}.isdisjoint({u["text"] for u in second} - {""}), "a card shown twice"
        assert_whole_cards(screen, "page 2")
        # the console hears where the screen is
        desk = room.page(viewport={"width": 1440, "height": 900})
        desk.goto(f"{server.url}/m/{made['code']}/console?key={made['console']}")
        expect(desk.get_by_role("heading", name="Nos projets possibles")).to_be_visible()
        screen.keyboard.press("PageDown")
        screen.keyboard.press("PageUp")
        expect(desk.locator("#screen-now")).to_have_text(re.compile(r"^Écran : page 2 / \d+, en pause$"))

        screen.keyboard.press("PageUp")
        expect(page_number).to_have_text(re.compile(r"^1 / "))
        screen.keyboard.press("PageUp")  # the first page stays the first
        expect(page_number).to_have_text(re.compile(r"^1 / "))
        screen.keyboard.press("End")
        total = pages_of(screen)
        screen.keyboard.press("PageDown")  # the last page stays the last: the console moves steps
        expect(page_number).to_have_text(f"{total} / {total}")
        expect(screen.get_by_role("heading", name="Nos projets possibles")).to_be_visible()
        assert_whole_cards(screen, "last page")

        blank = screen.locator("#screen-blank")
        screen.keyboard.press("b")
        expect(blank).to_be_visible()
        keep(screen, "screen-blank")
        screen.keyboard.press("B")
        expect(blank).to_be_hidden()
        screen.keyboard.press(".")
        expect(blank).to_be_visible()
        screen.keyboard.press("Escape")  # and the pages turn by themselves again
        expect(blank).to_be_hidden()
        expect(page_number).not_to_have_class(PAUSED)

        # the console's buttons do the same
        assert console.call("page", {"action": "next"})["ok"]
        expect(page_number).to_have_class(PAUSED)
        assert console.call("page", {"action": "resume"})["ok"]
        expect(page_number).not_to_have_class(PAUSED)
    finally:
        console.close()


def test_the_timer_and_the_folded_introduction_on_screen_phone_and_console(server: KitServer, room: Room) -> None:
    made = long_meeting(server)
    console = LiveClient(server.url, "console", {"meeting": made["code"], "key": made["console"]})
    try:
        topics = step_of(made, "topics")
        screen = checked_page(room, **SCREEN)
        screen.goto(screen_address(server, made))
        desk = room.page(viewport={"width": 1440, "height": 900})
        desk.goto(f"{server.url}/m/{made['code']}/console?key={made['console']}")
        assert console.call("goto", {"step_id": topics})["ok"]
        expect(screen.get_by_role("heading", name="Nos projets possibles")).to_be_visible()

        # contributions have arrived: the introductions are folded to a band each
        bands = screen.locator(".intro-band")
        expect(bands.first).to_be_visible()
        desk.get_by_role("button", name="affichés en entier").click()
        expect(screen.locator(".topic-description").first).to_be_visible()
        expect(bands.first).to_be_hidden()
        # paragraphs kept: three paragraphs, three blocks
        first_topic = screen.locator(".topic").first
        assert first_topic.locator(".topic-description").count() == 3
        keep(screen, "screen-topics-introduction")
        desk.get_by_role("button", name="repliés dès que", exact=False).click()
        expect(bands.first).to_be_visible()

        # the timer: started from the console, seen on the screen and the phone, paused, one more minute
        desk.get_by_label("Minuteur (minutes)").fill("4")
        desk.get_by_role("button", name="Lancer le minuteur").click()
        timer = screen.locator(".step-timer")
        expect(timer).to_contain_text(re.compile(r"[34]:\d\d"))
        expect(timer).to_be_in_viewport(ratio=1)
        desk.get_by_role("button", name="Mettre le minuteur en pause").click()
        expect(timer).to_contain_text("en pause")
        desk.get_by_role("button", name="+1 minute").click()
        expect(timer).to_contain_text(re.compile(r"(4:59|5:00) en pause"))
        keep(screen, "screen-timer-paused")
        expect(desk.locator("#screen-now")).to_contain_text(re.compile(r"Écran : page \d+ / \d+"))
        desk.locator(".pacing").scroll_into_view_if_needed()
        keep(desk, "console-pacing-1440")
        desk.set_viewport_size({"width": 390, "height": 844})
        desk.locator(".pacing").scroll_into_view_if_needed()
        assert desk.evaluate("document.documentElement.scrollWidth") <= 390, "the console scrolls sideways"
        keep(desk, "console-pacing-390")
        desk.set_viewport_size({"width": 1440, "height": 900})
        problems = axe(screen, "screen, long topics")
        assert not problems, "\n".join(problems)
        desk.get_by_role("button", name="Relancer le minuteur").click()
        expect(timer).not_to_contain_text("en pause")

        phone = room.page(**PHONE)
        phone.goto(f"{server.url}/j/{made['code']}")
        phone.get_by_label(re.compile("^Votre nom")).fill("Maëlle Jégou")
        phone.get_by_role("button", name="Rejoindre la réunion").click()
        expect(phone.get_by_role("heading", name="Nos projets possibles")).to_be_visible()
        expect(phone.locator(".step-timer")).to_contain_text(re.compile(r"\d:\d\d"))
        keep(phone, "phone-timer-360")

        # joining locked: the QR corner goes
        corner = screen.locator("#corner-join")
        expect(corner).to_be_visible()
        assert console.call("control", {"action": "lock_joining"})["ok"]
        expect(corner).to_be_hidden()
        assert console.call("control", {"action": "unlock_joining"})["ok"]
        expect(corner).to_be_visible()
    finally:
        console.close()


def test_a_card_arriving_while_votes_flow_is_paged_without_waiting_for_the_votes_to_stop(
    server: KitServer, room: Room
) -> None:
    """Counts reach the screen several times a second (KIT_SCREEN_COUNTS_INTERVAL) and each new
    ranking moves the cards: the pages must still be computed again soon after a card arrives,
    not only once the votes pause — else the new card shows cut at the bottom of the page."""
    import threading
    import time

    from tests.server import Phone

    made = long_meeting(server)
    console = LiveClient(server.url, "console", {"meeting": made["code"], "key": made["console"]})
    voters = [Phone(server.url, made["code"], f"Votante {n}") for n in range(8)]
    stop = threading.Event()
    try:
        needs = step_of(made, "needs")
        screen = room.page(**SCREEN)
        screen.goto(screen_address(server, made))
        assert console.call("goto", {"step_id": needs})["ok"]
        expect(screen.get_by_role("heading", name="Recensement des besoins")).to_be_visible()
        expect(screen.locator("#screen-page")).to_have_text(re.compile(r"^1 / [2-9]$"))
        ranked = screen.evaluate(
            "() => [...document.querySelectorAll('#stage [data-key]')].map(e => +e.dataset.key.slice(1))"
        )

        def vote_from_the_bottom() -> None:
            # one vote per need in turn, the least supported first: the ranking changes at every tick
            for voter in voters:
                for target in reversed(ranked):
                    if stop.is_set():
                        return
                    voter.call("vote", {"contribution_id": target, "vote": True})
                    time.sleep(0.02)

        voting = threading.Thread(target=vote_from_the_bottom)
        voting.start()
        time.sleep(1.0)
        arrived = "Un besoin arrivé pendant les votes : un atelier pour les aidants familiaux"
        voters[0].send_until_acked("late-need", needs, arrived, time.monotonic() + 10)
        expect(screen.locator("#stage [data-key]", has_text="aidants familiaux")).to_have_count(1)
        time.sleep(1.0)
        assert voting.is_alive(), "the votes were still flowing"
        assert_whole_cards(screen, "while votes flow")
    finally:
        stop.set()
        for voter in voters:
            voter.close()
        console.close()

"""Every activity as people see it, in real Chromium: the projected screen (1920×1080), the console
and a phone (360×640), saved under screenshots/ for a person to look at.

Needs Playwright and Debian's Chromium (/usr/bin/chromium); skipped without them, except where
KIT_REQUIRE_BROWSER is set (CI sets it), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from kit.activities import activity_class
from kit.core.models import Step
from kit.meeting.templates import load_template
from tests.sample_data import contribution_for, facilitate
from tests.server import KitServer, LiveClient, Phone

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COUNTS_INTERVAL = 0.1  # seconds


def browser_or_skip():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("KIT_REQUIRE_BROWSER"):
            pytest.fail("KIT_REQUIRE_BROWSER is set but Playwright or /usr/bin/chromium is missing")
        pytest.skip("needs Playwright and Debian's Chromium (apt-get install chromium)")
    return sync_playwright


def test_every_activity_on_screen_console_and_phone(tmp_path):
    sync_playwright = browser_or_skip()
    SHOTS.mkdir(exist_ok=True)
    template = load_template(ROOT / "tests" / "fixtures" / "every-activity.toml")
    steps = [
        Step(activity=s.activity, title=s.title, options=activity_class(s.activity).validate_options(s.options))
        for s in template.steps
    ]
    server = KitServer(tmp_path / "instance")
    # counts and results are sent coalesced, once per interval: a short one lets each step's
    # pictures show them without waiting a whole second (kit's default) twelve times
    server.env["KIT_COUNTS_INTERVAL"] = str(COUNTS_INTERVAL)
    server.start()
    clients: list[LiveClient] = []
    try:
        printed = server.kit("meeting", "new", str(ROOT / "tests" / "fixtures" / "every-activity.toml"))
        links = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.splitlines())}
        code = links["code"].replace("-", "")
        console = LiveClient(server.url, "console", {"meeting": code, "key": links["console"].split("key=")[1]})
        phones = [Phone(server.url, code, name) for name in ("Awa Diallo", "Bruno Martin")]
        clients += [console, *phones]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            screen = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
            screen.goto(links["screen"])
            desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
            desk.goto(links["console"])
            phone = browser.new_context(
                viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="fr-FR"
            ).new_page()
            phone.goto(links["join"])
            phone.get_by_label(re.compile("Votre nom")).fill("Chloé Petit")
            phone.get_by_role("button", name=re.compile("Rejoindre la réunion")).click()
            phone.get_by_text(re.compile("Vous avez rejoint la réunion")).wait_for()
            assert console.call("start")["ok"]
            ids = [s["id"] for s in console.call("sync")["snapshot"]["meeting"]["steps"]]
            for number, (step, step_id) in enumerate(zip(steps, ids, strict=True)):
                if number:
                    assert console.call("next")["ok"]
                sent = []
                for n, sender in enumerate(phones):
                    data = contribution_for(step, f"{step.title} : exemple {n + 1}", ("Awa Diallo", "Bruno Martin")[n])
                    ack = sender.call("contribute", {"client_id": f"s{number}p{n}", "step_id": step_id, "data": data})
                    assert ack["ok"], (step.activity, ack)
                    sent.append(ack["id"])
                facilitate(console, phones, step, step_id, sent)
                phone.get_by_role("heading", name=step.title, exact=True).wait_for()
                time.sleep(COUNTS_INTERVAL + 0.3)  # coalesced counts and results, then drawn
                stem = f"{number + 1:02d}-{step.activity}"
                screen.screenshot(path=SHOTS / f"{stem}-screen.png")
                desk.screenshot(path=SHOTS / f"{stem}-console.png", full_page=True)
                phone.screenshot(path=SHOTS / f"{stem}-phone.png", full_page=True)
                # what the phone shows is the step it should: its title, and a way to take part
                assert phone.get_by_role("button").count() >= 1
            browser.close()
    finally:
        for client in clients:
            client.close()
        server.stop()
    assert len(list(SHOTS.glob("*-screen.png"))) >= len(steps)


OVERFLOWING = """() => {
    const found = [];
    for (const el of document.querySelectorAll('.minutes *')) {
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible') {
            found.push(el.tagName + ': ' + (el.textContent || '').slice(0, 40));
        }
        const box = el.getBoundingClientRect();
        if (box.right > document.documentElement.clientWidth + 1) found.push('beyond the page: ' + el.tagName);
    }
    return found;
}"""


def test_published_minutes_print_on_a4_without_cut_off_text(tmp_path):
    """Absentees print the minutes to PDF: nothing may run past the page."""
    sync_playwright = browser_or_skip()
    SHOTS.mkdir(exist_ok=True)
    server = KitServer(tmp_path / "instance")
    server.start()
    clients: list[LiveClient] = []
    try:
        printed = server.kit("meeting", "new", str(ROOT / "sessions" / "rencontre-mensuelle.toml"))
        links = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.splitlines())}
        code = links["code"].replace("-", "")
        console = LiveClient(server.url, "console", {"meeting": code, "key": links["console"].split("key=")[1]})
        phone = Phone(server.url, code, "Marie-Christine Leblanc-Durand-Kergoat")
        clients += [console, phone]
        assert console.call("start")["ok"]
        first = console.call("sync")["snapshot"]["meeting"]["steps"][0]["id"]
        long_word = "https://example.org/" + "un-lien-tres-long-sans-espace-" * 6
        phone.call(
            "contribute",
            {
                "client_id": "c",
                "step_id": first,
                "data": {
                    "name": "Marie-Christine Leblanc-Durand",
                    "structure": "Centre communal d'action sociale de Vitré",
                    "territory": "Vitré Communauté, Ille-et-Vilaine",
                    "role": "Conseillère numérique France Services",
                    "offers_other": "Démarches en ligne, Parentalité numérique",
                    "share": "yes",
                },
            },
        )
        board = console.call("next")["current_step_id"]
        proposal = phone.call(
            "contribute",
            {
                "client_id": "n",
                "step_id": board,
                "data": {
                    "type": "funding_call",
                    "title": "Appel à projets " + "très " * 30 + "long",
                    "link": long_word,
                },
            },
        )
        assert console.call("act", {"action": "accept", "id": proposal["id"]})["ok"]
        assert console.call("close")["ok"] and console.call("publish")["ok"]
        token = console.call("sync")["snapshot"]["html"].split("/minutes/")[1].split('"')[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_context(viewport={"width": 794, "height": 1123}, locale="fr-FR").new_page()
            page.goto(f"{server.url}/minutes/{token}")
            page.emulate_media(media="print")
            assert page.evaluate(OVERFLOWING) == []
            page.pdf(path=str(SHOTS / "minutes-a4.pdf"), format="A4", print_background=True)
            page.screenshot(path=SHOTS / "minutes-print.png", full_page=True)
            browser.close()
        assert (SHOTS / "minutes-a4.pdf").stat().st_size > 1000
    finally:
        for client in clients:
            client.close()
        server.stop()

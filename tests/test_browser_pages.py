"""Every page type in real Chromium, judged as RGAA (WCAG 2.1 AA) would: axe-core on each, keyboard-only
use of the console and the phone, visible focus, 44 px targets, readable projected text, live
regions; the phone page's weight; French first with an English switch on every page.

axe-core is vendored from its npm package in tests/vendor/axe-core/ (MPL-2.0, see its LICENSE) and
injected by the test only: kit's pages never load it. Screenshots go to screenshots/browser-*.png.
Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import gzip
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from kit.activities import activity_class
from kit.core.models import Step
from kit.meeting.templates import load_template
from tests.browser import DESK, PHONE, SCREEN, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.sample_data import contribution_for, facilitate
from tests.server import KitServer, LiveClient, Phone
from tests.test_screenshots import ROOT

pytestmark = pytest.mark.e2e

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
EVERY_ACTIVITY = ROOT / "tests" / "fixtures" / "every-activity.toml"
PHONE_BUDGET = 100 * 1024  # bytes, compressed

# what the tests report at the end (the closing note lists it)
AXE_RESULTS: dict[str, list[str]] = {}
AXE_DETAILS: dict[str, Any] = {}


def axe(page: Any, page_type: str) -> list[str]:
    """Run axe-core on the page as it is now; return its serious and critical violations, keep all."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document);
            const review = result.incomplete.map(v => ({id: v.id, impact: 'to review', help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + ((n.any[0] || {}).message || ''))}));
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)})).concat(review);
        }"""
    )
    AXE_RESULTS[page_type] = [f"{v['impact']}: {v['id']} ({len(v['nodes'])})" for v in violations]
    AXE_DETAILS[page_type] = violations
    return [
        f"{page_type}: {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


SMALL_TARGETS = """() => {
    const found = [];
    const controls = 'button, a[href], input:not([type=hidden]), select, textarea, summary';
    for (const el of document.querySelectorAll(controls)) {
        // a check box or radio button is pressed through its label, which is the target
        const target = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') || el) : el;
        const box = target.getBoundingClientRect();
        if (!box.width || !box.height || getComputedStyle(target).visibility === 'hidden') continue;
        if (target.closest('.visually-hidden, [hidden]')) continue;
        // a link inside a sentence is exempt (WCAG 2.5.8): its line is the target
        if (target.tagName === 'A' && target.parentElement.textContent.trim() !== target.textContent.trim()) continue;
        if (box.height < 44 || box.width < 44) {
            const name = (target.textContent || target.name || '').trim().slice(0, 40);
            found.push(`${target.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
        }
    }
    return found;
}"""

SMALL_SCREEN_TEXT = """() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const text = walker.currentNode.textContent.trim();
        const el = walker.currentNode.parentElement;
        if (!text || el.closest('.visually-hidden, [hidden], svg, script')) continue;
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 16) found.push(`"${text.slice(0, 30)}" ${size}px`);
    }
    return found;
}"""


class Meeting:
    """The every-activity meeting on a real server, and the socket clients that play the rest of the room."""

    def __init__(self, server: KitServer) -> None:
        printed = server.kit("meeting", "new", str(EVERY_ACTIVITY))
        self.links = {
            key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.splitlines())
        }
        self.code = self.links["code"].replace("-", "")
        self.url = server.url
        self.admin_token = (server.instance / "admin-token").read_text().strip()
        template = load_template(EVERY_ACTIVITY)
        self.steps = [
            Step(activity=s.activity, title=s.title, options=activity_class(s.activity).validate_options(s.options))
            for s in template.steps
        ]
        self.console = LiveClient(server.url, "console", {"meeting": self.code, "key": self.console_key})
        self.phones = [Phone(server.url, self.code, name) for name in ("Awa Diallo", "Bruno Martin")]

    @property
    def console_key(self) -> str:
        return self.links["console"].split("key=")[1]

    def close(self) -> None:
        for client in (self.console, *self.phones):
            client.close()


def checked_page(room: Room, **options: Any) -> Any:
    """A page where the test may inject axe-core despite kit's Content-Security-Policy."""
    return room.page(bypass_csp=True, **options)


def test_every_page_type_passes_axe_with_big_targets(server: KitServer, room: Room) -> None:
    meeting = Meeting(server)
    problems: list[str] = []
    small: list[str] = []
    try:
        desk = checked_page(room, **DESK)
        desk.goto(f"{server.url}/admin?token={meeting.admin_token}")
        problems += axe(desk, "admin")
        desk.goto(f"{server.url}/m/{meeting.code}/prepare?key={meeting.console_key}")
        expect(desk.get_by_role("heading", name="Les étapes")).to_be_visible()
        problems += axe(desk, "prepare")
        shoot(desk, "prepare", full_page=True)

        home = checked_page(room, **PHONE)
        home.goto(f"{server.url}/?code=nope")
        problems += axe(home, "home")
        home.goto(f"{server.url}/go?code=ZZZZZZ")
        problems += axe(home, "home with an error")
        small += [f"home: {t}" for t in home.evaluate(SMALL_TARGETS)]
        shoot(home, "home-error-phone", full_page=True)

        phone = checked_page(room, **PHONE)
        phone.goto(meeting.links["join"])
        problems += axe(phone, "join")
        small += [f"join: {t}" for t in phone.evaluate(SMALL_TARGETS)]
        shoot(phone, "join-phone", full_page=True)
        join(phone, meeting.links["join"], "Chloé Petit", "Espace France Services")
        problems += axe(phone, "phone, waiting for the start")

        desk.goto(meeting.links["console"])
        expect(desk.get_by_role("button", name="Démarrer la réunion")).to_be_visible()
        problems += axe(desk, "console, prepared")
        screen = checked_page(room, **SCREEN)
        screen.goto(meeting.links["screen"])
        expect(screen.get_by_text(re.compile("^Scannez le code"))).to_be_visible()
        problems += axe(screen, "screen, prepared")

        assert meeting.console.call("start")["ok"]
        ids = [s["id"] for s in meeting.console.call("sync")["snapshot"]["meeting"]["steps"]]
        for number, (step, step_id) in enumerate(zip(meeting.steps, ids, strict=True)):
            if number:
                assert meeting.console.call("next")["ok"]
            sent = []
            for n, sender in enumerate(meeting.phones):
                data = contribution_for(step, f"{step.title} : exemple {n + 1}", ("Awa Diallo", "Bruno Martin")[n])
                ack = sender.call("contribute", {"client_id": f"a{number}p{n}", "step_id": step_id, "data": data})
                assert ack["ok"], (step.activity, ack)
                sent.append(ack["id"])
            facilitate(meeting.console, meeting.phones, step, step_id, sent, sign=False)
            for page in (phone, screen, desk):
                expect(page.get_by_role("heading", name=step.title, exact=True)).to_be_visible()
            problems += axe(phone, f"phone, {step.activity}")
            problems += axe(screen, f"screen, {step.activity}")
            problems += axe(desk, f"console, {step.activity}")
            small += [f"phone, {step.activity}: {t}" for t in phone.evaluate(SMALL_TARGETS)]
            if phone.evaluate("document.documentElement.scrollWidth") > 360:
                small.append(f"phone, {step.activity}: the page scrolls sideways")
            small += [f"screen, {step.activity}: {t}" for t in screen.evaluate(SMALL_SCREEN_TEXT)]

        assert meeting.console.call("close")["ok"] and meeting.console.call("publish")["ok"]
        expect(phone.get_by_role("link", name="Lire le compte rendu")).to_be_visible()
        problems += axe(phone, "phone, meeting over")
        problems += axe(screen, "screen, meeting over")
        problems += axe(desk, "console, minutes published")
        phone.get_by_role("link", name="Lire le compte rendu").click()
        expect(phone.get_by_role("link", name="Télécharger au format Markdown")).to_be_visible()
        problems += axe(phone, "minutes")
        small += [f"minutes: {t}" for t in phone.evaluate(SMALL_TARGETS)]
        shoot(phone, "minutes-phone", full_page=True)
    finally:
        meeting.close()
        print("\naxe-core violations per page type (all impacts):")
        for page_type, found in AXE_RESULTS.items():
            print(f"  {page_type}: {', '.join(found) or 'none'}")
            for v in AXE_DETAILS.get(page_type, []):
                print("     ", v["id"], v["nodes"][:4])
    assert not problems, "\n".join(problems)
    assert not small, "small targets or projected text, or pages wider than the phone:\n" + "\n".join(small)


FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].textContent
                                                : (el.getAttribute('aria-label') || el.textContent);
    return {name: label.replace(/\\s+/g, ' ').trim(), tag: el.tagName.toLowerCase(),
            outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""


def tab_to(page: Any, name: str, limit: int = 40) -> dict[str, Any]:
    """Press Tab until the element named `name` (a regular expression) has the focus; it must show it."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] != "body" and re.search(name, focused["name"]):
            assert focused["outline"], f"the focus on {focused} is not visible"
            return focused
        seen.append(focused["name"][:30])
    raise AssertionError(f"Tab never reached {name!r}; it went through {seen}")


def test_console_and_phone_by_keyboard_alone(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion au clavier")
    desk = room.page(**DESK)
    desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
    expect(desk.get_by_role("status")).to_have_text("Connexion établie")

    # a person joins with the keyboard only (Tab, typing, Enter)
    phone = room.page(**PHONE)
    phone.goto(f"{server.url}/j/{links.code}")
    tab_to(phone, "^Votre nom")
    phone.keyboard.type("Awa Diallo")
    tab_to(phone, "^Rejoindre la réunion")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name=re.compile("Bienvenue"))).to_be_visible()

    # the facilitator starts and moves on with the keyboard only (Enter, then Space)
    tab_to(desk, "^Démarrer la réunion$")
    desk.keyboard.press("Enter")
    expect(desk.get_by_role("button", name=re.compile("^Suivant : Idées"))).to_be_visible()

    # during the check-in the console is redrawn as people arrive: an open tool, the field being
    # typed in and its words survive it
    tab_to(desk, "^Étapes")  # the list of steps is folded until needed
    desk.keyboard.press("Enter")
    tab_to(desk, "^Ajouter une étape$")
    desk.keyboard.press("Enter")
    tab_to(desk, "^Titre$")
    desk.keyboard.type("Pause")
    phone.get_by_role("button", name="Je suis là").click()
    expect(desk.get_by_role("listitem").filter(has_text="Awa Diallo")).to_be_visible()
    desk.keyboard.type(" café")
    expect(desk.get_by_label("Titre", exact=True)).to_have_value("Pause café")
    desk.get_by_label("Titre", exact=True).fill("")

    tab_to(desk, "^Suivant : Idées", limit=60)
    desk.keyboard.press("Space")
    expect(desk.get_by_role("heading", name="Idées")).to_be_visible()
    # the redrawn console keeps the focus on the button just pressed, so Space goes on from there
    focused = desk.evaluate(FOCUSED)
    assert focused["tag"] == "button" and re.search("^Suivant : ", focused["name"]), focused

    # the phone: the new step is announced, then a contribution typed and sent by keyboard
    expect(phone.get_by_role("heading", name="Idées")).to_be_visible()
    announce = phone.get_by_text("Nouvelle étape : Idées")
    expect(announce).to_have_attribute("aria-live", "polite")
    tab_to(phone, "^Votre contribution")
    phone.keyboard.type("Un atelier sur les arnaques")
    tab_to(phone, "^Envoyer$")
    shoot(phone, "keyboard-focus-phone")
    phone.keyboard.press("Enter")
    sent = phone.get_by_text("Envoyé ✓")
    expect(sent).to_be_visible()
    expect(sent).to_have_attribute("role", "status")  # read out by screen readers as it changes

    # a facilitator's redraw while someone types keeps their field, their words and their caret
    tab_to(phone, "^Votre contribution")
    phone.keyboard.type("Une deuxième")
    desk.locator(".item-menu > summary").first.click()  # an item's other actions wait under "Plus"
    desk.get_by_role("button", name="Masquer", exact=True).click()  # a moderation: every view is sent again
    expect(desk.get_by_role("button", name="Afficher à nouveau")).to_be_visible()
    phone.keyboard.type(" idée")
    expect(phone.get_by_label("Votre contribution")).to_have_value("Une deuxième idée")
    shoot(desk, "keyboard-console", full_page=True)


def test_the_phone_page_weighs_under_100_kb(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion légère")
    phone = room.page(**PHONE)
    join(phone, f"{server.url}/j/{links.code}", "Awa Diallo", "CCAS")
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # the first visit: nothing in the cache
    responses: list[Any] = []
    phone.on("response", lambda response: responses.append(response))
    phone.reload()
    expect(phone.get_by_role("status").first).to_have_text("Connexion établie")
    loaded: list[tuple[str, int, int]] = []
    for response in responses:
        if response.request.resource_type not in ("document", "stylesheet", "script") or response.status != 200:
            continue
        body = response.body()
        # what travels: the compressed body if the server compresses, else what gzip would make of it
        encoded = response.headers.get("content-encoding")
        sent = response.request.sizes()["responseBodySize"] if encoded else len(gzip.compress(body, 6))
        loaded.append((urlsplit(response.url).path, len(body), sent))
    print("\nphone page, first load (bytes as read, and compressed):")
    for path, raw, sent in loaded:
        print(f"  {path}: {raw} → {sent}")
    total = sum(sent for _, _, sent in loaded)
    print(f"  total: {sum(raw for _, raw, _ in loaded)} → {total} bytes ({total / 1024:.1f} KB compressed)")
    # the page, kit.css, socket.io, live/common.js and live/phone.js: the screen's and the console's
    # scripts stay on the server
    assert len(loaded) >= 5, loaded
    paths = [path for path, _, _ in loaded]
    assert {"/static/live/common.js", "/static/live/phone.js"} <= set(paths), paths
    assert not any(path.endswith(("/screen.js", "/console.js")) for path in paths), paths
    assert total <= PHONE_BUDGET


def test_every_page_switches_language(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Réunion bilingue")
    admin_token = (server.instance / "admin-token").read_text().strip()
    desk = room.page(**DESK)
    desk.goto(f"{server.url}/admin?token={admin_token}")
    pages = {
        "home": f"{server.url}/",
        "admin": f"{server.url}/admin",
        "prepare": f"{server.url}/m/{links.code}/prepare?key={links.console_key}",
        "console": f"{server.url}/m/{links.code}/console?key={links.console_key}",
        "screen": f"{server.url}/m/{links.code}/screen?key={links.screen_key}",
        "join": f"{server.url}/j/{links.code}",
        "not found": f"{server.url}/nowhere",
    }
    for name, url in pages.items():
        desk.goto(url)
        assert desk.evaluate("document.documentElement.lang") == "fr", name
        desk.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
        expect(desk.get_by_role("navigation", name="Language").get_by_role("link", name="Français")).to_be_visible()
        assert desk.evaluate("document.documentElement.lang") == "en", name
        assert urlsplit(desk.url).path == urlsplit(url).path, f"{name}: the switch left the page"
        desk.get_by_role("link", name="Français").click()
        expect(desk.get_by_role("navigation", name="Langue")).to_be_visible()
    # the console and the screen stay open in the other language: their key is kept
    desk.goto(pages["screen"])
    desk.get_by_role("link", name="English").click()
    expect(desk.get_by_text("Scan the code with your phone to join")).to_be_visible()

    # a phone switches while in the meeting, and the live view follows
    phone = room.page(**PHONE)
    join(phone, pages["join"], "Awa Diallo", "CCAS")
    phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    expect(phone.get_by_role("status").first).to_have_text("Connected")
    shoot(phone, "phone-english")


def test_the_prepare_page_of_a_meeting_with_news_opens(server: KitServer, room: Room) -> None:
    """It answered 500 (a news item's missing date could not be written as TOML), found by these tests."""
    printed = server.kit("meeting", "new", str(ROOT / "sessions" / "rencontre-mensuelle.toml"))
    links = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.splitlines())}
    desk = room.page(**DESK)
    desk.goto(links["console"])
    desk.get_by_role("link", name="Préparer les étapes").click()
    expect(desk.get_by_role("heading", name="Les étapes")).to_be_visible(timeout=3000)


def test_the_browser_scripts_are_plain_javascript_an_old_phone_runs() -> None:
    """No build step: the live scripts are served as written, so they keep to syntax that browsers
    of 2017 run (no arrow functions, let/const, template strings, optional chaining, async)."""
    scripts = sorted((ROOT / "kit" / "static" / "live").glob("*.js"))
    assert {script.name for script in scripts} >= {"common.js", "phone.js", "screen.js", "console.js"}, scripts
    newer = {"=>": "arrow function", "`": "template string", "?.": "optional chaining", "??": "nullish operator"}
    for script in scripts:
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", script.read_text(encoding="utf-8"), flags=re.S)
        found = [name for token, name in newer.items() if token in code]
        found += [word for word in ("let", "const", "class", "async", "await") if re.search(rf"\b{word}\b", code)]
        assert not found, f"live/{script.name} uses {found}"

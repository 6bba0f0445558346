"""A poll's results and the minutes in Debian's Chromium: the screen (1920×1080) with 34 answers,
first hidden (only how many answered), then shown from the console; the published minutes on a
360 px phone, where no table is wider than the screen. axe-core finds nothing on either page.
Screenshots go to screenshots/browser-results-*.png.

Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from kit import create_app
from kit.core.db import get_session
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.browser import PHONE, SCREEN, Room, browser_fixture, expect, join, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.conftest import gen_template
from tests.server import KitServer
from tests.test_browser_pages import axe
from tests.test_poll_results import PEOPLE, QUESTIONS, WORDS

pytestmark = pytest.mark.e2e

CONSOLE = {"viewport": {"width": 1440, "height": 900}}
NETWORK = "Réseau des aidants numériques du Pays de Vitré"
PRESENTATIONS = [
    "Bienvenue à toutes et à tous ! Je coordonne les permanences numériques de la médiathèque.",
    "Rendez-vous au #CCI35 jeudi : nous y présentons le guide des démarches en ligne (version 2).",
    "Conseillère numérique au CCAS de Vitré : ateliers tablette le mardi, accompagnement individuel le jeudi.",
]


@dataclass
class Prepared:
    code: str
    console_key: str
    screen_key: str
    poll_step: int
    share_token: str = ""


def in_server_db(server: KitServer) -> Iterator[Any]:
    app = create_app({"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"})
    try:
        with app.app_context():
            yield get_session()
    finally:
        app.extensions["kit.engine"].dispose()


def prepare(server: KitServer) -> Prepared:
    """A network's meeting, on its poll (results kept for later), answered by 34 people."""
    for db in in_server_db(server):
        network = networks.create_network(db, NETWORK, "Ille-et-Vilaine")
        template = gen_template(
            StepTemplate("board", "Tour de table", "Une phrase pour vous présenter.", {}),
            StepTemplate("poll", "Évaluation de la rencontre", "", {**QUESTIONS, "results": "on_reveal"}),
            title="Rencontre de réseau de mars",
        )
        meeting = lifecycle.create_meeting(db, template, network_id=network.id, place="Médiathèque de Vitré")
        lifecycle.start(db, meeting)
        board, poll = (s.id for s in meeting.steps)
        people = [lifecycle.join(db, meeting, name, f"Structure de {name.split()[0]}", "Vitré") for name in PEOPLE]
        for n, person in enumerate(people):
            text = PRESENTATIONS[n % 3]
            lifecycle.contribute(db, meeting, person, board, f"b-{n}", {"text": f"{person.display_name} — {text}"})
        lifecycle.move(db, meeting, +1)
        for n, person in enumerate(people):
            answers: dict[str, object] = {"q0": str(1 + n % 5), "q1": str(n % 3)}
            if n < 11:
                answers["q2"] = ["0", "1", "2"][: 1 + n % 3] if n < 7 else ["1"]
                answers["q4"] = WORDS[n]
            if n % 6 == 0:
                answers["q3"] = "Des exemples concrets, et le temps d'échanger entre structures du territoire."
            lifecycle.contribute(db, meeting, person, poll, f"p-{n}", answers)
        return Prepared(meeting.code, meeting.facilitator_key, meeting.screen_key, poll)
    raise AssertionError("no database")


def publish(server: KitServer, prepared: Prepared) -> None:
    for db in in_server_db(server):
        meeting = lifecycle.get_meeting(db, prepared.code)
        lifecycle.close(db, meeting)
        lifecycle.publish(db, meeting)
        prepared.share_token = meeting.share_token


def every_violation(page: Any, page_type: str) -> list[str]:
    """axe-core's violations of any impact (not its notes to review)."""
    axe(page, page_type)
    from tests.test_browser_pages import AXE_DETAILS

    return [f"{v['impact']} {v['id']}: {v['nodes']}" for v in AXE_DETAILS[page_type] if v["impact"] != "to review"]


WIDER_THAN_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    if (document.documentElement.scrollWidth > width) found.push('the page scrolls sideways');
    for (const table of document.querySelectorAll('table')) {
        const box = table.getBoundingClientRect();
        if (box.right > width || box.width > width) found.push('a table of ' + Math.round(box.width) + ' px');
    }
    return found;
}"""


def test_results_wait_for_the_facilitator_then_the_minutes_read_on_a_phone(server, room: Room):
    prepared = prepare(server)
    screen = room.page(bypass_csp=True, **SCREEN)
    screen.goto(f"{server.url}/m/{prepared.code}/screen?key={prepared.screen_key}")
    expect(screen.get_by_text("personnes ont répondu")).to_be_visible()
    expect(screen.locator(".poll-respondents strong")).to_have_text("34")
    assert screen.locator("svg.chart").count() == 0 and "trop court" not in screen.content()
    assert every_violation(screen, "poll screen, results hidden") == []
    shoot(screen, "results-hidden-1920")
    screen.screenshot(path="/tmp/shots/results/screen-hidden-1920.png")

    console = room.page(bypass_csp=True, **CONSOLE)
    console.goto(f"{server.url}/m/{prepared.code}/console?key={prepared.console_key}")
    console.get_by_role("button", name="Montrer les résultats").click()
    expect(console.get_by_role("button", name="Cacher les résultats")).to_be_visible()
    console.screenshot(path="/tmp/shots/results/console-revealed-1440.png")

    expect(screen.locator("svg.chart").first).to_be_visible()
    # the screen shows one page at a time: the word cloud, the last question, is on the last page
    screen.keyboard.press("End")
    expect(screen.locator(".cloud .word", has_text="trop court")).to_be_visible()
    # a two-word answer stays on one line
    lines = screen.locator(".cloud .word", has_text="trop court").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el.firstChild);"
        " return r.getClientRects().length; }"
    )
    assert lines == 1
    assert "11 réponses" in screen.content() and "64" in screen.content()
    assert every_violation(screen, "poll screen, results shown") == []
    shoot(screen, "results-shown-1920")
    screen.locator(".cloud").first.screenshot(path="/tmp/shots/results/screen-cloud.png")
    screen.screenshot(path="/tmp/shots/results/screen-shown-1920.png")

    # a phone that joins now sees the results under its form
    late = room.page(bypass_csp=True, **PHONE)
    join(late, f"{server.url}/j/{prepared.code}", "Solène Kerhervé", "Espace France Services", heading="Évaluation")
    expect(late.get_by_role("heading", name="Résultats")).to_be_attached()
    late.get_by_role("heading", name="Résultats").scroll_into_view_if_needed()
    assert every_violation(late, "phone, results shown") == []
    late.screenshot(path="/tmp/shots/results/phone-results-360.png")

    publish(server, prepared)
    phone = room.page(bypass_csp=True, **PHONE)
    phone.goto(f"{server.url}/minutes/{prepared.share_token}")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Rencontre de réseau de mars")
    expect(phone.get_by_text(re.compile(NETWORK)).first).to_be_visible()
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert every_violation(phone, "minutes on a phone") == []
    shoot(phone, "results-minutes-360")
    phone.screenshot(path="/tmp/shots/results/minutes-360.png")
    phone.screenshot(path="/tmp/shots/results/minutes-360-full.png", full_page=True)
    phone.set_content(requests.get(f"{server.url}/minutes/{prepared.share_token}.html", timeout=10).text)
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) == [], "the one-file minutes too"
    phone.screenshot(path="/tmp/shots/results/onefile-360.png")

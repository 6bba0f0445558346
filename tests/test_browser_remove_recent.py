"""The console removes everyone who joined in the last minutes at once, in Chromium: the form in
the room's block, its confirmation, the phones told, the list updated; axe-core on the console."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser import DESK, Room, browser_fixture, expect, room_fixture, server_fixture, shoot  # noqa: F401
from tests.server import KitServer, LiveClient, Phone, wait_for
from tests.test_browser_pages import axe
from tests.test_screenshots import SHOTS

pytestmark = pytest.mark.e2e

MINE = Path("/tmp/shots/guard")


def test_the_console_removes_a_burst_of_made_up_names(server: KitServer, room: Room) -> None:
    links = server.new_meeting("Rencontre du réseau France services du Morbihan")
    console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
    fakes: list[Phone] = []
    try:
        assert console.call("start")["ok"]
        fakes = [Phone(server.url, links.code, f"Faux participant n°{n}") for n in range(8)]
        problems: list[str] = []
        small: list[str] = []
        for viewport, name in ((DESK, "desk"), ({"viewport": {"width": 390, "height": 844}}, "narrow")):
            if name == "desk":
                viewport = {"viewport": {"width": 1440, "height": 900}}
            desk = room.page(bypass_csp=True, **viewport)
            desk.goto(f"{server.url}/m/{links.code}/console?key={links.console_key}")
            desk.get_by_text("Trop de faux noms ?").click()
            form = desk.locator(".remove-recent form")
            expect(form).to_be_visible()
            form.scroll_into_view_if_needed()
            problems += axe(desk, f"console with remove-recent ({name})")
            # this block's own targets (the rest of the console is another part's)
            for control in (form.get_by_role("spinbutton"), form.get_by_role("button")):
                box = control.bounding_box()
                if box["height"] < 44 or box["width"] < 44:
                    small.append(f"console ({name}): {box}")
            shoot(desk, f"remove-recent-console-{name}")
        expect(desk.get_by_label("Retirer toutes les personnes arrivées depuis (en minutes)")).to_have_value("5")
        desk.get_by_label("Retirer toutes les personnes arrivées depuis (en minutes)").fill("10")
        desk.get_by_role("button", name="Les retirer").click()  # the confirmation is accepted (tests/browser.py)
        expect(desk.get_by_text("retiré", exact=True)).to_have_count(8)
        wait_for(lambda: all("/phone" not in fake.sio.namespaces for fake in fakes), what="the phones told")
        shoot(desk, "remove-recent-console-after", full_page=True)
        assert not problems, "\n".join(problems)
        assert not small, small
        MINE.mkdir(parents=True, exist_ok=True)
        for shot in SHOTS.glob("browser-remove-recent-*.png"):
            shutil.copy(shot, MINE / shot.name)
    finally:
        for fake in fakes:
            fake.close()
        console.close()

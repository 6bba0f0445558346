"""The one-file minutes and newsletter as people open them: saved from kit, then opened from the
disk (file://) in Debian's Chromium with the network cut, on a phone (360×640), on a laptop
(1280×800), and printed to PDF on A4. Screenshots go to screenshots/onefile-*.png, the PDF to
screenshots/onefile-a4.pdf (and its pages as PNG where poppler's pdftoppm is installed).

Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kit.core.db import get_session
from tests.browser import TIMEOUT_MS, browser_fixture  # noqa: F401  (fixture: browser)
from tests.test_screenshots import SHOTS
from tests.test_standalone import long_meeting

# no server of its own, but Chromium weighs as much as one: it runs on the worker that has the
# cores to itself, with the tests that start kit serve (tests/conftest.py)
pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1280, "height": 800}}

# what runs past the page's right edge, or is cut inside a box that does not scroll
OVERFLOWING = """() => {
    const found = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) found.push('the page scrolls sideways');
    for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.table-scroll')) continue;  // a wide table scrolls inside its own box
        const box = el.getBoundingClientRect();
        const what = el.tagName + ' ' + (el.textContent || '').slice(0, 40);
        if (box.width && box.right > width + 1) found.push('beyond the page: ' + what);
        const style = getComputedStyle(el);
        if (el.scrollWidth > el.clientWidth + 1 && style.overflowX === 'hidden') found.push('cut: ' + el.tagName);
    }
    for (const box of document.querySelectorAll('.table-scroll')) {
        const r = box.getBoundingClientRect();
        if (r.right > width + 1) found.push('a table box is wider than the page');
    }
    return found;
}"""


def save(client: Any, path: str, folder: Path) -> Path:
    """Download as a person does: the file, under the name kit gives it."""
    answer = client.get(path)
    assert answer.status_code == 200
    name = answer.headers["Content-Disposition"].split('filename="')[1].rstrip('"')
    saved = folder / name
    saved.write_bytes(answer.data)
    return saved


class Offline:
    """A browser window with the network cut: the file may ask nothing but itself."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(locale="fr-FR", offline=True, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.asked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self.refuse)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def refuse(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.asked.append(url)
            route.abort()

    def open(self, saved: Path) -> Any:
        self.page.goto(saved.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def close(self) -> None:
        self.context.close()
        assert not self.asked, f"the file asked the network for {self.asked}"
        assert not self.errors, self.errors


def looks_styled(page: Any) -> None:
    """The inline stylesheet applies (system fonts, the sheet's width), the photo shows, nothing runs."""
    assert page.evaluate("() => document.scripts.length") == 0
    assert "serif" not in page.evaluate("() => getComputedStyle(document.body).fontFamily").split(",")[0]
    assert page.evaluate("() => getComputedStyle(document.querySelector('.sheet')).maxWidth") != "none"


def test_the_minutes_file_reads_on_a_phone_and_a_laptop_and_prints_on_a4(
    app: Flask, browser: Any, tmp_path: Path
) -> None:
    SHOTS.mkdir(exist_ok=True)
    with app.app_context():
        meeting = long_meeting(get_session(), Path(app.instance_path))
        token, network_id = meeting.share_token, meeting.network_id
    client = app.test_client()
    saved = save(client, f"/minutes/{token}.html", tmp_path)
    admin = app.test_client()
    admin.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    letter = save(admin, f"/networks/{network_id}/newsletter.html", tmp_path)

    phone = Offline(browser, **PHONE)
    try:
        page = phone.open(saved)
        looks_styled(page)
        photo = page.locator(".venue img")
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 480
        assert photo.bounding_box()["width"] <= 360
        assert page.evaluate(OVERFLOWING) == []
        # the directory table, wider than the phone, stacks: each row a block of labelled values
        wide = page.locator(".table-scroll").last
        assert wide.evaluate("box => box.scrollWidth <= box.clientWidth + 1")
        label = wide.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content")
        assert label not in ("none", "normal", '""')
        page.screenshot(path=SHOTS / "onefile-phone.png")
        page.locator("h2").first.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "onefile-phone-people.png")
        wide.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "onefile-phone-table.png")
        page.screenshot(path=SHOTS / "onefile-phone-full.png", full_page=True)
        # a body font a phone shows as is: nothing smaller than 15 px outside the tables
        sizes = page.evaluate(
            "() => Array.from(document.querySelectorAll('main p, main li'))"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(sizes) >= 15, min(sizes)

        page = phone.open(letter)
        looks_styled(page)
        assert page.evaluate(OVERFLOWING) == []
        page.screenshot(path=SHOTS / "onefile-newsletter-phone.png", full_page=True)
    finally:
        phone.close()

    desk = Offline(browser, **DESK)
    try:
        page = desk.open(saved)
        looks_styled(page)
        assert page.evaluate(OVERFLOWING) == []
        page.screenshot(path=SHOTS / "onefile-desk.png")
        page.screenshot(path=SHOTS / "onefile-desk-full.png", full_page=True)
        page.locator(".table-scroll").last.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "onefile-desk-table.png")

        # on paper: an A4 page's width, nothing past it, not even the wide table
        page.set_viewport_size({"width": 718, "height": 1000})  # 210 mm less the margins, at 96 dpi
        page.emulate_media(media="print")
        assert page.evaluate(OVERFLOWING) == []
        assert page.locator(".table-scroll").last.evaluate("box => box.scrollWidth <= box.clientWidth + 1")
        pdf = SHOTS / "onefile-a4.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000

        page = desk.open(letter)
        page.emulate_media(media="print")
        page.pdf(path=str(SHOTS / "onefile-newsletter-a4.pdf"), format="A4", print_background=True)
    finally:
        desk.close()

    if shutil.which("pdftoppm"):
        for old in SHOTS.glob("onefile-a4-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(SHOTS / "onefile-a4")], check=True, timeout=60)
        pages = sorted(SHOTS.glob("onefile-a4-*.png"))
        assert 2 <= len(pages) <= 12, len(pages)

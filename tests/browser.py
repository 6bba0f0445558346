"""What the browser tests share: one Chromium per module, windows watched for requests that would
leave the machine, and the gestures of a person joining a meeting from a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.server import KitServer
from tests.test_screenshots import CHROMIUM, LAUNCH_ARGS, SHOTS, browser_or_skip

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}
SCREEN = {"viewport": {"width": 1920, "height": 1080}}
DESK = {"viewport": {"width": 1366, "height": 900}}
TIMEOUT_MS = 10_000


@pytest.fixture(name="browser", scope="module")
def browser_fixture() -> Iterator[Any]:
    sync_playwright = browser_or_skip()
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Room:
    """The browser windows of one test, each watched for requests that would leave the machine, for
    errors thrown by the page's script and for anything the Content-Security-Policy refused."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.contexts: list[Any] = []

    def listen(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def watch(self, request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.hostname not in ("127.0.0.1", "localhost", "::1"):
            self.outside.append(request.url)

    def page(self, locale: str = "fr-FR", **options: Any) -> Any:
        context = self.browser.new_context(locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", self.watch)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", self.listen)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def assert_nothing_left_the_machine(self) -> None:
        assert not self.outside, f"pages asked other machines for: {self.outside}"

    def assert_no_script_error(self) -> None:
        assert not self.errors, "errors in the pages' script or refused by their policy:\n" + "\n".join(self.errors)


@pytest.fixture(name="server", scope="module")
def server_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitServer]:
    """One `kit serve` for a module's browser tests (each test prepares a meeting of its own):
    starting kit takes seconds. A module's `SERVER_ENV` adds to the server's environment."""
    started = KitServer(tmp_path_factory.mktemp("server") / "instance")
    started.env.update(getattr(request.module, "SERVER_ENV", {}))
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(name="room")
def room_fixture(browser: Any) -> Iterator[Room]:
    made = Room(browser)
    yield made
    made.close()
    made.assert_nothing_left_the_machine()
    made.assert_no_script_error()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shoot(page: Any, name: str, full_page: bool = False) -> None:
    page.screenshot(path=SHOTS / f"browser-{name}.png", full_page=full_page)


def join(
    page: Any, url: str, name: str, structure: str, english: bool = False, heading: str = "", timeout: int = 5000
) -> None:
    """Open the join link (the QR code's) and join as a person does; then the phone shows `heading`."""
    page.goto(url)
    page.get_by_label(re.compile("^Your name" if english else "^Votre nom")).fill(name)
    page.get_by_label(re.compile("^Your structure" if english else "^Votre structure")).fill(structure)
    page.get_by_role("button", name="Join the meeting" if english else "Rejoindre la réunion").click()
    heading = heading or ("Welcome" if english else "Bienvenue")
    expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible(timeout=timeout)
    expect(page.get_by_role("status").first).to_have_text("Connected" if english else "Connexion établie")

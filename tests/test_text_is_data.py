"""Text is data on every page, whatever built the message (issue 19).

Outside text — a cell of an imported file, a template's step title, a news link, an imported
network, the facilitator's minutes, the query string — reaches pages through translated messages,
Markdown and links. Each page here is rendered with markup in every field and parsed: no element,
event-handler attribute or script link may come from that text, and what follows it stays on the
page. The test client applies no Content-Security-Policy, so an escaping hole shows even where the
policy would have blocked it in a browser.
"""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kit.core.db import get_session
from kit.network import networks
from tests.test_places import csv_file, line

SAME_ORIGIN = {"Origin": "http://localhost"}
VECTORS = [
    v
    for v in (Path(__file__).parent / "data" / "xss-vectors.txt").read_text(encoding="utf-8").splitlines()
    if v.strip() and not v.startswith("#|")
]
# tags no outside text may create, whatever page it lands on
# (the pages' own scripts are files of /static/, and kit's pages draw no image of their own)
FORBIDDEN_TAGS = {
    "img",
    "svg",
    "iframe",
    "object",
    "embed",
    "plaintext",
    "xmp",
    "math",
    "video",
    "audio",
    "marquee",
    "base",
    "frame",
    "frameset",
    "isindex",
    "template",
}


class Elements(html.parser.HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def injected(page: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """What the page holds that outside text put there: elements, handlers, script links."""
    found = []
    for tag, attrs in parsed(page).tags:
        # the admin page's gallery frames kit's own previews of a template's screens
        own_preview = tag == "iframe" and (attrs.get("src") or "").startswith("/admin/templates/")
        if tag in FORBIDDEN_TAGS - allowed and not own_preview:
            found.append(f"<{tag}>")
        if tag == "script" and not (attrs.get("src") or "").startswith("/static/"):
            found.append(f"<script src={attrs.get('src')}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if (
                name in ("href", "src", "action", "formaction")
                and value
                and value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
            ):
                found.append(f"<{tag} {name}={value}>")
    return found


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    return client


@pytest.fixture
def network_id(app: Flask) -> int:
    with app.app_context():
        return networks.create_network(get_session(), "Réseau de Vitré", "Vitré Communauté", "epci").id


# -- 1. translated messages with values --------------------------------------------------------------
def test_the_places_import_preview_shows_a_cells_markup_as_text(app, admin, network_id):
    evil = "<img src=x onerror=alert(1)>"
    rows = [
        line(id="ok-1"),
        line(id="ok-2"),
        line(id="s", services=evil),
        line(id="t", typologie="<img src=x onerror=alert(2)>"),
        line(id="f", formations_labels="<img src=x onerror=alert(3)>"),
        line(id="p", services="<plaintext>"),
        line(id="ok-1"),  # the same id again: a message with a number in it
        line(id="x", telephone="02 99 75 00 00", formations_labels="<svg onload=alert(4)>"),
    ]
    response = admin.post(
        f"/networks/{network_id}/places/import",
        data={"file": (__import__("io").BytesIO(csv_file(*rows)), "lieux.csv")},
        headers=SAME_ORIGIN,
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert injected(page) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;plaintext&gt;" in page
    [button] = [attrs for tag, attrs in parsed(page).tags if tag == "button" and attrs.get("name") == "valid_only"]
    assert "Importer seulement les" in page and "lignes valides</button>" in page


def test_the_admin_page_shows_a_broken_templates_title_and_activity_as_text(app, admin, tmp_path):
    folder = tmp_path / "evil-sessions"
    folder.mkdir()
    (folder / "title.toml").write_text(
        'title = "T"\n[[steps]]\ntitle = "<img src=x onerror=alert(1)>"\nactivity = "nope"\n', encoding="utf-8"
    )
    (folder / "activity.toml").write_text(
        'title = "T"\n[[steps]]\ntitle = "Un"\nactivity = "<plaintext>"\n', encoding="utf-8"
    )
    (folder / "key.toml").write_text(
        'title = "T"\n[[steps]]\ntitle = "<svg onload=alert(2)>"\nactivity = "board"\n'
        '"<img src=y onerror=alert(3)>" = 1\n',
        encoding="utf-8",
    )
    app.config["SESSIONS_DIRS"] = [*app.config["SESSIONS_DIRS"], str(folder)]
    page = admin.get("/admin").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;plaintext&gt;" in page
    assert injected(page) == []
    assert "</html>" in page


def test_a_lazy_message_escapes_its_values_and_only_them(app):
    from markupsafe import escape

    from kit.core.i18n import lazy_gettext

    with app.test_request_context("/?lang=en"):
        message = lazy_gettext("Not in the standard's list: %(values)s.", values="<b>x</b>")
        assert str(message) == "Not in the standard's list: <b>x</b>."
        assert str(escape(message)) == "Not in the standard's list: &lt;b&gt;x&lt;/b&gt;."


def test_every_lazy_message_of_kit_is_one_that_escapes_its_values():
    kit = Path(__file__).parent.parent / "kit"
    direct = [
        str(path.relative_to(kit))
        for path in kit.rglob("*.py")
        if "flask_babel import lazy_gettext" in path.read_text(encoding="utf-8")
        or "flask_babel.lazy_gettext" in path.read_text(encoding="utf-8")
    ]
    assert direct == [], "use kit.core.i18n.lazy_gettext, whose values are escaped in pages"


# -- 2. links in the Markdown minutes ----------------------------------------------------------------
def test_a_news_link_is_a_plain_web_address_in_the_markdown_minutes(db):
    from kit.activities import activity_for
    from kit.core.markdown_text import to_safe_html
    from kit.meeting import lifecycle
    from kit.meeting.templates import StepTemplate
    from tests.conftest import gen_template

    tricky = "https://example.org/><img/src=x/onerror=alert(1)>"
    items = [
        {"type": "event", "title": "Ouvert", "link": tricky},
        {"type": "event", "title": "Guillemets", "link": 'https://example.org/a"b`c\\d'},
    ]
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("news", "Actualité", "", {"items": items})))
    step = meeting.steps[0]
    markdown = activity_for(step).minutes_section([], {})
    assert "<img" not in markdown and "><" not in markdown, markdown
    assert "<https://example.org/%3E%3Cimg/src=x/onerror=alert(1)%3E>" in markdown
    assert injected(to_safe_html(markdown)) == []
    # where they are shown too: a link that got past the forms (an edited file, an old database)
    step.options = {"items": [{"type": "event", "title": "Script", "link": "javascript:alert(1)"}]}
    markdown = activity_for(step).minutes_section([], {})
    assert "<javascript" not in markdown and "](javascript" not in markdown, markdown


# -- 3. a network's JSON import runs the forms' validation -------------------------------------------
EDITS = {
    # a prepared news item (step options) with a script link
    "step options": lambda e: e["meetings"][0]["steps"][1].update(
        activity="news", options={"items": [{"type": "event", "title": "X", "link": "javascript:alert(1)"}]}
    ),
    # a participant's contribution that no form would have taken
    "contribution": lambda e: e["meetings"][0]["contributions"][0]["data"].update(name="<b>" * 2000),
    # a place's website
    "place": lambda e: e["places"][0]["data"].update(site_web=["javascript:alert(1)"]),
}


@pytest.mark.parametrize("edit", [None, *EDITS], ids=["as exported", *EDITS])
def test_a_network_import_is_checked_as_the_forms_check(db, tmp_path, edit):
    import copy

    from kit import create_app
    from kit.core.errors import KitError
    from kit.network.transfer import export_network, import_network
    from tests.test_transfer import busy_network

    exported = copy.deepcopy(export_network(db, busy_network(db)))
    if edit:
        EDITS[edit](exported)
    elsewhere = create_app({"INSTANCE_PATH": str(tmp_path / "elsewhere"), "ASYNC_MODE": "threading"})
    with elsewhere.app_context():
        other = get_session()
        if edit is None:
            assert import_network(other, exported).name == "Réseau de Vitré"
            return
        with pytest.raises(KitError) as caught:
            import_network(other, exported)
        assert caught.value.code == "bad_import"
        assert networks.all_networks(other) == []


# -- 5. the language switch keeps the query as a query -----------------------------------------------
@pytest.mark.parametrize("query", ["_method=POST", "endpoint=x", "_external=1&_anchor=<b>", "_scheme=javascript"])
def test_the_language_switch_answers_any_query_string(client, query):
    response = client.get("/?" + query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [switch] = [attrs for tag, attrs in parsed(page).tags if tag == "a" and attrs.get("hreflang")]
    assert switch["href"].startswith("/?") and "lang=" in switch["href"], switch
    assert injected(page) == []


# -- 4. an unclosed <style> or <script> in the minutes hides nothing ---------------------------------
@pytest.mark.parametrize("tag", ["<style>", "<script>", "<STYLE>", "<script src=x>"])
def test_an_unclosed_style_or_script_in_the_minutes_keeps_what_follows(tag):
    from kit.core.markdown_text import to_safe_html

    html = to_safe_html(f"Avant\n\n{tag}\n\nAprès, la suite du compte rendu.")
    assert "Avant" in html and "Après, la suite du compte rendu." in html, html
    assert injected(html) == [] and "<style" not in html.lower() and "<script" not in html.lower()

"""Cross-site scripting: every known trick of tests/data/xss-vectors.txt, sent where people type and
where facilitators prepare, then shown in real Chromium and read in every export.

The vectors go in as participants' names and directory entries (check-in), news, needs, roadmap
items, board cards and project ideas, and as a template's step titles, prompts and options, a
meeting's title, place and host, a network's name. Then the screen, the console and the phone of
each step, the draft minutes, the published minutes page, the network page, a member's own
directory page and a participant's personal page (what they sent, and the question before deleting)
are opened in Chromium — with the Content-Security-Policy *bypassed*, so that an
escaping hole shows even though the policy would have blocked it — and each must:

- run nothing: no dialog, `window.__xss` (the vectors' sentinel) never set, no script error;
- hold no injected markup: no event-handler attribute, no javascript:/data: link, no foreign script,
  frame, object or image from elsewhere;
- show the text as text: what was sent is found in the page's visible text.

The Atom feed, the Markdown, JSON, CSV and iCalendar exports are read as text: HTML carried inside
is only safe tags, Markdown escapes what it shows, CSV neutralises formulas, iCalendar keeps one event
per item. At the end the test prints the count of vectors × surfaces.
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser import Room, browser_fixture, room_fixture, server_fixture  # noqa: F401  (fixtures: browser, room, server)
from tests.server import KitServer, LiveClient, Phone

pytestmark = pytest.mark.e2e

VECTORS_FILE = Path(__file__).parent / "data" / "xss-vectors.txt"


def load_vectors() -> list[str]:
    lines = VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#|")]


VECTORS = load_vectors()
# for the shared `server` fixture: one writer sends every vector to every step
SERVER_ENV = {"KIT_RATE_LIMIT": "100000", "KIT_LIVE_BUDGETS": '{"contribute": [100000, 100000]}'}


def one_line(vector: str, limit: int = 1000) -> str:
    return vector.replace("⏎", " ")[:limit].strip()


def multi_line(vector: str) -> str:
    return vector.replace("⏎", "\n").strip()


# bidi embeddings, overrides and isolates: kit drops them from what people send (kit.core.validation)
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def norm(text: str) -> str:
    """Text as a page shows it: runs of white space are one space, bidi controls dropped."""
    return " ".join(text.translate(BIDI_CONTROLS).split())


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# what a page holds that it should not, found in the document as the browser built it
INJECTED = """() => {
    const found = [];
    const here = location.origin;
    const dangerous = /^\\s*(javascript|vbscript|data):/i;
    const linking = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'background', 'poster'];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const name = a.name.toLowerCase();
            if (name.startsWith('on')) found.push(`${el.tagName} ${name}=${a.value.slice(0, 40)}`);
            const link = linking.includes(name) && dangerous.test(a.value);
            if (link) found.push(`${el.tagName} ${name}=${a.value.slice(0, 40)}`);
            if (name === 'style' && /expression|javascript/i.test(a.value)) found.push(`${el.tagName} style`);
        }
    }
    for (const s of document.querySelectorAll('script')) {
        if (!s.src || new URL(s.src).origin !== here) found.push('script: ' + s.outerHTML.slice(0, 60));
    }
    const foreign = 'iframe, frame, object, embed, base, meta[http-equiv], isindex, keygen, marquee, math, ' +
        'svg script, svg animate, svg set, svg use, video, audio, link[rel=stylesheet][href^="data:"]';
    for (const el of document.querySelectorAll(foreign)) {
        // the admin page's gallery frames kit's own previews of a template's screens
        const own = el.tagName === 'IFRAME' && new URL(el.src, location.href).origin === here &&
            new URL(el.src, location.href).pathname.startsWith('/admin/templates/');
        if (!own) found.push('element: ' + el.outerHTML.slice(0, 60));
    }
    for (const img of document.querySelectorAll('img')) {
        if (new URL(img.src, location.href).origin !== here) found.push('image: ' + img.src.slice(0, 60));
    }
    return found;
}"""


class Inspector:
    """Opens pages in one watched browser and keeps what it found, surface by surface."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.problems: list[str] = []
        self.checked: dict[str, int] = {}  # surface → number of vectors whose text was looked for there

    def page(self, **options: Any) -> Any:
        # the policy would block most of these anyway: bypass it, so escaping alone is judged
        page = self.room.page(bypass_csp=True, **options)
        page.on("dialog", lambda dialog: (self.dialogs.append(f"{page.url}: {dialog.message}"), dialog.dismiss()))
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(f"{page.url}: {message.text} {message.location}")
                if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
                else None
            ),
        )
        return page

    def look(self, page: Any, surface: str, expected: list[str], *, settle: Any = None) -> None:
        """The page as it is now: nothing ran, nothing injected, and each expected text is there as text."""
        if settle is not None:
            settle()
        page.wait_for_timeout(150)  # a handler that an injected element would fire on load has fired
        if page.evaluate("() => window.__xss !== undefined"):
            self.problems.append(f"{surface}: window.__xss was set")
        injected = page.evaluate(INJECTED)
        if injected:
            self.problems.append(f"{surface}: injected markup: {injected[:5]}")
        visible = norm(page.evaluate("() => document.body.innerText"))
        missing = [text for text in expected if norm(text) not in visible]
        for _ in range(40):  # a live page may still be drawing (a slow machine): give it up to 10 s
            if not missing:
                break
            page.wait_for_timeout(250)
            visible = norm(page.evaluate("() => document.body.innerText"))
            missing = [text for text in expected if norm(text) not in visible]
        if missing:
            self.problems.append(f"{surface}: {len(missing)} texts not shown as text, e.g. {missing[:3]}")
        self.checked[surface] = len(expected)

    def read(self, surface: str, count: int, problems: list[str]) -> None:
        self.problems += [f"{surface}: {p}" for p in problems]
        self.checked[surface] = count


class SafeHTML(html.parser.HTMLParser):
    """HTML that a feed or the minutes carry: only plain tags, links to the web, no handlers."""

    ALLOWED = {
        "h1", "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "blockquote", "code", "pre",
        "a", "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "style"):
                self.problems.append(f"<{tag} {name}>")
            if name == "href" and urlsplit(value or "").scheme not in ("http", "https", "mailto"):
                self.problems.append(f"<{tag} href={value}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def safe_html_problems(fragment: str) -> tuple[list[str], str]:
    parser = SafeHTML()
    parser.feed(fragment)
    parser.close()
    return parser.problems, norm(" ".join(parser.text))


def texts_missing(expected: list[str], shown: str) -> list[str]:
    return [text for text in expected if norm(text) not in shown]


# -- the meeting, its template full of vectors ------------------------------------------------------------


def template_text(title: str) -> str:
    """A template whose step titles, prompts and options are vectors (as a facilitator would prepare it)."""
    import tomli_w

    prompts = chunks([multi_line(v) for v in VECTORS], 23)
    titles = [one_line(v, 200) for v in VECTORS]
    steps: list[dict[str, Any]] = [
        {
            "activity": "checkin",
            "title": titles[0],
            "prompt": "\n".join(prompts[0]),
            "options": {
                "host": one_line(VECTORS[1], 200),
                "presentation": multi_line(VECTORS[2]),
                "skills": [one_line(v, 60) for v in VECTORS[3:13]],
            },
        },
        {
            "activity": "news",
            "title": titles[1],
            "prompt": "\n".join(prompts[1]),
            "options": {
                "items": [
                    {"type": "event", "title": one_line(v, 200), "description": multi_line(v), "date": "2099-01-15"}
                    for v in VECTORS[13:23]
                ]
            },
        },
        {"activity": "needs", "title": titles[2], "prompt": "\n".join(prompts[2])},
        {"activity": "roadmap", "title": titles[3], "prompt": "\n".join(prompts[3])},
        {"activity": "board", "title": titles[4], "prompt": "\n".join(prompts[4])},
        {
            "activity": "topics",
            "title": titles[5],
            "prompt": "\n".join(prompts[5]),
            "options": {"topics": [{"title": one_line(v, 200)} for v in VECTORS[23:29]]},
        },
    ]
    # steps never reached: their titles are listed in the console and at the end of the minutes
    steps += [{"activity": "board", "title": t} for t in titles[6 : 6 + 40 - len(steps)]]
    return tomli_w.dumps({"title": title, "language": "fr", "steps": steps})


class Scenario:
    def __init__(self, server: KitServer, tmp: Path) -> None:
        from kit import create_app
        from kit.core.db import get_session
        from kit.meeting import lifecycle
        from kit.meeting.templates import load_template
        from kit.network import networks

        self.server = server
        self.url = server.url
        path = tmp / "xss.toml"
        self.meeting_title = one_line(VECTORS[29], 200)
        path.write_text(template_text(self.meeting_title), encoding="utf-8")
        app = create_app({"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"})
        with app.app_context():
            db = get_session()
            network = networks.create_network(db, one_line(VECTORS[30], 200), one_line(VECTORS[31], 200))
            meeting = lifecycle.create_meeting(
                db,
                load_template(path),
                title=self.meeting_title,
                place=one_line(VECTORS[32], 200),
                host=one_line(VECTORS[33], 200),
                network_id=network.id,
            )
            self.code = meeting.code
            self.console_key = meeting.facilitator_key
            self.screen_key = meeting.screen_key
            self.share_token = meeting.share_token
            self.network_id = network.id
            self.feed_token = network.feed_token
            self.network_name = network.name
            self.steps = [(s.id, s.activity, s.title, s.prompt) for s in meeting.steps]
            self.place, self.host = meeting.place, meeting.host
        self.admin_token = (server.instance / "admin-token").read_text().strip()
        self.console = LiveClient(self.url, "console", {"meeting": self.code, "key": self.console_key})
        self.tokens: list[str] = []

    @property
    def links(self) -> dict[str, str]:
        return {
            "screen": f"{self.url}/m/{self.code}/screen?key={self.screen_key}",
            "console": f"{self.url}/m/{self.code}/console?key={self.console_key}",
            "phone": f"{self.url}/j/{self.code}",
        }

    def drive(self, event: str, payload: Any = None) -> dict[str, Any]:
        ack = self.console.call(event, payload)
        assert ack["ok"], ack
        return dict(ack)

    def check_in_everyone(self) -> None:
        """One person per vector: named by it, and checked in with it as structure, role and skill."""

        def person(vector: str) -> str:
            phone = Phone(self.url, self.code, one_line(vector, 60))
            try:
                step_id = self.steps[0][0]
                data = {
                    "name": one_line(vector, 60),
                    "structure": one_line(vector, 120),
                    "territory": one_line(vector, 120),
                    "role": one_line(vector, 120),
                    "offers_other": one_line(vector, 60).replace(",", " "),
                    "share": "yes",
                }
                ack = phone.call("contribute", {"client_id": "checkin", "step_id": step_id, "data": data})
                assert ack["ok"], (vector, ack)
                return str(phone.auth["token"])
            finally:
                phone.close()

        with ThreadPoolExecutor(6) as pool:
            self.tokens = list(pool.map(person, VECTORS))


def test_no_vector_runs_and_every_vector_shows_as_text(server: KitServer, room: Room, tmp_path: Path) -> None:
    scenario = Scenario(server, tmp_path)
    inspector = Inspector(room)
    screen, console = inspector.page(viewport={"width": 1920, "height": 1080}), inspector.page()
    phone = inspector.page(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    # each step holds all 132 vectors: the screen lays its pages out before the page has loaded,
    # which took up to 7 s on a 2-core machine drawing without a GPU, and the console draws 132
    # cards with their tools; with the rest of the suite running beside them, 10 s (every page's
    # default) was not always enough
    for page in (screen, console, phone):
        page.set_default_timeout(30_000)
    phone_name = one_line(VECTORS[34], 60)
    try:
        phone.goto(scenario.links["phone"])
        phone.locator("#name, [name=name]").first.fill(phone_name)
        phone.locator("[name=structure]").first.fill(one_line(VECTORS[35], 120))
        phone.locator("form button[type=submit]").first.click()
        phone.wait_for_selector("[data-me=name]")
        inspector.look(phone, "phone: waiting", [phone_name])

        scenario.drive("start")
        scenario.check_in_everyone()
        writer = Phone(scenario.url, scenario.code, "Rédactrice")
        sent: dict[int, list[int]] = {}

        def send_all(step_index: int, data_for: Any) -> list[str]:
            step_id = scenario.steps[step_index][0]
            shown = []
            ids = []
            for n, vector in enumerate(VECTORS):
                data, text = data_for(n, vector)
                ack = writer.call("contribute", {"client_id": f"s{step_id}-{n}", "step_id": step_id, "data": data})
                assert ack["ok"], (vector, ack)
                ids.append(ack["id"])
                shown.append(text)
            sent[step_index] = ids
            return shown

        def open_views(step_index: int, items: list[str], *, phone_sees: bool, on_screen: int | None = None) -> None:
            _, activity, title, prompt = scenario.steps[step_index]
            heading = [title, *prompt.split("\n")]
            screen.goto(scenario.links["screen"])
            screen.wait_for_selector(f'[data-step="{scenario.steps[step_index][0]}"], .screen-step, #stage h1')
            # the screen shows its cards a page at a time: every page at once, to read them all
            screen.keyboard.press("PageUp")
            # (a style, not a class removed: the screen lays its pages out again as counts arrive)
            screen.add_style_tag(content="html body.screen .off-page { display: revert !important; }")
            inspector.look(screen, f"screen: {activity}", heading + items[:on_screen])
            console.goto(scenario.links["console"])
            console.wait_for_selector("#stage h1, #stage h2")
            inspector.look(console, f"console: {activity}", [title, *items])
            phone.goto(scenario.links["phone"])
            phone.wait_for_selector(f'[data-step="{scenario.steps[step_index][0]}"]')
            inspector.look(phone, f"phone: {activity}", heading + (items if phone_sees else []))

        # check-in: the names and what people said of themselves
        names = [one_line(v, 60) for v in VECTORS]
        open_views(0, names, phone_sees=False)

        scenario.drive("next")  # news
        news = send_all(
            1,
            lambda n, v: ({"type": "study", "title": one_line(v, 200), "description": multi_line(v)}, one_line(v, 200)),
        )
        for bad in ("javascript:window.__xss=1", "data:text/html,<script>window.__xss=1</script>", "https://x y"):
            refused = writer.call(
                "contribute",
                {
                    "client_id": f"link-{bad[:4]}",
                    "step_id": scenario.steps[1][0],
                    "data": {"type": "study", "title": "Lien", "link": bad},
                },
            )
            assert not refused["ok"] and refused["error"]["field"] == "link", refused
        for contribution_id in sent[1][:5]:
            scenario.drive("act", {"action": "accept", "id": contribution_id})
        open_views(1, news, phone_sees=False, on_screen=5)  # the screen shows what was accepted

        scenario.drive("next")  # needs
        needs = send_all(2, lambda n, v: ({"text": multi_line(v)}, multi_line(v)))
        for contribution_id in sent[2][:5]:
            scenario.drive("act", {"action": "defer", "id": contribution_id, "channel": "next_meeting"})
        open_views(2, needs, phone_sees=True)

        scenario.drive("next")  # roadmap
        roadmap = send_all(
            3, lambda n, v: ({"kind": "item", "section": "workstreams", "text": multi_line(v)}, multi_line(v))
        )
        for contribution_id in sent[3][:5]:
            scenario.drive("act", {"action": "validate", "id": contribution_id})
        open_views(3, roadmap, phone_sees=False)

        scenario.drive("next")  # board
        board = send_all(4, lambda n, v: ({"text": multi_line(v)}, multi_line(v)))
        open_views(4, board, phone_sees=False)

        scenario.drive("next")  # project ideas
        ideas = send_all(5, lambda n, v: ({"topic": n % 6, "text": multi_line(v)}, multi_line(v)))
        open_views(5, ideas, phone_sees=False)
        writer_token = str(writer.auth["token"])
        writer.close()

        # the draft minutes in the facilitator's editor (text area and preview)
        scenario.drive("close")
        console.goto(f"{scenario.url}/m/{scenario.code}/minutes?key={scenario.console_key}")
        draft = console.locator("textarea").first.input_value()
        inspector.look(console, "draft minutes", [])
        assert "<script" not in draft and "<img" not in draft, "the draft's Markdown carries raw HTML"
        scenario.drive("publish")

        # the published minutes, as anyone with the link reads them
        unreached = [s[2] for s in scenario.steps[6:]]
        everything = names + news + needs + roadmap + board + ideas
        minutes = inspector.page()
        minutes.goto(f"{scenario.url}/minutes/{scenario.share_token}")
        inspector.look(minutes, "minutes page", [scenario.meeting_title, *everything, *unreached])
        phone.goto(scenario.links["phone"])
        inspector.look(phone, "phone: after the meeting", [])

        # the network page (admin): waiting needs, roadmap as it stands, directory
        desk = inspector.page()
        desk.goto(f"{scenario.url}/admin?token={scenario.admin_token}")
        inspector.look(desk, "admin", [scenario.meeting_title, scenario.network_name])
        desk.goto(f"{scenario.url}/networks/{scenario.network_id}")
        inspector.look(desk, "network page", [scenario.network_name, *needs[:5], *roadmap[:5], *names])
        own = inspector.page()
        own.goto(f"{scenario.url}/directory/{scenario.tokens[0]}")
        inspector.look(own, "own directory entry", [])
        values = own.evaluate("() => Array.from(document.querySelectorAll('input[name]')).map(i => i.value)")
        assert one_line(VECTORS[0], 60) in values

        # the writer's personal page lists everything it sent, and asks before deleting one
        own.goto(f"{scenario.url}/mine/{writer_token}")
        inspector.look(own, "personal page (what you sent)", [*needs, *board])
        own.goto(f"{scenario.url}/mine/{writer_token}/{sent[4][0]}")
        inspector.look(own, "personal page (delete question)", [board[0]])

        exports(scenario, inspector, everything, names)
    finally:
        scenario.console.close()

    total = sum(inspector.checked.values())
    print(f"\nXSS: {len(VECTORS)} vectors; {len(inspector.checked)} surfaces; {total} vector × surface checks")
    for surface, count in inspector.checked.items():
        print(f"  {surface}: {count}")
    assert not inspector.dialogs, f"a dialog opened: {inspector.dialogs[:5]}"
    assert not inspector.problems, "\n".join(inspector.problems)
    assert not inspector.console_errors, "\n".join(inspector.console_errors[:10])


def exports(scenario: Scenario, inspector: Inspector, everything: list[str], names: list[str]) -> None:
    """The feed and the exports, read as text."""
    base = f"{scenario.url}/minutes/{scenario.share_token}"

    # Atom: the minutes inside are HTML made safe; the text is all there
    feed = requests.get(f"{scenario.url}/feeds/{scenario.feed_token}.atom", timeout=10)
    assert feed.status_code == 200
    root = ET.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    contents = [e.text or "" for e in root.iter(f"{atom}content")]
    assert len(contents) == 1
    problems, text = safe_html_problems(contents[0])
    inspector.read(
        "Atom feed", len(everything), problems + [f"missing {t[:40]!r}" for t in texts_missing(everything, text)][:5]
    )

    # Markdown: no raw HTML, no link or image of a vector's making; rendered, it is safe and complete
    markdown = requests.get(f"{base}.md", timeout=10).text
    raw = [tag for tag in re.findall(r"<\s*/?\s*([a-zA-Z]+)", markdown)]
    links = re.findall(r"\]\(\s*([a-zA-Z]+:)", markdown)
    from kit.core.markdown_text import to_safe_html

    problems, text = safe_html_problems(to_safe_html(markdown))
    problems += [f"raw HTML <{t}>" for t in raw[:5]] + [f"link {scheme}" for scheme in links[:5]]
    inspector.read(
        "Markdown export",
        len(everything),
        problems + [f"missing {t[:40]!r}" for t in texts_missing(everything, text)][:5],
    )

    # JSON: data, served as data; every text comes back exactly as sent
    answer = requests.get(f"{base}.json", timeout=10)
    problems = [] if answer.headers["Content-Type"].startswith("application/json") else ["not served as JSON"]
    dumped = json.dumps(answer.json(), ensure_ascii=False)
    data_texts = json.loads(dumped)
    flat = norm(" ".join(str(v) for v in _strings(data_texts)))
    inspector.read(
        "JSON export", len(everything), problems + [f"missing {t[:40]!r}" for t in texts_missing(everything, flat)][:5]
    )

    # CSV: no cell a spreadsheet would run as a formula; every text is in a cell
    table = requests.get(f"{scenario.url}/m/{scenario.code}/export.csv?key={scenario.console_key}", timeout=10)
    assert table.status_code == 200, table.status_code
    rows = list(
        csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";" if ";" in table.text[:200] else ",")
    )
    formulas = [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    cells = norm(" ".join(cell.lstrip("'") for row in rows for cell in row))
    inspector.read(
        "CSV export",
        len(everything) - len(names),
        [f"formula cell {c[:30]!r}" for c in formulas[:5]]
        + [f"missing {t[:40]!r}" for t in texts_missing([t for t in everything if t not in names], cells)][:5],
    )

    # iCalendar: the prepared news dates make events; a vector never adds a line of its own
    calendar = requests.get(f"{base}.ics", timeout=10)
    assert calendar.status_code == 200
    import icalendar

    parsed = icalendar.Calendar.from_ical(calendar.content)
    events = [c for c in parsed.walk("VEVENT")]
    unfolded = calendar.text.replace("\r\n ", "")
    starts = [line for line in unfolded.split("\r\n") if line.startswith("BEGIN:VEVENT")]
    summaries = [str(e.get("summary")) for e in events]
    problems = [] if len(starts) == len(events) else ["a text broke out of its line"]
    problems += [
        f"missing event {t[:40]!r}"
        for t in [one_line(v, 200) for v in VECTORS[13:23]]
        if not any(norm(t) in norm(s) for s in summaries)
    ]
    inspector.read("iCalendar export", 10, problems[:5])


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)

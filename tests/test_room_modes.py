"""The room's modes, through the live layer: sending without a name, the screen showing only what
the facilitator picked, draft minutes at any moment, and everyone agreeing on the step on screen."""

from __future__ import annotations

from kit.core import queries
from kit.core.models import Contribution
from kit.meeting import lifecycle
from tests.conftest import gen_meeting

SAME_ORIGIN = {"Origin": "http://localhost"}


def events(client, namespace: str, name: str) -> list:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def setup(db, live_clients):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1).id
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    return meeting, board, console


def control(console, action, **extra):  # type: ignore[no-untyped-def]
    return console.emit("control", {"action": action, **extra}, callback=True, namespace="/console")


def joined(live_clients, meeting, name):  # type: ignore[no-untyped-def]
    phone = live_clients("phone", {"meeting": meeting.code})
    ack = phone.emit("join", {"name": name}, callback=True, namespace="/phone")
    return phone, ack


def where(phone) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The step a phone sees now and its version, as its last snapshot or state says."""
    step = phone.emit("sync", callback=True, namespace="/phone")["snapshot"]["step"]
    return step["id"], step["version"]


def send(phone, step_id, cid, version=None, text=None):  # type: ignore[no-untyped-def]
    payload = {"client_id": cid, "step_id": step_id, "data": {"text": text or cid}}
    if version is not None:
        payload["step_version"] = version
    return phone.emit("contribute", payload, callback=True, namespace="/phone")


def texts(db, step_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return [c.data["text"] for c in db.query(Contribution).filter_by(step_id=step_id).order_by(Contribution.id)]


# -- sending without a name --------------------------------------------------------------------
def test_by_default_a_name_is_required_to_join(db, live_clients, client):
    meeting, _board, _console = setup(db, live_clients)
    _phone, ack = joined(live_clients, meeting, "")
    assert ack["ok"] is False and ack["error"]["code"] == "empty"
    page = client.get(f"/j/{meeting.code}")
    assert 'name="name" autocomplete="name" maxlength="60" required' in page.get_data(as_text=True)


def test_when_allowed_a_phone_joins_without_a_name_and_its_words_show_as_anonymous(db, live_clients, client):
    meeting, board, console = setup(db, live_clients)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    assert control(console, "allow_anonymous")["ok"]
    assert "(facultatif)" in client.get(f"/j/{meeting.code}").get_data(as_text=True).split("Votre structure")[0]
    phone, ack = joined(live_clients, meeting, "   ")
    assert ack["ok"], ack
    assert ack["snapshot"]["me"]["name"] == "" and ack["snapshot"]["meeting"]["anonymous_allowed"] is True
    step_id, version = where(phone)
    assert send(phone, step_id, "a1", version, "Sans nom")["ok"]
    item = events(screen, "/screen", "contribution")[-1]
    assert item["item"]["author"] == "Anonyme" and "Anonyme" in item["html"]
    # the join page too
    page = client.post(f"/j/{meeting.code}", data={"name": ""}, headers=SAME_ORIGIN)
    assert page.status_code == 303
    assert [p.shown_name for p in queries.participants(db, meeting)] == ["Anonyme", "Anonyme"]
    assert texts(db, board) == ["Sans nom"]


def test_when_names_are_required_again_a_phone_without_one_is_asked_and_its_text_waits(db, live_clients):
    meeting, board, console = setup(db, live_clients)
    assert control(console, "allow_anonymous")["ok"]
    phone, _ack = joined(live_clients, meeting, "")
    named, _ack = joined(live_clients, meeting, "Awa")
    assert control(console, "require_names")["ok"]
    state = events(phone, "/phone", "state")[-1]
    assert state["meeting"]["anonymous_allowed"] is False, "phones hear names are required now"
    step_id, version = where(phone)
    refused = send(phone, step_id, "n1", version, "Mon idée")
    assert refused["ok"] is False and refused["error"]["code"] == "name_required"
    assert "donner son nom" in refused["error"]["message"], "said plainly, in French"
    assert send(named, step_id, "w1", version, "Idée d'Awa")["ok"], "those with a name still send"
    assert texts(db, board) == ["Idée d'Awa"]
    [card] = db.query(Contribution).filter_by(step_id=board).all()
    # giving a name: empty is refused, then the same text goes through
    bad = phone.emit("give_name", {"name": "  "}, callback=True, namespace="/phone")
    assert bad["ok"] is False and bad["error"]["code"] == "empty"
    given = phone.emit("give_name", {"name": "Bruno"}, callback=True, namespace="/phone")
    assert given["ok"] and given["me"]["name"] == "Bruno"
    assert "Bruno" in events(console, "/console", "state")[-1]["html"], "the console's list of people shows it"
    assert send(phone, step_id, "n1", version, "Mon idée")["ok"]
    assert texts(db, board) == ["Idée d'Awa", "Mon idée"]
    twice = phone.emit("give_name", {"name": "Autre"}, callback=True, namespace="/phone")
    assert twice["error"]["code"] == "already_named", "a name is given once"
    assert card.participant.display_name == "Awa"


def test_the_phone_page_carries_the_name_form_and_the_console_the_switch(db, live_clients, client):
    meeting, _board, console = setup(db, live_clients)
    html = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    assert 'data-control="allow_anonymous"' in html
    assert control(console, "allow_anonymous")["ok"]
    html = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    assert 'data-control="require_names"' in html and "envoi sans nom autorisé" in html
    page = client.post(f"/j/{meeting.code}", data={"name": ""}, headers=SAME_ORIGIN, follow_redirects=True)
    assert 'id="name-form"' in page.get_data(as_text=True)


# -- the screen shows only what the facilitator picked ------------------------------------------
def test_the_screen_shows_only_the_picked_contributions_and_back(db, live_clients):
    meeting, board, console = setup(db, live_clients)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phone, _ack = joined(live_clients, meeting, "Awa")
    step_id, version = where(phone)
    ids = [send(phone, step_id, f"c{n}", version, f"Idée {n}")["id"] for n in range(4)]

    def pick(action, target):  # type: ignore[no-untyped-def]
        return console.emit("moderate", {"action": action, "id": target}, callback=True, namespace="/console")

    def tools(target):  # type: ignore[no-untyped-def]
        return console.emit("item_menu", {"id": target}, callback=True, namespace="/console")["html"]

    assert pick("pick", ids[1])["ok"] and pick("pick", ids[3])["ok"]
    console_html = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    assert "choisie pour l'écran" in console_html, "the console's cards say what is picked"
    assert f'id="pick-{ids[1]}" data-moderate="unpick"' in tools(ids[1]), "and its menu can take it back"
    assert f'id="pick-{ids[0]}" data-moderate="pick"' in tools(ids[0])
    assert control(console, "screen_picked_only")["ok"]
    console_html = console.emit("sync", callback=True, namespace="/console")["snapshot"]["html"]
    assert f'id="pick-{ids[1]}" data-moderate="unpick"' in console_html, "now picking is each card's main action"
    assert f'id="pick-{ids[0]}" data-moderate="pick"' in console_html
    state = events(screen, "/screen", "state")[-1]
    assert [i["data"]["text"] for i in state["items"]] == ["Idée 1", "Idée 3"]
    assert "Idée 0" not in state["html"] and "Idée 3" in state["html"]
    assert state["meeting"]["screen_picked_only"] is True
    # something new does not appear on the screen while it shows only the picked ones
    screen.get_received("/screen")
    send(phone, step_id, "c4", version, "Idée 4")
    assert not events(screen, "/screen", "contribution")
    console_items = console.emit("sync", callback=True, namespace="/console")["snapshot"]["items"]
    assert len(console_items) == 5, "the console still sees everything"
    # unpicking takes it off the screen; back to everything
    assert pick("unpick", ids[1])["ok"]
    assert [i["data"]["text"] for i in events(screen, "/screen", "state")[-1]["items"]] == ["Idée 3"]
    assert control(console, "screen_everything")["ok"]
    assert len(events(screen, "/screen", "state")[-1]["items"]) == 5
    # picking is the facilitator's, and only of this meeting's contributions
    assert pick("pick", 999_999)["error"]["code"] == "not_found"
    refused = phone.emit("moderate", {"action": "pick", "id": ids[0]}, callback=True, namespace="/phone")
    assert refused["error"]["code"] == "forbidden"


# -- draft minutes at any moment -----------------------------------------------------------------
def test_draft_minutes_while_the_meeting_is_live(db, live_clients, client):
    meeting, board, console = setup(db, live_clients)
    phone, _ack = joined(live_clients, meeting, "Awa")
    step_id, version = where(phone)
    assert send(phone, step_id, "d1", version, "Un guide <script>alert(1)</script> **gras**")["ok"]
    key = meeting.facilitator_key
    markdown = client.get(f"/m/{meeting.code}/minutes/draft.md?key={key}")
    assert markdown.status_code == 200 and markdown.content_type.startswith("text/markdown")
    body = markdown.get_data(as_text=True)
    assert body.startswith("# Rencontre test") and "Un guide" in body and "Awa" in body
    assert "Brouillon écrit par kit pendant la réunion" in body
    assert "Étapes pas encore abordées\u00a0: Évaluation" in body, "the steps not reached yet are named"
    assert "attachment" in markdown.headers["Content-Disposition"]
    preview = client.get(f"/m/{meeting.code}/minutes/draft?key={key}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Un guide" in html
    assert "<script>alert(1)</script>" not in html, "made safe like the published minutes"
    assert meeting.status == "live" and meeting.minutes_md is None, "nothing was closed or stored"
    console_page = client.get(f"/m/{meeting.code}/console?key={key}", follow_redirects=True).get_data(as_text=True)
    assert f"/m/{meeting.code}/minutes/draft.md" in console_page
    assert client.get(f"/m/{meeting.code}/minutes/draft.md?key=wrong").status_code == 403


def test_draft_minutes_of_a_meeting_ended_early_and_of_one_not_started(db, client):
    early = gen_meeting(db, live=True)
    lifecycle.close(db, early)
    body = client.get(f"/m/{early.code}/minutes/draft.md?key={early.facilitator_key}").get_data(as_text=True)
    assert "Étapes non abordées pendant cette réunion\u00a0: Besoins, Évaluation" in body, "nothing left empty"
    assert body == early.minutes_md, "once closed, the draft is the minutes being reviewed"
    fresh = gen_meeting(db)
    body = client.get(f"/m/{fresh.code}/minutes/draft.md?key={fresh.facilitator_key}").get_data(as_text=True)
    assert body.startswith("# Rencontre test") and "Personne n'a rejoint la réunion." in body
    assert "Étapes pas encore abordées\u00a0: Accueil, Besoins, Évaluation" in body


# -- everyone agrees on the step on screen ----------------------------------------------------------
def test_every_message_about_the_step_carries_its_id_and_version(app, db, live_clients):
    meeting, board, console = setup(db, live_clients)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phone, ack = joined(live_clients, meeting, "Awa")
    step = ack["snapshot"]["step"]
    assert step["id"] == board and step["version"] == meeting.step_version > 0
    assert send(phone, board, "v1", step["version"])["ok"]
    item = events(screen, "/screen", "contribution")[-1]
    assert (item["step_id"], item["step_version"]) == (board, step["version"])
    app.extensions["kit.counts"].flush()
    counts = events(phone, "/phone", "counts")[-1]
    assert (counts["step_id"], counts["step_version"]) == (board, step["version"])
    moved = console.emit(
        "next", {"at": {"step_id": board, "step_version": step["version"]}}, callback=True, namespace="/console"
    )
    assert moved["ok"]
    state = events(phone, "/phone", "state")[-1]
    assert state["step"]["id"] == moved["current_step_id"] and state["step"]["version"] > step["version"]
    assert state["meeting"]["step_version"] == state["step"]["version"]


def test_a_phone_behind_the_facilitator_is_told_and_nothing_lands_in_the_wrong_step(db, live_clients):
    meeting, board, console = setup(db, live_clients)
    phones = [joined(live_clients, meeting, name)[0] for name in ("Awa", "Bruno", "Chloé")]
    seen = [where(p) for p in phones]
    assert console.emit("next", callback=True, namespace="/console")["ok"]  # the facilitator moves on…
    evaluation = meeting.steps[2].id
    # …while the three were typing for the board: each sends what they saw
    for n, (phone, (step_id, version)) in enumerate(zip(phones, seen, strict=True)):
        refused = send(phone, step_id, f"late{n}", version, f"Écrit pour le tableau {n}")
        assert refused["ok"] is False and refused["error"]["code"] == "stale_step"
        assert "autre étape" in refused["error"]["message"] and "gardé" in refused["error"]["message"]
    assert texts(db, board) == [] and texts(db, evaluation) == [], "nothing landed anywhere"
    # resynchronised, the same text (same client id) goes to the step they now see
    step_id, version = where(phones[0])
    assert step_id == evaluation
    assert send(phones[0], step_id, "late0", version, "Écrit pour le tableau 0")["ok"]
    assert texts(db, evaluation) == ["Écrit pour le tableau 0"] and texts(db, board) == []
    # showing again the step already on screen does not make anyone stale
    same = where(phones[2])
    assert console.emit("goto", {"step_id": evaluation}, callback=True, namespace="/console")["ok"]
    assert where(phones[2]) == same
    # back to the board: a phone still holding the board's first visit is behind too
    assert console.emit("goto", {"step_id": board}, callback=True, namespace="/console")["ok"]
    refused = send(phones[1], board, "old-visit", seen[1][1])
    assert refused["error"]["code"] == "stale_step"
    assert send(phones[1], board, "new-visit", where(phones[1])[1])["ok"]
    assert texts(db, board) == ["new-visit"]


def test_a_stale_console_command_is_refused_so_two_consoles_do_not_skip_a_step(db, live_clients):
    meeting, board, console = setup(db, live_clients)
    other = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    at = {"step_id": board, "step_version": meeting.step_version}
    assert console.emit("next", {"at": at}, callback=True, namespace="/console")["ok"]
    late = other.emit("next", {"at": at}, callback=True, namespace="/console")
    assert late["ok"] is False and late["error"]["code"] == "stale_step"
    db.expire_all()
    assert meeting.current_step_id == meeting.steps[2].id, "one step forward, not two"
    late = other.emit("act", {"action": "defer", "id": 1, "at": at}, callback=True, namespace="/console")
    assert late["error"]["code"] == "stale_step"
    for bad in (
        {"at": "x"},
        {"at": {"step_id": "2", "step_version": 1}},
        {"at": {"step_id": board, "step_version": -1}},
    ):
        ack = other.emit("previous", bad, callback=True, namespace="/console")
        assert ack["ok"] is False and ack["error"]["code"] in ("bad_request", "stale_step")


def test_programs_that_send_no_step_version_keep_the_old_promise(db, live_clients):
    """Without `step_version` (older clients), text written for an opened step still lands there."""
    meeting, board, console = setup(db, live_clients)
    phone, _ack = joined(live_clients, meeting, "Awa")
    assert console.emit("next", callback=True, namespace="/console")["ok"]
    assert send(phone, board, "offline", text="écrit hors ligne")["ok"]
    assert texts(db, board) == ["écrit hors ligne"]

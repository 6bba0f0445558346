"""People in a meeting: names as people see them (cleaned of what draws nothing, sorted the French
way), links typed without https://, who is counted once the facilitator removed someone, refusals
that say why, and the news proposer told, alone, that their item is on the screen."""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from socketio import packet

from kit.activities import activity_for
from kit.core import queries
from kit.core.collation import sort_key
from kit.core.errors import InvalidInput
from kit.core.extensions import socketio
from kit.core.validation import clean_link, clean_name, clean_text
from kit.live.state import state
from kit.meeting import lifecycle, privacy
from kit.meeting import room as room_control
from kit.meeting.templates import StepTemplate
from kit.publishing import minutes
from kit.web import content_lang
from tests.conftest import gen_meeting, gen_template

# a room of a real network: accents, capitals, a ligature, a hyphen
NAMES = [
    "Zoé Lambert",
    "Élodie Martin",
    "Yannick Le Gall",
    "émile Durand",
    "Œuvre Solidaire (collectif)",
    "Oriane Besson",
    "Éric Dupont",
    "eric Dumas",
    "Ève Normand",
    "Anaïs Ferré",
    "Ángel Ruiz",
    "Bénédicte Colin",
]


# -- names and links, in one place ------------------------------------------------------------
def test_names_sort_the_french_way_accents_and_case_ignored_at_first():
    ordered = sorted(NAMES, key=sort_key)
    assert ordered == [
        "Anaïs Ferré",
        "Ángel Ruiz",
        "Bénédicte Colin",
        "Élodie Martin",
        "émile Durand",
        "eric Dumas",
        "Éric Dupont",
        "Ève Normand",
        "Œuvre Solidaire (collectif)",
        "Oriane Besson",
        "Yannick Le Gall",
        "Zoé Lambert",
    ]
    assert sorted(["Zoé", "Élodie"], key=sort_key) == ["Élodie", "Zoé"]
    # the same letters: without accent first, then with, then by case — never by chance
    assert sorted(["Émile", "emile", "Emile", "émile"], key=sort_key) == ["emile", "Emile", "émile", "Émile"]


@pytest.mark.parametrize(
    "typed",
    [
        "\u200b\u200b",  # zero-width spaces
        "\u202e",  # right-to-left override
        "\u3164\u3164",  # Hangul fillers
        "\u115f",
        "\u2800 \u2800",  # blank braille patterns
        "\u200d\ufeff\u2060",  # joiner, byte-order mark, word joiner
        " \u00a0\t ",
        "\u034f",
    ],
)
def test_a_name_made_only_of_invisible_characters_is_no_name(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_name(typed, "name", 60)
    assert refused.value.code == "empty" and refused.value.field == "name"


def test_a_name_keeps_its_letters_composed_and_loses_what_draws_nothing():
    assert clean_name("Zoe\u0301", "name", 60) == "Zoé"
    assert clean_name("Zo\u200be\u0301 Lam\u202ebert", "name", 60) == "Zoé Lambert"
    assert clean_name("  Élodie\u00a0\u00a0Martin\u2028", "name", 60) == "Élodie Martin"
    assert clean_name("Anaïs\u00ad Ferré", "name", 60) == "Anaïs Ferré"


def test_text_loses_exactly_the_controls_surrogates_and_bidi_controls():
    """clean_text drops its characters with one character class: checked against unicodedata's
    categories over every code point, so the class is the rule, not an approximation of it."""
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    every = [chr(point) for point in range(sys.maxunicode + 1)]
    dropped = "".join(
        ch for ch in every if ch not in "\n\t\r" and (unicodedata.category(ch) in ("Cc", "Cs") or ch in bidi)
    )
    assert len(dropped) == 65 - 3 + 2048 + len(bidi)
    assert clean_text(f"a{dropped}b", "text", 10) == "ab"
    kept = "".join(ch for ch in every if ch not in dropped and ch != "\r" and unicodedata.category(ch) != "Cs")
    # what stays is every other character, as NFC makes it (the test's own normalising, the same)
    assert clean_text(f"a{kept}b", "text", 10 * len(kept)) == unicodedata.normalize("NFC", f"a{kept}b").strip()
    line = "Atelier « démarches en ligne » : aider sans faire à la place."
    assert clean_text(f"{line}\u202e\x07\n" * 2000, "text", 200_000) == (f"{line}\n" * 2000).strip()


def test_joining_with_an_invisible_name_is_refused_and_changes_nothing(db):
    meeting = gen_meeting(db, live=True)
    with pytest.raises(InvalidInput) as refused:
        lifecycle.join(db, meeting, "\u200b\u200b", "CCAS")
    assert refused.value.code == "empty"
    assert queries.participants(db, meeting) == []
    person = lifecycle.join(db, meeting, "Zoe\u0301 \u202eLambert", "CCAS de Vitre\u0301")
    assert (person.display_name, person.structure) == ("Zoé Lambert", "CCAS de Vitré")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("solidarite-numerique.fr", "https://solidarite-numerique.fr"),
        ("www.example.org/page", "https://www.example.org/page"),
        (
            "  lesbonsclics.fr/fr/ressources?theme=arnaques#haut ",
            "https://lesbonsclics.fr/fr/ressources?theme=arnaques#haut",
        ),
        ("pix.fr:8443/parcours", "https://pix.fr:8443/parcours"),
        ("https://www.service-public.fr/particuliers", "https://www.service-public.fr/particuliers"),
        ("http://127.0.0.1:5000/j/ABC", "http://127.0.0.1:5000/j/ABC"),
        ("", ""),
    ],
)
def test_a_link_typed_without_its_scheme_gets_https(typed, stored):
    assert clean_link(typed, "link") == stored


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "JavaScript://solidarite-numerique.fr/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:contact@example.org",
        "ftp://example.org/fichier",
        "solidarite numerique.fr",
        "vbscript:msgbox",
        "solidarite-numerique",
        "https://",
    ],
)
def test_a_link_of_another_kind_is_still_refused_plainly(typed):
    with pytest.raises(InvalidInput) as refused:
        clean_link(typed, "link")
    assert refused.value.field == "link" and "solidarite-numerique.fr" in str(refused.value.message)


def test_a_news_item_and_a_tool_accept_a_link_without_https(db):
    meeting = lifecycle.create_meeting(
        db,
        gen_template(StepTemplate("news", "Actualité", "", {}), StepTemplate("tools", "Outils", "", {})),
    )
    lifecycle.start(db, meeting)
    awa = lifecycle.join(db, meeting, "Awa Diallo", "CCAS")
    news, tools = meeting.steps
    item = {"type": "event", "title": "Forum de l'inclusion numérique", "link": "solidarite-numerique.fr"}
    assert lifecycle.contribute(db, meeting, awa, news.id, "n1", item).contribution.data["link"] == (
        "https://solidarite-numerique.fr"
    )
    lifecycle.move(db, meeting, +1)
    tool = {"name": "Les Bons Clics", "link": "www.lesbonsclics.fr/fr/"}
    assert lifecycle.contribute(db, meeting, awa, tools.id, "t1", tool).contribution.data["link"] == (
        "https://www.lesbonsclics.fr/fr/"
    )
    with pytest.raises(InvalidInput):
        lifecycle.contribute(db, meeting, awa, tools.id, "t2", {"name": "Piège", "link": "javascript:alert(1)"})


# -- a removed participant leaves the attendance and the counts ---------------------------------
def room_of(db, count: int = 12):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True)
    people = [lifecycle.join(db, meeting, name, "Médiathèque de Vitré", "Pays de Vitré") for name in NAMES[:count]]
    return meeting, people


def test_a_removed_participant_leaves_the_attendance_counts_and_minutes_but_their_words_stay(db):
    meeting, people = room_of(db)
    board = lifecycle.move(db, meeting, +1)
    zoe = people[0]
    words = (
        "Proposer un atelier « arnaques au téléphone » à la médiathèque, avec des exemples de SMS reçus "
        "par les usagers, et une fiche à emporter."
    )
    lifecycle.contribute(db, meeting, zoe, board.id, "z1", {"text": words})
    assert lifecycle.counts(db, meeting)["participants"] == 12

    room_control.remove_participant(db, meeting, zoe.id)
    assert lifecycle.counts(db, meeting) == {"participants": 11, "contributions": 1}
    attendance = queries.attendance(db, meeting)
    assert zoe not in attendance and len(attendance) == 11
    assert [p.display_name for p in attendance] == sorted(NAMES[1:12], key=sort_key)
    # what she sent stays, for moderation
    assert [c.data["text"] for c in queries.contributions(db, board)] == [words]

    lifecycle.close(db, meeting)
    text = meeting.minutes_md or ""
    came = text.split("## ", 2)[1]
    assert "(11)" in came and "Zoé Lambert" not in came
    assert came.index("Anaïs Ferré") < came.index("Élodie Martin") < came.index("Yannick Le Gall")
    assert "Zoé Lambert" not in [p["name"] for p in minutes.as_data(db, meeting)["participants"]]


def test_the_check_in_lists_of_the_minutes_sort_names_the_french_way(db):
    meeting, people = room_of(db, 6)
    checkin = meeting.steps[0]
    for n, person in enumerate(reversed(people)):
        data = {"name": person.display_name, "role": "Conseillère numérique", "offers": ["Sécurité et arnaques"]}
        lifecycle.contribute(db, meeting, person, checkin.id, f"c{n}", data)
    activity = activity_for(checkin)
    [(skill, offered, _sought)] = activity.directory(queries.contributions(db, checkin))
    assert offered == sorted(NAMES[:6], key=sort_key)
    section = activity.minutes_section(queries.contributions(db, checkin), {})
    roles = [line.replace("\\", "") for line in section.splitlines() if line.startswith("- ")]
    assert roles == [f"- {name} : Conseillère numérique" for name in sorted(NAMES[:6], key=sort_key)]


def test_erasing_personal_data_still_reaches_the_removed(db):
    meeting, people = room_of(db, 3)
    room_control.remove_participant(db, meeting, people[0].id)
    lifecycle.close(db, meeting)
    privacy.erase_personal_data(db, meeting)
    assert all(person.display_name != NAMES[0] for person in queries.participants(db, meeting))


# -- live: counts, presence, refusals ----------------------------------------------------------
def events(client, namespace: str, name: str) -> list[Any]:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def refusal(app: Flask, code: str, auth: dict[str, Any]) -> list[Any]:
    """What a phone connecting with `auth` is answered, when refused (the error objects)."""
    phone = socketio.test_client(app, namespace="/phone", auth={"meeting": code})
    phone.disconnect(namespace="/phone")
    seen: list[Any] = []
    original = socketio.server._send_packet

    def spy(eio_sid: str, pkt: Any) -> None:
        if pkt.packet_type == packet.CONNECT_ERROR:
            # what socket.io clients hand their `connect_error` listener as `err.data`
            seen.append(pkt.data.get("data"))
        original(eio_sid, pkt)

    socketio.server._send_packet = spy
    try:
        phone.connect(namespace="/phone", auth=auth)
    finally:
        socketio.server._send_packet = original
    assert not phone.is_connected("/phone")
    return seen


def test_a_removed_phone_drops_from_the_counts_and_is_refused_with_a_code(app, db, live_clients):
    meeting = gen_meeting(db, live=True)
    lifecycle.move(db, meeting, +1)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phones = {}
    for name in ("Zoé Lambert", "Élodie Martin", "Bénédicte Colin"):
        phone = live_clients("phone", {"meeting": meeting.code})
        ack = phone.emit("join", {"name": name, "structure": "CCAS"}, callback=True, namespace="/phone")
        phones[name] = (phone, ack["token"])
    app.extensions["kit.counts"].flush()
    counted = events(screen, "/screen", "counts")[-1]
    assert (counted["participants"], counted["connected"]) == (3, 3)

    zoe = next(p for p in queries.participants(db, meeting) if p.display_name == "Zoé Lambert")
    ack = console.emit("control", {"action": "remove", "participant_id": zoe.id}, callback=True, namespace="/console")
    assert ack["ok"]
    app.extensions["kit.counts"].flush()
    counted = events(screen, "/screen", "counts")[-1]
    assert (counted["participants"], counted["connected"]) == (2, 2)
    heard = console.get_received("/console")
    counted = [e["args"][0] for e in heard if e["name"] == "counts"][-1]
    assert (counted["participants"], counted["connected"]) == (2, 2)
    still = phones["Élodie Martin"][0]
    assert events(still, "/phone", "counts")[-1]["participants"] == 2
    assert zoe.id not in app.extensions["kit.presence"].connected(meeting.id)
    # the console's people: the count says 2, and Zoé is listed last, as removed
    html = [e["args"][0] for e in heard if e["name"] == "state"][-1]["html"]
    assert '(<span data-count="participants">2</span>)' in html
    assert html.index("Bénédicte Colin") < html.index("Élodie Martin") < html.index("Zoé Lambert")

    told = [m for m in phones["Zoé Lambert"][0].queue if m["name"] == "removed"]
    assert "retiré·e de la réunion par l'animation" in told[0]["args"][0]["message"]
    [refused] = refusal(app, meeting.code, {"meeting": meeting.code, "token": phones["Zoé Lambert"][1]})
    assert refused["code"] == "removed"
    assert "retiré·e de la réunion par l'animation" in refused["message"]
    assert "parlez-en à la personne qui anime" in refused["message"]


def test_a_phone_whose_identity_is_no_longer_known_is_sent_back_to_join(app, db, client):
    meeting = gen_meeting(db, live=True)
    awa = lifecycle.join(db, meeting, "Awa Diallo", "CCAS")
    gone = "ce-jeton-n-existe-plus-depuis-la-restauration"
    [refused] = refusal(app, meeting.code, {"meeting": meeting.code, "token": gone})
    assert refused["code"] == "unknown_identity" and "Rejoignez" in refused["message"]
    # `kit forget` gives every phone of the meeting a new token: the old one is no longer anyone
    old = awa.token
    lifecycle.close(db, meeting)
    privacy.erase_personal_data(db, meeting)
    [refused] = refusal(app, meeting.code, {"meeting": meeting.code, "token": old})
    assert refused["code"] == "unknown_identity"


def test_the_join_page_forgets_an_identity_the_meeting_no_longer_knows(app, db, client):
    meeting = gen_meeting(db, live=True)
    with client.session_transaction() as session:
        session["participants"] = {meeting.code: "un-jeton-d-avant-la-restauration-de-la-sauvegarde"}
    page = client.get(f"/j/{meeting.code}")
    assert page.status_code == 200 and 'name="name"' in page.get_data(as_text=True)
    with client.session_transaction() as session:
        assert meeting.code not in session.get("participants", {})


def test_the_news_proposer_alone_hears_that_their_item_was_accepted(app, db, live_clients):
    meeting = lifecycle.create_meeting(db, gen_template(StepTemplate("news", "Point d'actualité", "", {})))
    lifecycle.start(db, meeting)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for name in ("Awa Diallo", "Bruno Le Gall", "Chloé Morin"):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    awa, bruno, chloe = phones
    second_tab_token = None
    proposal = {
        "type": "funding_call",
        "title": "Appel à projets « Numérique inclusif 2027 » du département",
        "deadline": "2027-01-15",
        "link": "ille-et-vilaine.fr/aap-numerique",
        "description": "Pour des ateliers collectifs dans les communes rurales ; dossier court.",
    }
    ack = awa.emit(
        "contribute",
        {"client_id": "news-awa-1", "step_id": meeting.steps[0].id, "data": proposal},
        callback=True,
        namespace="/phone",
    )
    assert ack["ok"], ack
    for phone in phones:
        phone.get_received("/phone")
    done = console.emit("act", {"action": "accept", "id": ack["id"]}, callback=True, namespace="/console")
    assert done["ok"]
    [notice] = events(awa, "/phone", "notice")
    assert notice["contribution_id"] == ack["id"] and notice["kind"] == "accept"
    assert notice["message"] == (
        "Votre actualité « Appel à projets « Numérique inclusif 2027 » du département » a été acceptée : "
        "elle est à l'écran et sera dans le compte rendu."
    )
    assert second_tab_token is None
    assert events(bruno, "/phone", "notice") == [] and events(chloe, "/phone", "notice") == []
    assert events(console, "/console", "notice") == []
    # declining tells nobody anything
    ack2 = bruno.emit(
        "contribute",
        {"client_id": "news-bruno-1", "step_id": meeting.steps[0].id, "data": {**proposal, "title": "Doublon"}},
        callback=True,
        namespace="/phone",
    )
    assert console.emit("act", {"action": "decline", "id": ack2["id"]}, callback=True, namespace="/console")["ok"]
    assert events(bruno, "/phone", "notice") == []


def test_content_in_the_meetings_language_is_marked_when_the_page_speaks_another(app, db, client):
    meeting = gen_meeting(db, live=True)
    board = lifecycle.move(db, meeting, +1)
    awa = lifecycle.join(db, meeting, "Awa Diallo", "CCAS")
    lifecycle.contribute(db, meeting, awa, board.id, "a1", {"text": "Un atelier sur les arnaques par SMS"})
    english = {"Accept-Language": "en"}
    page = client.get(f"/j/{meeting.code}", headers=english).get_data(as_text=True)
    assert '<html lang="en">' in page and f'<h1 lang="fr">{meeting.title}</h1>' in page
    with force_locale("fr"):
        # nothing to mark when both agree
        assert content_lang(meeting) == "" and content_lang(queries.contributions(db, board)[0]) == ""

    with app.test_request_context(headers=english):
        for view in ("phone", "screen", "console"):
            html = state(db, meeting, view, "en")["html"]
            assert f'<h1 lang="fr">{board.title}</h1>' in html or f'lang="fr">{board.title}<' in html, view
        screen = state(db, meeting, "screen", "en")["html"]
        assert '<p class="card-text" lang="fr">Un atelier sur les arnaques par SMS</p>' in screen
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    minutes_page = client.get(f"/minutes/{meeting.share_token}", headers=english).get_data(as_text=True)
    assert '<article class="minutes" lang="fr">' in minutes_page

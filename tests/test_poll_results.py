"""A poll's results as a room should read them: shares of the people who answered, a word cloud
that groups the same answer however it was typed, and results kept off the screen and the phones
until the facilitator shows them."""

from __future__ import annotations

import pytest
from flask import Flask, render_template
from flask_babel import force_locale

from kit.activities import activity_class, activity_for
from kit.core import queries
from kit.core.errors import OptionError
from kit.meeting import lifecycle, results
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_participant, gen_template

PEOPLE = [
    "Awa Diallo", "Bruno Le Gall", "Chloé Martin", "Dominique Rivière", "Élodie Perrin", "Fatima Benali",
    "Gaëlle Hamon", "Hugo Lefèvre", "Inès Moreau", "Jérôme Caradec", "Karima Haddad", "Léa Fontaine",
    "Mathis Guérin", "Nadia Ferreira", "Océane Briand", "Pascal Jégou", "Quentin Roussel", "Rachida Amrani",
    "Sébastien Tanguy", "Thérèse Le Roux", "Ulysse Bertin", "Valérie Kerbrat", "William Nguyen", "Xavier Colin",
    "Yasmine Chérif", "Zoé Lemaire", "Anne-Sophie Pichon", "Benoît Lozac'h", "Céline Daniel", "Damien Prigent",
    "Estelle Cadiou", "François Le Bihan", "Gwenaëlle Morvan", "Hélène Quéré",
]  # fmt: skip
QUESTIONS = {
    "questions": [
        {"type": "rating", "text": "Cette rencontre vous a-t-elle été utile dans votre travail ?", "scale": 5},
        {
            "type": "single",
            "text": "Quel format préférez-vous pour la prochaine rencontre ?",
            "choices": ["Atelier pratique en petits groupes", "Visite d'un tiers-lieu", "Intervention d'un expert"],
        },
        {
            "type": "multiple",
            "text": "Quels thèmes voulez-vous approfondir cette année ?",
            "choices": ["Arnaques en ligne et usurpation d'identité", "IA générative", "Démarches de la CAF"],
        },
        {"type": "open", "text": "Qu'est-ce qui vous a le plus marqué aujourd'hui, et pourquoi ?"},
        {"type": "words", "text": "La durée de la rencontre, en quelques mots ?"},
    ]
}
# "trop court" typed six ways, "élevé" four: one answer each in the cloud
WORDS = [
    "Trop court",
    "trop  court",
    "TROP COURT",
    " trop court ",
    "trop court !",
    "trop court, Élevé",
    "eleve",
    "ÉLEVÉ",
    "élevé, élevé",
    "Parfait",
    "parfait, convivial",
]


def poll_meeting(db, options):  # type: ignore[no-untyped-def]
    steps = (
        StepTemplate("board", "Tour de table", "Présentez-vous en une phrase.", {}),
        StepTemplate("poll", "Évaluation de la rencontre de mars", "", options),
    )
    meeting = lifecycle.create_meeting(db, gen_template(*steps, title="Rencontre de réseau de mars"))
    lifecycle.start(db, meeting)
    lifecycle.move(db, meeting, +1)
    return meeting, meeting.steps[1]


def answer_all(db, meeting, step):  # type: ignore[no-untyped-def]
    """34 people: all give a mark, 11 answer the multiple choice (7 tick the first), 11 the word cloud."""
    for n, name in enumerate(PEOPLE):
        person = gen_participant(db, meeting, name)
        answers: dict[str, object] = {"q0": str(1 + n % 5), "q1": str(n % 3)}
        if n < 11:
            answers["q2"] = ["0", "1", "2"][: 1 + n % 3] if n < 7 else ["1"]
            answers["q4"] = WORDS[n]
        if n % 4 == 0:
            answers["q3"] = (
                f"L'échange avec {name.split()[0]} sur les permanences numériques en mairie : "
                "des idées concrètes à reprendre dès la semaine prochaine."
            )
        lifecycle.contribute(db, meeting, person, step.id, f"poll-{n}", answers)


@pytest.fixture
def revealed_room(db):  # type: ignore[no-untyped-def]
    meeting, step = poll_meeting(db, QUESTIONS)
    answer_all(db, meeting, step)
    return meeting, step


def test_a_multiple_choice_share_is_of_the_people_who_answered_not_of_the_ticks(app: Flask, db, revealed_room):
    meeting, step = revealed_room
    poll = activity_for(step)
    rating, single, multiple, _open, words = poll.results(queries.contributions(db, step))
    assert rating["count"] == single["count"] == 34
    assert multiple["count"] == 11 and dict(multiple["rows"])["Arnaques en ligne et usurpation d'identité"] == 7
    with app.test_request_context(), force_locale("fr"):
        chart = str(poll.bars(multiple["rows"], multiple["text"], multiple["count"]))
        html = render_template("activities/poll/_results.html", activity=poll, items=queries.contributions(db, step))
    # 7 of the 11 who answered: 64 %, however many boxes they ticked between them (18)
    assert "7 (64\xa0%)" in chart
    assert "11 réponses" in html and "34 réponses" in html
    assert "plusieurs choix possibles" in html
    # a screen reader hears the figures, not only the question
    assert "Arnaques en ligne et usurpation d&#39;identité, 7 (64\xa0%)" in chart
    lifecycle.close(db, meeting)
    text = meeting.minutes_md
    assert "| Arnaques en ligne et usurpation d'identité | 7 | 64\xa0% |" in text
    assert "11 réponses." in text and "34 réponses." in text


def test_the_word_cloud_groups_an_answer_however_it_was_typed(app: Flask, db, revealed_room):
    meeting, step = revealed_room
    poll = activity_for(step)
    cloud = poll.results(queries.contributions(db, step))[4]["words"]
    counted = {word: n for word, n, _size in cloud}
    # one person typing "élevé" twice counts once; the most frequent spelling is shown
    assert counted == {"trop court": 6, "élevé": 4, "Parfait": 2, "convivial": 1}
    assert [word for word, _n, _size in cloud] == ["trop court", "élevé", "Parfait", "convivial"]
    sizes = {word: size for word, _n, size in cloud}
    assert sizes == {"trop court": 5, "élevé": 3, "Parfait": 2, "convivial": 1}
    with app.test_request_context(), force_locale("fr"):
        html = render_template("activities/poll/_results.html", activity=poll, items=queries.contributions(db, step))
    cloud_html = html.split('<ul class="cloud">')[1].split("</ul>")[0]
    # a multi-word answer is one item of the list, its count said to screen readers
    assert '<li class="word size-5">trop court <span class="word-count" aria-hidden="true">6</span>' in cloud_html
    assert "(donné par 6 personnes)" in cloud_html
    lifecycle.close(db, meeting)
    assert "- trop court (6)" in meeting.minutes_md


def test_a_results_option_that_is_not_known_is_refused_with_the_values_allowed(app: Flask):
    for activity, options in (("poll", QUESTIONS), ("animation", {"animation": "Le jeu des arnaques"})):
        with pytest.raises(OptionError) as refused:
            activity_class(activity).validate_options({**options, "results": "plus tard"})
        assert refused.value.key == "results"
        with app.test_request_context(), force_locale("fr"):
            message = str(refused.value.message)
        assert '"live"' in message and '"on_reveal"' in message
        checked = activity_class(activity).validate_options({**options, "results": "on_reveal"})
        assert checked["results"] == "on_reveal"
    assert activity_class("poll").validate_options(QUESTIONS)["results"] == "live"


# -- through the live layer ------------------------------------------------------------------------
def views(db, live_clients, meeting):  # type: ignore[no-untyped-def]
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Marie-Noëlle Le Goff"}, callback=True, namespace="/phone")["ok"]
    return console, screen, phone


def last_state(client, namespace):  # type: ignore[no-untyped-def]
    received = [e["args"][0] for e in client.get_received(namespace) if e["name"] in ("state", "snapshot")]
    return received[-1]


def test_hidden_results_show_the_count_only_until_the_facilitator_shows_them(app: Flask, db, live_clients):
    meeting, step = poll_meeting(db, {**QUESTIONS, "results": "on_reveal"})
    answer_all(db, meeting, step)
    console, screen, phone = views(db, live_clients, meeting)
    hidden = last_state(screen, "/screen")
    assert "34" in hidden["html"] and "personnes ont répondu" in hidden["html"]
    for secret in ("Atelier pratique", "trop court", "64", "permanences numériques", "<svg"):
        assert secret not in hidden["html"], f"the hidden screen shows {secret!r}"
    assert "items" not in hidden, "the screen is not sent the answers either"
    assert "Résultats" not in last_state(phone, "/phone")["html"]
    waiting = last_state(console, "/console")["html"]
    assert "Montrer les résultats" in waiting and "Atelier pratique" in waiting, "the facilitator sees them"

    ack = console.emit("show_results", {"step_id": step.id}, callback=True, namespace="/console")
    assert ack["ok"], ack
    shown = last_state(screen, "/screen")
    assert "Atelier pratique en petits groupes" in shown["html"] and "trop court" in shown["html"]
    assert "Résultats" in last_state(phone, "/phone")["html"], "phones show the results once shown"
    assert "Cacher les résultats" in last_state(console, "/console")["html"]
    db.expire_all()
    assert db.get(type(step), step.id).state["results_shown"] is True, "kept for a view that reconnects"
    late = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    assert "Atelier pratique" in last_state(late, "/screen")["html"]

    assert console.emit("hide_results", {"step_id": step.id}, callback=True, namespace="/console")["ok"]
    again = last_state(screen, "/screen")
    assert "Atelier pratique" not in again["html"] and "items" not in again
    assert "Résultats" not in last_state(phone, "/phone")["html"]


def test_a_live_poll_can_be_hidden_too_and_phones_never_get_results_unasked(app: Flask, db, live_clients):
    meeting, step = poll_meeting(db, QUESTIONS)
    answer_all(db, meeting, step)
    console, screen, phone = views(db, live_clients, meeting)
    assert "Atelier pratique" in last_state(screen, "/screen")["html"]
    assert "Résultats" not in last_state(phone, "/phone")["html"], "a live tally stays off the phones"
    assert console.emit("hide_results", {"step_id": step.id}, callback=True, namespace="/console")["ok"]
    assert "Atelier pratique" not in last_state(screen, "/screen")["html"]


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"step_id": "deux"}, "not_found", "n'existe pas"),
        ({"step_id": 999999}, "not_found", "n'existe pas"),
        ({}, "not_found", "n'existe pas"),
        ("montrer", "bad_request", "pas été compris"),
        ("board", "no_results", "seul un sondage"),
    ],
)
def test_a_bad_reveal_is_refused_plainly_and_changes_nothing(app: Flask, db, live_clients, payload, code, words):
    meeting, step = poll_meeting(db, {**QUESTIONS, "results": "on_reveal"})
    console, screen, phone = views(db, live_clients, meeting)
    if payload == "board":
        payload = {"step_id": meeting.steps[0].id}
    version = meeting.version
    ack = console.emit("show_results", payload, callback=True, namespace="/console")
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert words in ack["error"]["message"]
    db.expire_all()
    assert "results_shown" not in (db.get(type(step), step.id).state or {})
    assert lifecycle.get_meeting(db, meeting.code).version == version


def test_only_the_console_shows_results(app: Flask, db, live_clients):
    meeting, step = poll_meeting(db, {**QUESTIONS, "results": "on_reveal"})
    console, screen, phone = views(db, live_clients, meeting)
    for client, namespace in ((screen, "/screen"), (phone, "/phone")):
        for event in ("show_results", "hide_results"):
            ack = client.emit(event, {"step_id": step.id}, callback=True, namespace=namespace)
            assert ack["error"]["code"] == "forbidden"
    db.expire_all()
    assert "results_shown" not in (db.get(type(step), step.id).state or {})


def test_once_the_meeting_is_over_the_minutes_hold_the_results(app: Flask, db):
    meeting, step = poll_meeting(db, {**QUESTIONS, "results": "on_reveal"})
    answer_all(db, meeting, step)
    lifecycle.close(db, meeting)
    with pytest.raises(Exception) as refused:
        results.set_results_shown(db, meeting, step.id, True)
    assert getattr(refused.value, "code", "") == "closed"
    # hidden on the screen or not, the minutes give the results
    assert "| Atelier pratique en petits groupes |" in meeting.minutes_md

"""Decisions and "En bref": the facilitator marks contributions as decisions and writes two lines
per step from the console; the minutes open with them. Withdrawn words never stay there.

The plain functions first (no sockets), then the minutes, then the console's two events.
"""

from __future__ import annotations

import pytest

from kit.core import queries
from kit.core.errors import KitError, NotFound
from kit.core.models import Contribution, Step
from kit.meeting import decisions, lifecycle, moderation, privacy
from kit.meeting.templates import StepTemplate
from kit.publishing.minutes import as_data, build_markdown
from tests.conftest import gen_meeting, gen_participant, gen_template

PEOPLE = [
    ("Awa Diallo", "CCAS de Vitré"),
    ("Bruno Lefèvre", "Médiathèque de Fougères"),
    ("Céline Rousseau", "Espace France services"),
    ("Élodie Marchand", "Centre social de la Touche"),
    ("François Nguyen", "Mission locale"),
    ("Gaëlle Le Goff", "Département d'Ille-et-Vilaine"),
]

IDEAS = [
    "Organiser un atelier « arnaques au téléphone » avec le club des aînés de la médiathèque, un jeudi "
    "sur deux, en partant des vrais SMS que les gens reçoivent.",
    "Créer une fiche commune pour accompagner les démarches CAF : ce qu'il faut apporter, les pièges de "
    "l'espace personnel, et à qui passer la main quand c'est trop compliqué.",
    "Mutualiser les prêts de tablettes entre les trois structures du territoire, avec un calendrier "
    "partagé et une personne référente par lieu.",
    "Proposer une permanence « Pronote et ENT » à la rentrée, pour les parents qui n'osent pas demander "
    "à l'école ; prévoir une traduction en arabe et en turc.",
    "Faire une carte des lieux où l'on peut imprimer gratuitement un document administratif,\n"
    "mise à jour chaque trimestre par la coordinatrice.",
]

SUMMARY = "Trente-deux idées ; deux retenues pour l'automne.\nLa fiche CAF sera relue en décembre."


def idea(number: int) -> str:
    return f"{IDEAS[number % len(IDEAS)]} Idée numéro {number + 1:02d}."


def busy_meeting(db, count: int = 32):  # type: ignore[no-untyped-def]
    """A live meeting on its board step ("Besoins"), with `count` long contributions from six people."""
    meeting = gen_meeting(db, live=True, title="Rencontre du réseau de Vitré — novembre")
    lifecycle.move(db, meeting, +1)
    people = [gen_participant(db, meeting, name, structure=structure) for name, structure in PEOPLE]
    step = meeting.steps[1]
    sent = [
        lifecycle.contribute(db, meeting, people[n % len(people)], step.id, f"c{n}", {"text": idea(n)}).contribution
        for n in range(count)
    ]
    return meeting, people, step, sent


# -- the plain functions ---------------------------------------------------------------------------
def test_a_contribution_marked_as_a_decision_and_unmarked(db):
    meeting, _people, _step, sent = busy_meeting(db)
    version = meeting.version
    marked = decisions.set_decision(db, meeting, sent[3].id, True)
    assert marked.decision and meeting.version > version
    assert [c.id for c in queries.decisions(db, meeting)] == [sent[3].id]
    # the same mark again changes nothing
    version = meeting.version
    decisions.set_decision(db, meeting, sent[3].id, True)
    assert meeting.version == version
    decisions.set_decision(db, meeting, sent[3].id, False)
    assert not db.get(Contribution, sent[3].id).decision
    assert queries.decisions(db, meeting) == []


@pytest.mark.parametrize(
    ("target", "value", "code"),
    [
        ("first", "oui", "bad_request"),  # not a true/false
        ("first", 1, "bad_request"),
        ("first", None, "bad_request"),
        (10_000, True, "not_found"),  # no such contribution
        ("other meeting", True, "not_found"),  # another meeting's
        ("abc", True, "not_found"),
        (True, True, "not_found"),
    ],
)
def test_a_bad_decision_is_refused_plainly_and_changes_nothing(db, target, value, code):
    meeting, people, step, sent = busy_meeting(db, count=3)
    other = gen_meeting(db, live=True)
    lifecycle.move(db, other, +1)
    bruno = gen_participant(db, other, "Bruno")
    elsewhere = lifecycle.contribute(db, other, bruno, other.steps[1].id, "o1", {"text": "Ailleurs"}).contribution
    target = {"first": sent[0].id, "other meeting": elsewhere.id}.get(target, target)
    version = meeting.version
    with pytest.raises(KitError) as refused:
        decisions.set_decision(db, meeting, target, value)
    assert refused.value.code == code and str(refused.value.message)
    db.rollback()
    assert meeting.version == version
    assert not any(c.decision for c in db.query(Contribution))


def test_only_a_shown_written_contribution_can_be_a_decision(db):
    meeting, people, step, sent = busy_meeting(db, count=3)
    moderation.hide(db, meeting, sent[0].id)
    with pytest.raises(KitError) as refused:
        decisions.set_decision(db, meeting, sent[0].id, True)
    assert refused.value.code == "hidden"
    privacy.withdraw(db, people[1], sent[1].id)
    with pytest.raises(KitError) as refused:
        decisions.set_decision(db, meeting, sent[1].id, True)
    assert refused.value.code == "withdrawn"
    # a check-in is who came, not something decided
    lifecycle.move(db, meeting, -1)
    checkin = lifecycle.contribute(
        db, meeting, people[2], meeting.steps[0].id, "ci", {"name": "Céline Rousseau", "structure": "", "territory": ""}
    ).contribution
    with pytest.raises(KitError) as refused:
        decisions.set_decision(db, meeting, checkin.id, True)
    assert refused.value.code == "no_text"


def test_decisions_and_summaries_only_while_the_meeting_runs(db):
    meeting, _people, step, sent = busy_meeting(db, count=2)
    lifecycle.close(db, meeting)
    with pytest.raises(KitError) as refused:
        decisions.set_decision(db, meeting, sent[0].id, True)
    assert refused.value.code == "closed"
    with pytest.raises(KitError):
        decisions.set_summary(db, meeting, step.id, SUMMARY)


def test_a_summary_is_saved_trimmed_and_bounded(db):
    meeting, _people, step, _sent = busy_meeting(db, count=1)
    saved = decisions.set_summary(db, meeting, step.id, "  " + SUMMARY + "\r\n")
    assert saved.summary == SUMMARY
    too_long = "é" * (decisions.MAX_SUMMARY + 1)
    for bad, code in ((too_long, "too_long"), (["une liste"], "invalid"), ({"text": "x"}, "invalid")):
        with pytest.raises(KitError) as refused:
            decisions.set_summary(db, meeting, step.id, bad)
        assert refused.value.code == code
        db.rollback()
        assert db.get(Step, step.id).summary == SUMMARY
    with pytest.raises(NotFound):
        decisions.set_summary(db, meeting, 99_999, "Ailleurs")
    # empty takes it away
    assert decisions.set_summary(db, meeting, step.id, "   ").summary == ""


# -- the minutes -----------------------------------------------------------------------------------
def test_the_minutes_open_with_in_brief_and_the_decisions(db):
    meeting, _people, step, sent = busy_meeting(db)
    decisions.set_summary(db, meeting, step.id, SUMMARY)
    decisions.set_summary(db, meeting, meeting.steps[0].id, "Six personnes de six structures, dont deux nouvelles.")
    for number in (4, 1, 30):
        decisions.set_decision(db, meeting, sent[number].id, True)
    lifecycle.close(db, meeting)
    minutes = meeting.minutes_md or ""
    brief, decided, came = (minutes.index(h) for h in ("## En bref", "## Décisions", "## Présents"))
    assert brief < decided < came, minutes[:2000]
    top = minutes[brief:came]
    # each written summary with its step, in the order of the steps; both lines of a summary kept
    assert top.index("**Accueil** — Six personnes") < top.index("**Besoins** — Trente-deux idées")
    assert "deux retenues pour l'automne.  \n  La fiche CAF sera relue en décembre." in top
    # the marked contributions, in the order they arrived, each with its step; nothing else
    block = top[top.index("## Décisions") :]
    items = [item.strip() for item in block.split("\n- ")[1:]]
    assert len(items) == 3
    assert "Idée numéro 02." in items[0] and "Idée numéro 05." in items[1] and "Idée numéro 31." in items[2]
    assert all(line.endswith("*(Besoins)*") for line in items)
    # a multi-line contribution stays inside its item
    assert "document administratif,  \n  mise à jour chaque trimestre" in block
    assert "Awa Diallo" not in top  # decisions are the meeting's, not a person's
    # the JSON twin carries them too
    data = as_data(db, meeting)
    assert [d["id"] for d in data["decisions"]] == [sent[1].id, sent[4].id, sent[30].id]
    assert [s["summary"] for s in data["steps"]][:2] == [
        "Six personnes de six structures, dont deux nouvelles.",
        SUMMARY,
    ]


def test_minutes_without_decisions_or_summaries_have_no_empty_blocks(db):
    meeting, _people, _step, _sent = busy_meeting(db, count=3)
    minutes = build_markdown(db, meeting)
    assert "## En bref" not in minutes and "## Décisions" not in minutes


def test_a_decision_with_markdown_in_it_reads_as_typed(db):
    meeting, people, step, _sent = busy_meeting(db, count=1)
    tricky = lifecycle.contribute(
        db, meeting, people[0], step.id, "md", {"text": "# Pas un titre <b>ni du HTML</b> [lien](http://x.test)"}
    ).contribution
    decisions.set_decision(db, meeting, tricky.id, True)
    minutes = build_markdown(db, meeting)
    line = next(line for line in minutes.splitlines() if "Pas un titre" in line)
    assert line.startswith("- ") and "<b>" not in line and "](" not in line


def test_a_hidden_or_merged_decision_leaves_the_minutes(db):
    meeting, _people, _step, sent = busy_meeting(db, count=4)
    for contribution in sent[:3]:
        decisions.set_decision(db, meeting, contribution.id, True)
    moderation.hide(db, meeting, sent[0].id)
    moderation.merge(db, meeting, sent[1].id, sent[3].id)
    minutes = build_markdown(db, meeting)
    block = minutes[minutes.index("## Décisions") : minutes.index("## Présents")]
    assert "Idée numéro 03." in block
    assert "Idée numéro 01." not in block and "Idée numéro 02." not in block


def test_a_withdrawn_decision_leaves_the_minutes_as_kit_wrote_them(db):
    meeting, people, _step, sent = busy_meeting(db)
    decisions.set_decision(db, meeting, sent[0].id, True)
    decisions.set_decision(db, meeting, sent[7].id, True)
    lifecycle.close(db, meeting)
    assert "Idée numéro 01." in (meeting.minutes_md or "")
    privacy.withdraw(db, people[0], sent[0].id)
    minutes = meeting.minutes_md or ""
    assert "Idée numéro 01." not in minutes
    block = minutes[minutes.index("## Décisions") : minutes.index("## Présents")]
    assert "Idée numéro 08." in block
    assert not db.get(Contribution, sent[0].id).decision


def test_a_withdrawn_decision_leaves_minutes_the_facilitator_edited(db):
    meeting, people, _step, sent = busy_meeting(db)
    decisions.set_decision(db, meeting, sent[4].id, True)  # a text on two lines
    lifecycle.close(db, meeting)
    meeting.write_minutes((meeting.minutes_md or "") + "\nNote de l'animatrice : merci à toutes et à tous.\n")
    db.commit()
    privacy.withdraw(db, people[4], sent[4].id)
    minutes = meeting.minutes_md or ""
    assert "Idée numéro 05." not in minutes
    assert "Note de l'animatrice" in minutes
    block = minutes[minutes.index("## Décisions") : minutes.index("## Présents")]
    assert "retiré à la demande" in block


def test_forgetting_names_keeps_the_decisions_and_never_adds_a_name(db):
    meeting, _people, step, sent = busy_meeting(db, count=6)
    decisions.set_decision(db, meeting, sent[2].id, True)
    decisions.set_summary(db, meeting, step.id, SUMMARY)
    lifecycle.close(db, meeting)
    privacy.erase_personal_data(db, meeting)
    minutes = meeting.minutes_md or ""
    top = minutes[: minutes.index("## Présents")]
    assert "Idée numéro 03." in top and "Trente-deux idées" in top
    assert not any(name in minutes for name, _structure in PEOPLE)


def test_a_topics_decision_is_the_contribution_text(db):
    topics = StepTemplate(
        "topics",
        "Ateliers",
        "",
        {"topics": [{"title": "Inclusion numérique des seniors", "description": "", "exemplier": []}]},
    )
    meeting = lifecycle.create_meeting(db, gen_template(topics))
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting, "Awa Diallo")
    sent = lifecycle.contribute(
        db, meeting, awa, meeting.steps[0].id, "t1", {"topic": 0, "text": "Un café numérique mensuel"}
    ).contribution
    decisions.set_decision(db, meeting, sent.id, True)
    assert "- Un café numérique mensuel *(Ateliers)*" in build_markdown(db, meeting)


# -- the console's events --------------------------------------------------------------------------
def test_the_console_marks_a_decision_and_saves_a_summary_with_an_ack(app, db, live_clients):
    meeting, people, step, sent = busy_meeting(db, count=31)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    console.get_received("/console")
    ack = console.emit("mark_decision", {"id": sent[30].id, "decision": True}, callback=True, namespace="/console")
    assert ack == {"ok": True, "id": sent[30].id, "decision": True}
    states = [e["args"][0] for e in console.get_received("/console") if e["name"] == "state"]
    assert states and f'id="decide-{sent[30].id}"' in states[-1]["html"]
    assert 'data-decision="false" aria-pressed="true"' in states[-1]["html"]
    ack = console.emit("save_summary", {"step_id": step.id, "text": SUMMARY}, callback=True, namespace="/console")
    assert ack == {"ok": True, "step_id": step.id, "summary": SUMMARY}
    states = [e["args"][0] for e in console.get_received("/console") if e["name"] == "state"]
    assert "Trente-deux idées" in states[-1]["html"]
    db.expire_all()
    assert db.get(Contribution, sent[30].id).decision and db.get(Step, step.id).summary == SUMMARY


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("mark_decision", {"id": "n° 3", "decision": True}),
        ("mark_decision", {"id": 1, "decision": "oui"}),
        ("mark_decision", ["pas", "un", "objet"]),
        ("mark_decision", None),
        ("save_summary", {"step_id": 1, "text": "x" * 301}),
        ("save_summary", {"step_id": "Besoins", "text": "Court"}),
        ("save_summary", {"step_id": 1, "text": 42}),
    ],
)
def test_a_bad_console_payload_gets_a_french_message_and_changes_nothing(app, db, live_clients, event, payload):
    meeting, _people, step, sent = busy_meeting(db, count=2)
    if isinstance(payload, dict) and payload.get("step_id") == 1:
        payload = {**payload, "step_id": step.id}
    if isinstance(payload, dict) and payload.get("id") == 1:
        payload = {**payload, "id": sent[0].id}
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    version = meeting.version
    ack = console.emit(event, payload, callback=True, namespace="/console")
    assert ack["ok"] is False
    message = ack["error"]["message"]
    assert message and any(word in message for word in ("Le message", "n'existe pas", "trop long", "texte")), message
    db.expire_all()
    assert meeting.version == version
    assert not any(c.decision for c in db.query(Contribution)) and db.get(Step, step.id).summary == ""


def test_a_phone_cannot_mark_a_decision_nor_write_a_summary(app, db, live_clients):
    meeting, people, step, sent = busy_meeting(db, count=2)
    phone = live_clients("phone", {"meeting": meeting.code, "token": people[0].token})
    for event, payload in (
        ("mark_decision", {"id": sent[0].id, "decision": True}),
        ("save_summary", {"step_id": step.id, "text": "Je résume à la place de l'animatrice."}),
    ):
        ack = phone.emit(event, payload, callback=True, namespace="/phone")
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    db.expire_all()
    assert not db.get(Contribution, sent[0].id).decision and db.get(Step, step.id).summary == ""


def test_the_console_lists_people_as_their_phones_come_and_go(app, db, live_clients):
    """The people list showed 0 while the counter said 11: it was drawn only with the whole console."""
    app.config["COUNTS_INTERVAL"] = 3600  # only the flushes below send: what they send is what is asserted
    app.config["SCREEN_COUNTS_INTERVAL"] = 3600
    meeting = gen_meeting(db, live=True)
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    snapshot = console.get_received("/console")[0]["args"][0]
    assert "Personne n'a encore rejoint" in snapshot["html"]
    phones = []
    for name, _structure in PEOPLE:
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    app.extensions["kit.counts"].flush()
    received = console.get_received("/console")
    lists = [e["args"][0] for e in received if e["name"] == "people"]
    # coalesced: six arrivals, one list (not one per phone, nor the whole console again)
    assert len(lists) == 1
    assert not [e for e in received if e["name"] == "state"]
    for name, _structure in PEOPLE:
        assert name in lists[0]["html"]
    assert lists[0]["html"].count('class="badge ok"') == len(PEOPLE)
    # one leaves: the list says so
    phones[0].disconnect(namespace="/phone")
    app.extensions["kit.counts"].flush()
    lists = [e["args"][0] for e in console.get_received("/console") if e["name"] == "people"]
    assert len(lists) == 1 and lists[0]["html"].count('class="badge ok"') == len(PEOPLE) - 1


def test_the_published_minutes_page_opens_with_them(app, db, client):
    meeting, _people, step, sent = busy_meeting(db)
    decisions.set_summary(db, meeting, step.id, SUMMARY)
    decisions.set_decision(db, meeting, sent[9].id, True)
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    page = client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    brief, decided, came = (page.index(h) for h in (">En bref</h2>", ">Décisions</h2>", ">Présents (6)</h2>"))
    assert brief < decided < came
    assert "Idée numéro 10." in page[decided:came]
    assert "La fiche CAF sera relue en décembre." in page[brief:decided]

"""Territorial diagnosis: the six questions and the gaps, a live table by commune and service; places
named go to the network's places, gaps come back as needs at the network's next meeting."""

from __future__ import annotations

import pytest

from kit import places
from kit.activities import activity_for
from kit.activities.diagnosis import Diagnosis
from kit.core import queries
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.network import networks
from kit.places.standard import SERVICES
from tests.conftest import gen_participant, gen_template

DEMARCHES, OUTILS = SERVICES[0], SERVICES[1]


def events(client, namespace: str, name: str) -> list:  # type: ignore[no-untyped-def]
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


def diagnosis_template():  # type: ignore[no-untyped-def]
    return gen_template(
        StepTemplate("diagnosis", "Diagnostic", "Les six questions", {"communes": ["Vitré", "Étrelles"]}),
        StepTemplate("needs", "Besoins", "", {}),
    )


@pytest.fixture
def network(db):  # type: ignore[no-untyped-def]
    network = networks.create_network(db, "Réseau de Vitré", "Vitré Communauté", "epci")
    places.apply_import(
        db,
        network,
        (
            "id,pivot,nom,commune,code_postal,adresse,date_maj,services\r\n"
            f'm1,123456789,Médiathèque,Vitré,35500,2 rue de Paris,2026-01-05,"{DEMARCHES}|{OUTILS}"\r\n'
        ).encode(),
    )
    return network


def say(db, meeting, who, cid, question, text, commune="", service="", public=""):  # type: ignore[no-untyped-def]
    data = {"question": question, "text": text, "commune": commune, "service": service, "public": public}
    return lifecycle.contribute(db, meeting, who, meeting.current_step_id, cid, data).contribution


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"question": "why", "text": "x"}, "question"),
        ({"text": "x"}, "question"),
        ({"question": "who", "text": "  "}, "text"),
        ({"question": "who", "text": "x", "service": "Cuisine"}, "service"),
        ({"question": "who", "text": "x", "public": "Tous"}, "public"),
        ({"question": "who", "text": "x", "commune": "V" * 121}, "commune"),
        ({"question": "who", "text": "x", "service": ["liste"]}, "service"),
    ],
)
def test_a_bad_answer_is_refused_with_the_field_at_fault(db, data, field):
    meeting = lifecycle.create_meeting(db, diagnosis_template())
    lifecycle.start(db, meeting)
    with pytest.raises(InvalidInput) as caught:
        lifecycle.contribute(db, meeting, gen_participant(db, meeting), meeting.steps[0].id, "x", data)
    assert caught.value.field == field and str(caught.value.message)


@pytest.mark.parametrize("options", [{"communes": "Vitré"}, {"communes": [""]}, {"max_length": 5}, {"colour": "blue"}])
def test_bad_options_are_refused(options):
    with pytest.raises(OptionError):
        Diagnosis.validate_options(options)


def test_the_table_counts_places_answers_and_gaps_by_commune_and_service(db, network):
    meeting = lifecycle.create_meeting(db, diagnosis_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    awa, bruno = gen_participant(db, meeting, "Awa"), gen_participant(db, meeting, "Bruno")
    say(db, meeting, awa, "1", "what", "Ateliers tablette", "Vitré", OUTILS)
    say(db, meeting, bruno, "2", "gap", "Personne le samedi", "Étrelles", DEMARCHES, "Jeunes")
    aside = say(db, meeting, bruno, "3", "gap", "Pas de wifi", "Étrelles", OUTILS)
    say(db, meeting, awa, "4", "what_for", "L'autonomie")
    step = meeting.steps[0]
    lifecycle.act(db, meeting, "set_aside", {"id": aside.id})
    table = activity_for(step).table(queries.contributions(db, step))
    assert table.communes == ["Étrelles", "Vitré"]
    assert (table.cell("Vitré", DEMARCHES).places, table.cell("Vitré", DEMARCHES).answers) == (1, 0)
    assert (table.cell("Vitré", OUTILS).places, table.cell("Vitré", OUTILS).answers) == (1, 1)
    assert table.cell("Étrelles", DEMARCHES).gaps == 1
    assert table.cell("Étrelles", OUTILS).gaps == 0, "a gap set aside is no gap in the table"


def test_a_place_named_under_where_joins_the_networks_places(db, network):
    meeting = lifecycle.create_meeting(db, diagnosis_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting, "Awa")
    where = say(db, meeting, awa, "1", "where", "Espace France Services", "Étrelles", DEMARCHES, "Seniors")
    who = say(db, meeting, awa, "2", "who", "Le CCAS", "Étrelles")
    lifecycle.act(db, meeting, "add_place", {"id": where.id})
    added = [p for p in places.network_places(db, network.id) if p.data["nom"] == "Espace France Services"]
    assert len(added) == 1
    assert added[0].data["commune"] == "Étrelles" and added[0].data["services"] == [DEMARCHES]
    assert added[0].data["publics_specifiquement_adresses"] == ["Seniors"]
    for item in (where, who):
        with pytest.raises(KitError):
            lifecycle.act(db, meeting, "add_place", {"id": item.id})
    with pytest.raises(KitError):
        lifecycle.act(db, meeting, "set_aside", {"id": who.id})
    lifecycle.close(db, meeting)
    section = meeting.minutes_md.split("## Diagnostic")[1]
    assert "Espace France Services (Étrelles · Aide aux démarches administratives · Seniors)" in section
    assert "ajouté aux lieux du réseau" in section
    assert "| Commune |" in section and "| Vitré |" in section


def test_a_diagnosis_runs_live_and_its_gaps_open_the_next_meeting(app, db, network, live_clients):
    meeting = lifecycle.create_meeting(db, diagnosis_template(), network_id=network.id)
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    phones = []
    for name in ("Awa", "Bruno"):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": name}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    assert console.emit("start", callback=True, namespace="/console")["ok"]
    step_id = meeting.steps[0].id
    answers = [
        ("where", "Médiathèque de Vitré", "Vitré", OUTILS, ""),
        ("gap", "Aucune permanence le samedi", "Étrelles", DEMARCHES, "Jeunes"),
        ("gap", "Un doublon", "Étrelles", OUTILS, ""),
        ("who", "La conseillère numérique", "", "", ""),
    ]
    acks = []
    for n, (question, text, commune, service, public) in enumerate(answers):
        data = {"question": question, "text": text, "commune": commune, "service": service, "public": public}
        ack = phones[n % 2].emit(
            "contribute", {"client_id": f"d{n}", "step_id": step_id, "data": data}, callback=True, namespace="/phone"
        )
        assert ack["ok"], ack
        acks.append(ack["id"])
    bad = phones[0].emit(
        "contribute",
        {"client_id": "bad", "step_id": step_id, "data": {"question": "gap", "text": "x", "service": "Pêche"}},
        callback=True,
        namespace="/phone",
    )
    assert not bad["ok"] and bad["error"]["field"] == "service" and "liste" in bad["error"]["message"]
    screen.get_received("/screen")
    app.extensions["kit.counts"].flush()
    drawn = events(screen, "/screen", "state")[-1]["html"]
    assert "L'offre par commune et service" in drawn and "Aucune permanence le samedi" in drawn
    assert 'class="gap"' in drawn and "Étrelles" in drawn
    ack = console.emit("act", {"action": "set_aside", "id": acks[2]}, callback=True, namespace="/console")
    assert ack["ok"], ack
    assert console.emit("next", callback=True, namespace="/console")["ok"]
    assert console.emit("close", callback=True, namespace="/console")["ok"]
    assert "à suivre à la prochaine rencontre" in meeting.minutes_md

    # the network page lists the gap among the needs waiting for the next meeting
    admin = app.test_client()
    admin.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    page = admin.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "Aucune permanence le samedi (Étrelles · Aide aux démarches administratives · Jeunes)" in page

    following = lifecycle.create_meeting(db, diagnosis_template(), network_id=network.id, title="Juin")
    needs_step = following.steps[1]
    carried = queries.contributions(db, needs_step)
    assert [c.data["text"] for c in carried] == [
        "Aucune permanence le samedi (Étrelles · Aide aux démarches administratives · Jeunes)"
    ], "the gap set aside stays behind"
    assert carried[0].data["carried_from"]["title"] == meeting.title
    # taken up once: a meeting after that one does not carry it again
    later = lifecycle.create_meeting(db, diagnosis_template(), network_id=network.id, title="Juillet")
    assert queries.contributions(db, later.steps[1]) == []


def test_answers_show_as_text_on_the_screen_and_in_the_minutes(app, db, live_clients):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    meeting = lifecycle.create_meeting(db, diagnosis_template())
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phone = live_clients("phone", {"meeting": meeting.code})
    assert phone.emit("join", {"name": "Awa"}, callback=True, namespace="/phone")["ok"]
    lifecycle.start(db, meeting)
    data = {"question": "gap", "text": evil, "commune": evil, "service": DEMARCHES, "public": ""}
    ack = phone.emit(
        "contribute",
        {"client_id": "x", "step_id": meeting.steps[0].id, "data": data},
        callback=True,
        namespace="/phone",
    )
    assert ack["ok"], ack
    screen.get_received("/screen")
    app.extensions["kit.counts"].flush()
    drawn = events(screen, "/screen", "state")[-1]["html"]
    assert "<script>alert(1)" not in drawn and "<img src=x" not in drawn
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in drawn
    lifecycle.close(db, meeting)
    assert "<script>" not in meeting.minutes_md.split("## Diagnostic")[1]

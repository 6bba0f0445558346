"""A network's meetings remember each other: deferred needs come back, skills grow the next list."""

from __future__ import annotations

import re

import pytest

from kit.activities import activity_for
from kit.core import queries
from kit.core.errors import InvalidInput
from kit.meeting import lifecycle, preparation
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.conftest import gen_participant, gen_template

SAME_ORIGIN = {"Origin": "http://localhost"}


def network_template():  # type: ignore[no-untyped-def]
    return gen_template(
        StepTemplate("checkin", "Accueil", "", {"skills": ["Démarches en ligne"]}),
        StepTemplate("needs", "Besoins", "", {}),
    )


def test_needs_deferred_to_the_next_meeting_open_its_needs_step(db):
    network = networks.create_network(db, "Réseau du pays de Vitré", "Vitré Communauté", "epci")
    march = lifecycle.create_meeting(db, network_template(), title="Rencontre de mars", network_id=network.id)
    lifecycle.start(db, march)
    awa = gen_participant(db, march, "Awa")
    lifecycle.contribute(db, march, awa, march.steps[0].id, "c", {"name": "Awa", "offers_other": "Pix"})
    needs = lifecycle.move(db, march, +1)
    deferred = lifecycle.contribute(db, march, awa, needs.id, "n1", {"text": "Former à France Connect"}).contribution
    elsewhere = lifecycle.contribute(db, march, awa, needs.id, "n2", {"text": "Un sujet pour la lettre"}).contribution
    answered = lifecycle.contribute(db, march, awa, needs.id, "n3", {"text": "Déjà réglé"}).contribution
    lifecycle.act(db, march, "defer", {"id": deferred.id, "channel": "next_meeting"})
    lifecycle.act(db, march, "defer", {"id": elsewhere.id, "channel": "newsletter"})
    lifecycle.act(db, march, "record_answer", {"id": answered.id, "answer": "Oui"})
    lifecycle.close(db, march)
    assert [c.id for c in networks.waiting_needs(db, network.id)] == [deferred.id]

    april = lifecycle.create_meeting(db, network_template(), title="Rencontre d'avril", network_id=network.id)
    [carried] = queries.contributions(db, april.steps[1])
    assert carried.data["text"] == "Former à France Connect" and carried.origin_id == deferred.id
    assert carried.data["carried_from"]["title"] == "Rencontre de mars" and carried.author == ""
    assert networks.waiting_needs(db, network.id) == [], "a need comes back once"
    # the next meeting's check-in offers what the network named before
    assert "Pix" in activity_for(april.steps[0]).known_skills([])
    # and it runs like any need: answered, it reaches the minutes with where it came from
    lifecycle.start(db, april)
    lifecycle.move(db, april, +1)
    lifecycle.act(db, april, "record_answer", {"id": carried.id, "answer": "Atelier le 5 mai"})
    lifecycle.close(db, april)
    assert "Former à France Connect" in april.minutes_md and "Rencontre de mars" in april.minutes_md
    # a meeting of no network, or a copy of one, keeps to its own
    assert queries.contributions(db, lifecycle.create_meeting(db, network_template()).steps[1]) == []
    copy = preparation.duplicate(db, april)
    assert copy.network_id == network.id


def test_the_network_page_lists_meetings_waiting_needs_and_the_directory(client, app, db):
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    assert (
        client.post(
            "/admin/networks",
            data={"name": "Réseau 35", "territory": "Ille-et-Vilaine", "scale": "departement"},
            headers=SAME_ORIGIN,
        ).status_code
        == 303
    )
    assert (
        client.post("/admin/networks", data={"name": "  ", "scale": "galaxie"}, headers=SAME_ORIGIN).status_code == 303
    )
    [network] = networks.all_networks(db)
    created = client.post(
        "/admin/meetings", data={"template": "rencontre-mensuelle", "network": str(network.id)}, headers=SAME_ORIGIN
    )
    code = re.search(r"/m/(\w+)/console", created.headers["Location"]).group(1)
    meeting = lifecycle.get_meeting(db, code)
    assert meeting.network_id == network.id
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting, "Awa")
    lifecycle.contribute(
        db,
        meeting,
        awa,
        meeting.steps[0].id,
        "c",
        {"name": "Awa", "structure": "CCAS", "role": "CnFS", "offers": ["Démarches en ligne"], "share": "yes"},
    )
    page = client.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "La feuille de route telle qu" in page
    assert "Réseau 35" in page and meeting.title in page and "CnFS" in page and "Démarches en ligne" in page
    assert app.test_client().get(f"/networks/{network.id}").status_code == 403
    assert client.get("/networks/999").status_code == 404
    bad = client.post(
        "/admin/meetings", data={"template": "rencontre-mensuelle", "network": "999"}, headers=SAME_ORIGIN
    )
    assert bad.status_code == 400


def test_the_newsletter_draft_gathers_what_the_network_needs_to_hear(client, app, db):
    from datetime import timedelta

    from kit.core.models import utcnow

    network = networks.create_network(db, "Réseau du pays de Vitré")
    soon = (utcnow().date() + timedelta(days=20)).isoformat()
    template = gen_template(
        StepTemplate(
            "news",
            "Actualité",
            "",
            {"items": [{"title": "AAP à venir", "deadline": soon}, {"title": "AAP passé", "deadline": "2020-01-01"}]},
        ),
        StepTemplate("needs", "Besoins", "", {}),
        StepTemplate("roadmap", "Feuille de route", "", {}),
    )
    meeting = lifecycle.create_meeting(db, template, title="Rencontre de juin", network_id=network.id)
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting)
    needs = lifecycle.move(db, meeting, +1)
    need = lifecycle.contribute(db, meeting, awa, needs.id, "n", {"text": "Un tuto Pronote"}).contribution
    lifecycle.act(db, meeting, "defer", {"id": need.id, "channel": "next_meeting"})
    roadmap = lifecycle.move(db, meeting, +1)
    item = lifecycle.contribute(
        db, meeting, awa, roadmap.id, "r", {"kind": "item", "section": "objectives", "text": "Se voir chaque mois"}
    ).contribution
    lifecycle.act(db, meeting, "validate", {"id": item.id})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    text = client.get(f"/networks/{network.id}/newsletter.md").get_data(as_text=True)
    assert text.startswith("# Nouvelles — Réseau du pays de Vitré")
    assert "Rencontre de juin" in text and f"/minutes/{meeting.share_token}" in text
    assert "AAP à venir" in text and "AAP passé" not in text
    assert "Un tuto Pronote" in text and "Se voir chaque mois" in text


def test_hosts_rotate_the_one_who_never_hosted_is_proposed_first(db):
    network = networks.create_network(db, "Réseau")
    first = lifecycle.create_meeting(db, network_template(), host="CCAS de Vitré", network_id=network.id)
    lifecycle.start(db, first)
    for name, structure in (("Awa", "CCAS de Vitré"), ("Bruno", "Médiathèque de Janzé")):
        person = gen_participant(db, first, name)
        lifecycle.contribute(db, first, person, first.steps[0].id, name, {"name": name, "structure": structure})
    db.refresh(network)
    assert networks.next_host(db, network) == "Médiathèque de Janzé"
    lifecycle.create_meeting(db, network_template(), host="Médiathèque de Janzé", network_id=network.id)
    db.refresh(network)
    assert networks.next_host(db, network) == "CCAS de Vitré", "then the one who hosted longest ago"
    assert [host for host, _meeting in networks.hosts(network)] == ["Médiathèque de Janzé", "CCAS de Vitré"]


def test_the_roadmap_comes_back_as_it_stands_and_its_progress_moves_across_meetings(db):
    network = networks.create_network(db, "Réseau")
    template = gen_template(StepTemplate("roadmap", "Feuille de route", "", {}))
    first = lifecycle.create_meeting(db, template, title="Lancement", network_id=network.id)
    lifecycle.start(db, first)
    awa = gen_participant(db, first)
    kept = lifecycle.contribute(
        db,
        first,
        awa,
        first.steps[0].id,
        "r1",
        {"kind": "item", "section": "workstreams", "text": "Un annuaire partagé"},
    ).contribution
    lifecycle.contribute(
        db, first, awa, first.steps[0].id, "r2", {"kind": "item", "section": "objectives", "text": "Pas validé"}
    )
    lifecycle.act(db, first, "validate", {"id": kept.id})
    lifecycle.act(db, first, "progress", {"id": kept.id, "progress": "in_progress"})
    lifecycle.close(db, first)

    second = lifecycle.create_meeting(db, template, title="Suivi", network_id=network.id)
    [carried] = queries.contributions(db, second.steps[0])
    assert carried.data["text"] == "Un annuaire partagé" and carried.status == "validated"
    assert carried.outcome["progress"] == "in_progress" and carried.origin_id == kept.id
    lifecycle.start(db, second)
    lifecycle.act(db, second, "progress", {"id": carried.id, "progress": "done"})
    lifecycle.close(db, second)
    assert "Un annuaire partagé (fait)" in second.minutes_md

    third = lifecycle.create_meeting(db, template, title="Suite", network_id=network.id)
    [again] = queries.contributions(db, third.steps[0])
    assert again.outcome["progress"] == "done", "each meeting starts from the latest state"
    with pytest.raises(InvalidInput):
        lifecycle.start(db, third)
        lifecycle.act(db, third, "progress", {"id": again.id, "progress": "someday"})


def test_the_network_feed_lists_its_published_minutes_newest_first(client, db):
    import xml.etree.ElementTree as ET

    network = networks.create_network(db, "Réseau de Vitré")
    titles = []
    for title in ("Rencontre de mars", "Rencontre d'avril"):
        meeting = lifecycle.create_meeting(db, gen_template(), title=title, network_id=network.id)
        lifecycle.start(db, meeting)
        lifecycle.close(db, meeting)
        lifecycle.publish(db, meeting)
        titles.append(title)
    lifecycle.create_meeting(db, gen_template(), title="Pas encore publiée", network_id=network.id)
    response = client.get(f"/feeds/{network.feed_token}.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == list(reversed(titles))
    assert all("/minutes/" in e.find(f"{atom}link").get("href") for e in entries)
    assert "<h1>" in entries[0].findtext(f"{atom}content")
    assert client.get("/feeds/not-the-token.atom").status_code == 404


def test_deadlines_still_to_come_are_shown_again_at_the_next_meeting(db):
    from datetime import timedelta

    from kit.core.models import utcnow

    network = networks.create_network(db, "Réseau")
    soon = (utcnow().date() + timedelta(days=40)).isoformat()
    news = {
        "items": [
            {"type": "funding_call", "title": "AAP à venir", "deadline": soon},
            {"type": "event", "title": "Passé", "date": "2020-05-05"},
        ]
    }
    template = gen_template(StepTemplate("news", "Actualité", "", news))
    first = lifecycle.create_meeting(db, template, network_id=network.id)
    lifecycle.start(db, first)
    lifecycle.close(db, first)
    news_only = gen_template(StepTemplate("news", "Actualité", "", {}))
    second = lifecycle.create_meeting(db, news_only, network_id=network.id)
    assert [item["title"] for item in second.steps[0].options["items"]] == ["AAP à venir"]
    third = lifecycle.create_meeting(db, template, network_id=network.id)
    titles = [item["title"] for item in third.steps[0].options["items"]]
    assert titles.count("AAP à venir") == 1, "an item the template has already is not repeated"


def test_the_directory_lists_only_who_agreed_and_each_corrects_or_removes_their_entry(client, db):
    network = networks.create_network(db, "Réseau")
    meeting = lifecycle.create_meeting(db, network_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    awa, bruno = gen_participant(db, meeting, "Awa"), gen_participant(db, meeting, "Bruno")
    lifecycle.contribute(
        db,
        meeting,
        awa,
        meeting.steps[0].id,
        "a",
        {"name": "Awa", "structure": "CCAS", "offers_other": "Pix", "share": "yes"},
    )
    lifecycle.contribute(db, meeting, bruno, meeting.steps[0].id, "b", {"name": "Bruno", "structure": "Mairie"})
    assert [e["name"] for e in networks.directory(db, network.id)] == ["Awa"], "Bruno did not agree"
    assert [e["name"] for e in networks.directory(db, network.id, "pix")] == ["Awa"]
    assert networks.directory(db, network.id, "mairie") == []

    page = f"/directory/{awa.token}"
    assert client.get(page).status_code == 200
    saved = client.post(
        page,
        data={
            "name": "Awa Diallo",
            "structure": "CCAS de Vitré",
            "offers_other": "Pix, Ateliers",
            "share": "yes",
            "action": "save",
        },
        headers=SAME_ORIGIN,
    )
    assert saved.status_code == 303
    [entry] = networks.directory(db, network.id)
    assert (entry["name"], entry["offers"]) == ("Awa Diallo", ["Pix", "Ateliers"])
    bad = client.post(page, data={"name": "  ", "action": "save"}, headers=SAME_ORIGIN)
    assert bad.status_code == 400 and 'role="alert"' in bad.get_data(as_text=True)
    client.post(page, data={"action": "remove"}, headers=SAME_ORIGIN)
    assert networks.directory(db, network.id) == []
    assert client.get("/directory/not-a-token").status_code == 404

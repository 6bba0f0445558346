"""The network's Atom feed: ids that stay when the laptop joins another network, an `updated` that
moves when published minutes change, and valid XML whatever the titles say."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import feedparser
from sqlalchemy import update

from kit.core import queries
from kit.core.models import Installation, Meeting, Network
from kit.meeting import lifecycle, privacy
from kit.network import networks
from tests.conftest import gen_participant, gen_template

A = "{http://www.w3.org/2005/Atom}"


def published_meeting(db, network: Network, title: str = "Rencontre de mars") -> Meeting:  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(), title=title, network_id=network.id)
    lifecycle.start(db, meeting)
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting


def read_feed(client, network: Network) -> ET.Element:  # type: ignore[no-untyped-def]
    response = client.get(f"/feeds/{network.feed_token}.atom")
    assert response.status_code == 200, response.status_code
    return ET.fromstring(response.data)


def entries(feed: ET.Element) -> dict[str, ET.Element]:
    return {str(e.findtext(f"{A}title")): e for e in feed.findall(f"{A}entry")}


def when(element: ET.Element, tag: str) -> datetime:
    return datetime.fromisoformat(str(element.findtext(f"{A}{tag}")))


def test_the_feed_keeps_its_ids_when_the_laptop_joins_another_network(app, client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = published_meeting(db, network)

    app.config["PUBLIC_URL"] = "http://192.168.1.20:8000"
    at_home = read_feed(client, network)
    app.config["PUBLIC_URL"] = "http://10.0.0.7:8000"
    in_the_room = read_feed(client, network)

    # the links follow the address; the ids do not
    assert at_home.find(f"{A}link").get("href", "").startswith("http://192.168.1.20:8000/")
    assert in_the_room.find(f"{A}link").get("href", "").startswith("http://10.0.0.7:8000/")
    [home_entry] = at_home.findall(f"{A}entry")
    [room_entry] = in_the_room.findall(f"{A}entry")
    assert home_entry.find(f"{A}link").get("href") != room_entry.find(f"{A}link").get("href")
    assert at_home.findtext(f"{A}id") == in_the_room.findtext(f"{A}id")
    assert home_entry.findtext(f"{A}id") == room_entry.findtext(f"{A}id")

    # ids are URNs named by this installation's uid and each record's own id, nothing else
    root = uuid.UUID(queries.installation_uid(db))
    assert at_home.findtext(f"{A}id") == f"urn:uuid:{uuid.uuid5(root, f'network-{network.id}')}"
    assert home_entry.findtext(f"{A}id") == f"urn:uuid:{uuid.uuid5(root, f'minutes-{meeting.id}')}"
    for text in (at_home.findtext(f"{A}id"), home_entry.findtext(f"{A}id")):
        assert "192.168" not in str(text) and meeting.share_token not in str(text)


def test_two_kits_never_give_the_same_ids(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    published_meeting(db, network)
    before = read_feed(client, network)
    # another laptop, with the same row ids in its own database
    db.execute(update(Installation).values(uid=str(uuid.uuid4())))
    db.commit()
    after = read_feed(client, network)
    assert before.findtext(f"{A}id") != after.findtext(f"{A}id")
    assert before.find(f"{A}entry").findtext(f"{A}id") != after.find(f"{A}entry").findtext(f"{A}id")


def test_editing_published_minutes_moves_the_entry_and_the_feed_but_keeps_the_id(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    march = published_meeting(db, network, "Rencontre de mars")
    published_meeting(db, network, "Rencontre d'avril")
    before = read_feed(client, network)
    old = entries(before)["Rencontre de mars"]
    assert when(old, "updated") == when(old, "published") == march.published_at

    lifecycle.edit_minutes(db, march, (march.minutes_md or "") + "\nUne précision ajoutée après coup.")
    after = read_feed(client, network)
    new = entries(after)["Rencontre de mars"]
    assert new.findtext(f"{A}id") == old.findtext(f"{A}id")
    assert when(new, "published") == when(old, "published")
    assert when(new, "updated") > when(old, "updated")
    assert "Une précision ajoutée après coup." in str(new.findtext(f"{A}content"))
    # the feed says it changed when its newest change happened, the older meeting's edit
    assert when(after, "updated") == when(new, "updated") == march.minutes_updated_at
    assert [e.findtext(f"{A}title") for e in after.findall(f"{A}entry")] == ["Rencontre d'avril", "Rencontre de mars"]


def test_saving_the_same_minutes_again_changes_nothing(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = published_meeting(db, network)
    before = read_feed(client, network)
    lifecycle.edit_minutes(db, meeting, (meeting.minutes_md or "").rstrip("\n"))
    after = read_feed(client, network)
    assert after.findtext(f"{A}updated") == before.findtext(f"{A}updated")


def test_a_withdrawal_moves_the_entry_but_keeps_its_id(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = lifecycle.create_meeting(db, gen_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    lifecycle.move(db, meeting, +1)
    awa = gen_participant(db, meeting)
    card = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "a1", {"text": "Un guide des démarches"})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    [old] = read_feed(client, network).findall(f"{A}entry")
    assert "Un guide des démarches" in str(old.findtext(f"{A}content"))

    privacy.withdraw(db, awa, card.contribution.id)
    [new] = read_feed(client, network).findall(f"{A}entry")
    assert "Un guide des démarches" not in str(new.findtext(f"{A}content"))
    assert new.findtext(f"{A}id") == old.findtext(f"{A}id")
    assert when(new, "updated") > when(old, "updated")


def test_erasing_personal_data_moves_the_entry(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = lifecycle.create_meeting(db, gen_template(), network_id=network.id)
    lifecycle.start(db, meeting)
    awa = gen_participant(db, meeting, "Awa Diallo")
    lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "c1", {"name": "Awa Diallo", "share": True})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    [old] = read_feed(client, network).findall(f"{A}entry")
    assert "Awa Diallo" in str(old.findtext(f"{A}content"))

    privacy.forget_old_meetings(db, 1, now=meeting.closed_at + timedelta(days=2))  # what `kit forget` runs
    [new] = read_feed(client, network).findall(f"{A}entry")
    assert "Awa Diallo" not in str(new.findtext(f"{A}content"))
    assert new.findtext(f"{A}id") == old.findtext(f"{A}id")
    assert when(new, "updated") > when(old, "updated")


def test_minutes_published_before_kit_noted_changes_are_dated_by_their_publication(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = published_meeting(db, network)
    meeting.minutes_updated_at = None
    db.commit()
    feed = read_feed(client, network)
    [entry] = feed.findall(f"{A}entry")
    assert when(entry, "updated") == when(entry, "published") == meeting.published_at
    assert when(feed, "updated") == meeting.published_at


def test_unpublished_minutes_make_no_entry_and_an_empty_feed_keeps_its_date(client, db):
    network = networks.create_network(db, "Réseau de Vitré")
    closed = lifecycle.create_meeting(db, gen_template(), title="Fermée, pas publiée", network_id=network.id)
    lifecycle.start(db, closed)
    lifecycle.close(db, closed)
    lifecycle.create_meeting(db, gen_template(), title="En préparation", network_id=network.id)
    first = read_feed(client, network)
    assert first.findall(f"{A}entry") == []
    # no entry: the feed's date is the network's, not the moment it was asked for
    assert when(first, "updated") == network.created_at
    assert read_feed(client, network).findtext(f"{A}updated") == first.findtext(f"{A}updated")


def test_french_titles_and_markup_characters_stay_valid_xml(client, db):
    title = "Réseau d'Été & <Fougères> — « ça marche » ?"
    network = networks.create_network(db, title)
    meeting = published_meeting(db, network, "Rencontre à l'Hôtel-Dieu : écrans & <enfants>")
    lifecycle.edit_minutes(db, meeting, "# Compte rendu\n\nÀ noter : 3 < 5 & « l'été » > tout.")
    response = client.get(f"/feeds/{network.feed_token}.atom")

    feed = ET.fromstring(response.data)
    [entry] = feed.findall(f"{A}entry")
    assert entry.findtext(f"{A}title") == "Rencontre à l'Hôtel-Dieu : écrans & <enfants>"
    assert title in str(feed.findtext(f"{A}title"))

    # a real feed reader's parser: strict XML (bozo would flag a well-formedness error), same text
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == feed.findtext(f"{A}id")
    [read] = parsed.entries
    assert read.title == "Rencontre à l'Hôtel-Dieu : écrans & <enfants>"
    assert read.id == entry.findtext(f"{A}id")
    assert read.published_parsed and read.updated_parsed
    assert "« l'été »" in read.content[0].value and "3 &lt; 5 &amp;" in read.content[0].value

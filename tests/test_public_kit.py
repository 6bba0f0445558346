"""Publishing to the network's public kit, in one process: what the laptop sends (and never sends),
and how the public kit's API takes it, updates it and refuses it (docs/publishing.md).
tests/test_public_kit_e2e.py drives the same between two real kit processes over TLS."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from sqlalchemy import func, select

from kit.core.db import get_session
from kit.core.models import Meeting, Network, Participant, datetime, utcnow
from kit.meeting import lifecycle
from kit.network import keys, networks, transfer
from kit.publishing import links, public_kit
from tests.conftest import gen_template
from tests.fake_kit import FakeKit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def published_meeting(db: Any, title: str = "Rencontre de mars") -> Meeting:
    network = networks.create_network(db, "Réseau 35", "Ille-et-Vilaine")
    meeting = lifecycle.create_meeting(db, gen_template(), title=title, network_id=network.id, place="Vitré")
    lifecycle.start(db, meeting)
    awa = lifecycle.join(db, meeting, "Awa", "Médiathèque", "Vitré")
    data = {
        "name": "Awa",
        "structure": "Médiathèque",
        "territory": "Vitré",
        "share": "yes",
        "email": "awa@example.org",
        "wants_minutes": "yes",
    }
    lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "ci-awa", data)
    lifecycle.move(db, meeting, +1)
    lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "b1", {"text": "Un atelier sur les arnaques"})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting


def build(app: Any, db: Any, meeting: Meeting) -> dict[str, Any]:
    with app.test_request_context():
        return public_kit.payload(db, meeting, Path(app.instance_path) / "uploads")


def api(client: Any, key: str | None, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return client.post("/api/v1/meetings", data=data, headers={"Content-Type": "application/json", **headers})


def test_the_payload_carries_the_minutes_and_no_phone_token_nor_email(app, db):
    meeting = published_meeting(db)
    body = build(app, db, meeting)
    text = json.dumps(body)
    person = db.scalar(select(Participant).where(Participant.meeting_id == meeting.id))
    assert person.email == "awa@example.org"  # kit has it: the payload must not
    assert person.token not in text
    assert "awa@example.org" not in text
    assert "wants_minutes" not in text
    assert meeting.facilitator_key not in text and meeting.screen_key not in text and meeting.share_token not in text
    assert body["format"] == public_kit.FORMAT
    assert body["minutes_md"] == meeting.minutes_md
    assert "Un atelier sur les arnaques" in text
    assert body["meeting"]["id"] == meeting.id and body["meeting"]["title"] == "Rencontre de mars"


def test_a_withdrawn_contribution_leaves_the_payload(app, db):
    meeting = published_meeting(db)
    person = db.scalar(select(Participant).where(Participant.meeting_id == meeting.id))
    from kit.core.models import Contribution

    board = db.scalar(select(Contribution).where(Contribution.step_id == meeting.steps[1].id))
    from kit.meeting import privacy

    privacy.withdraw(db, person, board.id)
    assert "arnaques" not in json.dumps(build(app, db, meeting))
    assert public_kit.needs_sending(meeting)


def test_sending_twice_gives_one_meeting_at_one_address(app, db, client):
    meeting = published_meeting(db)
    key = keys.create_key(db, meeting.network)
    body = build(app, db, meeting)
    first = api(client, key, body)
    assert first.status_code == 201, first.json
    second = api(client, key, body)
    assert second.status_code == 200 and second.json["url"] == first.json["url"]
    received = db.scalars(select(Meeting).where(Meeting.received_from.is_not(None))).all()
    assert len(received) == 1
    page = client.get(urlsplit(first.json["url"]).path)
    assert page.status_code == 200 and "Un atelier sur les arnaques" in page.text
    # nothing changed: a feed reader is not told of an update
    assert second.json["updated_at"] == first.json["updated_at"]
    token = received[0].share_token
    assert client.get(f"/minutes/{token}.json").json["title"] == "Rencontre de mars"
    assert client.get(f"/minutes/{token}.md").text == meeting.minutes_md


def test_the_public_kit_refuses_clearly(app, db, client):
    meeting = published_meeting(db)
    key = keys.create_key(db, meeting.network)
    body = build(app, db, meeting)

    missing = api(client, None, body)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "no_key"
    unknown = api(client, "kitpub_nope", body)
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "unknown_key"
    assert "clé" in unknown.json["error"]["message"]

    newer = copy.deepcopy(body) | {"format": public_kit.FORMAT + 1}
    answer = api(client, key, newer)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "newer_format"
    assert "version" in answer.json["error"]["message"]

    bad = copy.deepcopy(body)
    bad["meeting"]["title"] = ""
    answer = api(client, key, bad)
    assert answer.status_code == 422 and answer.json["error"]["field"] == "meeting.title"
    bad = copy.deepcopy(body)
    bad["meeting"]["date"] = "31/03/2026"
    assert api(client, key, bad).json["error"]["field"] == "meeting.date"
    assert api(client, key, b"{not json").status_code == 400

    app.config["PUBLISH_MAX_BYTES"] = 2000
    big = copy.deepcopy(body) | {"minutes_md": "x" * 5000}
    answer = api(client, key, big)
    assert answer.status_code == 413 and answer.json["error"]["code"] == "too_big"
    app.config["PUBLISH_MAX_BYTES"] = 8 * 1024 * 1024

    found = keys.network_keys(db, meeting.network)[0]
    keys.revoke(db, meeting.network, found.id)
    revoked = api(client, key, body)
    assert revoked.status_code == 403 and revoked.json["error"]["code"] == "revoked_key"
    assert "révoquée" in revoked.json["error"]["message"]
    # none of these left a meeting behind
    assert db.scalar(select(func.count(Meeting.id)).where(Meeting.received_from.is_not(None))) == 0


def test_an_edit_updates_the_same_meeting_and_the_feed_uses_the_servers_clock(app, db, client):
    meeting = published_meeting(db)
    key = keys.create_key(db, meeting.network)
    body = build(app, db, meeting)
    # the laptop's clock is an hour ahead: its times travel as data, never as what the server records
    for field in ("started_at", "closed_at"):
        body["meeting"][field] = (datetime.fromisoformat(body["meeting"][field]) + timedelta(hours=1)).isoformat()
    before = utcnow()
    first = api(client, key, body).json
    body["minutes_md"] += "\nUne correction.\n"
    second = api(client, key, body).json
    after = utcnow()
    assert second["url"] == first["url"]
    received = db.scalar(select(Meeting).where(Meeting.received_from.is_not(None)))
    db.refresh(received)
    assert "Une correction." in (received.minutes_md or "")
    assert before <= received.published_at <= received.minutes_updated_at <= after
    network = db.get(Network, received.network_id)
    feed = feedparser.parse(client.get(f"/feeds/{network.feed_token}.atom").data)
    entry = next(e for e in feed.entries if e.link == first["url"])
    assert before.replace(microsecond=0) <= datetime.fromisoformat(entry.updated).astimezone(before.tzinfo) <= after


def test_the_photo_and_the_dates_come_along(app, db, client):
    meeting = published_meeting(db)
    key = keys.create_key(db, meeting.network)
    body = build(app, db, meeting)
    body["photo"] = {"data": base64.b64encode(PNG).decode()}
    body["events"] = [{"uid": "abc-1", "date": "2026-04-30", "summary": "Date limite : AAP", "description": ""}]
    url = api(client, key, body).json["url"]
    token = url.rsplit("/", 1)[1]
    calendar = client.get(f"/minutes/{token}.ics")
    assert calendar.status_code == 200 and b"abc-1" in calendar.data and b"20260430" in calendar.data
    onefile = client.get(f"/minutes/{token}.html")
    assert "data:image/png;base64," in onefile.text
    body["photo"] = {"data": base64.b64encode(b"not a photo").decode()}
    assert api(client, key, body).json["error"]["field"] == "photo"


def test_links_give_the_public_address_once_there_is_one(app, db):
    meeting = published_meeting(db)
    with app.test_request_context():
        assert links.minutes_url(meeting) == links.local_minutes_url(meeting)
        assert "/minutes/" + meeting.share_token in links.minutes_url(meeting)
        meeting.public_url = "https://kit.example.fr/minutes/abc"
        assert links.minutes_url(meeting) == "https://kit.example.fr/minutes/abc"
        assert links.local_minutes_url(meeting).endswith("/minutes/" + meeting.share_token)


def test_the_key_is_shown_once_kept_hashed_and_never_exported(app, db, client):
    with client.session_transaction() as session:
        session["admin"] = app.config["ADMIN_TOKEN"]
    network = networks.create_network(db, "Réseau 35", "35")
    made = client.post(f"/networks/{network.id}/publishing-keys")
    assert made.status_code == 200
    key = made.text.split("data-new-key>", 1)[1].split("<", 1)[0]
    assert key.startswith(keys.PREFIX)
    assert key not in client.get(f"/networks/{network.id}").text
    stored = keys.network_keys(db, network)[0]
    assert key not in (stored.key_hash, stored.hint)

    saved = client.post(
        f"/networks/{network.id}/public-kit", data={"publish_url": "https://kit.example.fr/", "publish_key": key}
    )
    assert saved.status_code == 303
    db.refresh(network)
    assert network.publish_url == "https://kit.example.fr" and network.publish_key == key
    page = client.get(f"/networks/{network.id}").text
    assert key not in page and key[-4:] in page
    assert key not in json.dumps(transfer.export_network(db, network))
    # an empty key field keeps the key; http:// to another machine is refused
    client.post(f"/networks/{network.id}/public-kit", data={"publish_url": "https://kit.example.fr", "publish_key": ""})
    db.refresh(network)
    assert network.publish_key == key
    refused = client.post(f"/networks/{network.id}/public-kit", data={"publish_url": "http://kit.example.fr"})
    assert refused.status_code == 400 and "https://" in refused.text


def test_the_console_asks_for_a_public_kit_and_the_end_screen_says_how_minutes_arrive(app, db, client):
    meeting = published_meeting(db)
    screen = client.get(f"/m/{meeting.code}/screen?key={meeting.screen_key}", follow_redirects=True)
    assert screen.status_code == 200
    from kit.live.state import state

    with app.test_request_context():
        view = state(get_session(), meeting, "screen", "fr")
        assert "fichier" in view["html"]  # the one file, at least
        console = state(get_session(), meeting, "console", "fr")
        assert "kit public" in console["html"]
        meeting.public_url = "https://kit.example.fr/minutes/abc"
        meeting.public_sent_at = utcnow()
        view = state(get_session(), meeting, "screen", "fr")
        assert "https://kit.example.fr/minutes/abc" in view["html"] and "qr.svg" in view["html"]


@pytest.mark.parametrize(
    ("status", "answer", "kind", "temporary"),
    [
        (401, {"error": {"code": "unknown_key"}}, "key", False),
        (403, {"error": {"code": "revoked_key"}}, "key", False),
        (409, {"error": {"code": "newer_format"}}, "format", False),
        (413, {"error": {"code": "too_big"}}, "too_big", False),
        (422, {"error": {"code": "invalid", "message": "Le titre manque."}}, "refused", False),
        (500, None, "server", True),
        (503, None, "server", True),
    ],
)
def test_each_refusal_of_the_public_kit_has_its_kind(status, answer, kind, temporary):
    with FakeKit(status=status, answer=answer) as fake:
        with pytest.raises(public_kit.SendError) as caught:
            public_kit.post(fake.url, "kitpub_x", b"{}", timeout=5)
    assert caught.value.kind == kind and caught.value.temporary is temporary

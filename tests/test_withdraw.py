"""A participant sees and deletes their own contributions, during the meeting and after it.

The words are erased from the database, leave every view, the minutes, the exports and the feed;
published minutes say a contribution was removed at the participant's request; votes and merges
stay consistent; the directory forgets a withdrawn check-in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.core import queries
from kit.core.errors import Forbidden, KitError, NotFound
from kit.core.models import Contribution
from kit.meeting import lifecycle, moderation, privacy, votes
from kit.meeting.templates import StepTemplate
from kit.network import networks
from kit.publishing.exports import to_csv
from kit.publishing.feeds import atom
from kit.publishing.minutes import as_data
from tests.conftest import gen_meeting, gen_participant, gen_template

SAME_ORIGIN = {"Origin": "http://localhost"}
SECRET = "Mon voisin Didier ne sait pas lire"


def board_meeting(db):  # type: ignore[no-untyped-def]
    meeting = gen_meeting(db, live=True)
    lifecycle.move(db, meeting, +1)  # the board
    awa = gen_participant(db, meeting, "Awa Diallo")
    bruno = gen_participant(db, meeting, "Bruno Martin")
    board = meeting.steps[1].id
    mine = lifecycle.contribute(db, meeting, awa, board, "a1", {"text": SECRET}).contribution
    other = lifecycle.contribute(db, meeting, bruno, board, "b1", {"text": "Un atelier sur les arnaques"}).contribution
    return meeting, awa, bruno, mine, other


def test_withdrawing_erases_the_words_and_is_safe_to_repeat(db):
    meeting, awa, bruno, mine, other = board_meeting(db)
    moderation.edit(db, meeting, mine.id, SECRET + " (corrigé)")
    version = meeting.version
    withdrawn, changed = privacy.withdraw(db, awa, mine.id)
    assert changed and withdrawn.id == mine.id and meeting.version > version
    assert withdrawn.data == {"withdrawn": True} and withdrawn.original is None
    assert withdrawn.hidden_by == "participant" and not withdrawn.visible
    assert [c.id for c in queries.contributions(db, meeting.steps[1])] == [other.id]
    assert lifecycle.counts(db, meeting)["contributions"] == 1
    # a resend after a lost ack changes nothing; so does a resend of the first contribution
    assert privacy.withdraw(db, awa, mine.id)[1] is False
    again = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "a1", {"text": SECRET})
    assert again.contribution.id == mine.id and not again.changed
    assert db.query(Contribution).filter(Contribution.data.is_not(None)).count() == 2
    # the facilitator cannot bring it back nor rewrite it
    for action in (lambda: moderation.show(db, meeting, mine.id), lambda: moderation.edit(db, meeting, mine.id, "x")):
        with pytest.raises(KitError) as refused:
            action()
        assert refused.value.code == "withdrawn"


def test_only_ones_own_contributions_can_be_withdrawn(db):
    meeting, awa, bruno, mine, other = board_meeting(db)
    with pytest.raises(Forbidden):
        privacy.withdraw(db, bruno, mine.id)
    elsewhere = gen_meeting(db, live=True)
    stranger = gen_participant(db, elsewhere, "Chloé")
    for target in (mine.id, 10**6, "1", None, True, -1):
        with pytest.raises(NotFound):
            privacy.withdraw(db, stranger, target)
    assert mine.data["text"] == SECRET


def test_votes_and_merges_stay_consistent(db):
    template = gen_template(StepTemplate("needs", "Besoins", "", {}))
    meeting = lifecycle.create_meeting(db, template)
    lifecycle.start(db, meeting)
    awa, bruno, chloe = (gen_participant(db, meeting, name) for name in ("Awa", "Bruno", "Chloé"))
    step = meeting.steps[0].id
    need = lifecycle.contribute(db, meeting, awa, step, "n", {"text": SECRET}).contribution
    twin = lifecycle.contribute(db, meeting, bruno, step, "t", {"text": "Aider un voisin qui ne lit pas"}).contribution
    third = lifecycle.contribute(db, meeting, chloe, step, "c", {"text": "Lire pour quelqu'un"}).contribution
    votes.set_vote(db, meeting, chloe, need.id, True)
    votes.set_vote(db, meeting, bruno, need.id, True)
    moderation.merge(db, meeting, twin.id, need.id)  # Bruno's vote for the need stays, his twin's votes follow
    moderation.merge(db, meeting, third.id, need.id)
    privacy.withdraw(db, awa, need.id)
    # the oldest duplicate takes the need's place and its supporters; the other stays merged into it
    assert twin.visible and third.merged_into_id == twin.id
    assert queries.tallies(db, step) == {twin.id: 2}
    assert [c.id for c in queries.contributions(db, meeting.steps[0])] == [twin.id]
    # without duplicates, the support for words that no longer exist goes too
    lonely = lifecycle.contribute(db, meeting, awa, step, "l", {"text": "Autre besoin"}).contribution
    votes.set_vote(db, meeting, bruno, lonely.id, True)
    privacy.withdraw(db, awa, lonely.id)
    assert lonely.id not in queries.tallies(db, step)


def test_after_publication_the_minutes_exports_and_feed_lose_the_words(app, db):
    network = networks.create_network(db, "Réseau de Vitré")
    meeting = gen_meeting(db, live=True, network_id=network.id)
    lifecycle.move(db, meeting, +1)
    awa = gen_participant(db, meeting, "Awa Diallo")
    mine = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "a1", {"text": SECRET}).contribution
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    assert SECRET in (meeting.minutes_md or "")
    privacy.withdraw(db, awa, mine.id)
    minutes = meeting.minutes_md or ""
    assert SECRET not in minutes
    assert "1 contribution a été retirée à la demande de la personne." in minutes
    assert SECRET not in to_csv(db, meeting, meeting.steps)
    assert SECRET not in json.dumps(as_data(db, meeting), ensure_ascii=False)
    with app.test_request_context():
        assert SECRET.encode() not in atom(db, network, "http://kit.test/feed")


def test_edited_minutes_keep_their_edits_and_say_where_the_words_were_removed(db):
    meeting, awa, bruno, mine, other = board_meeting(db)
    lifecycle.close(db, meeting)
    meeting.minutes_md = (meeting.minutes_md or "") + "\nNote de l'animatrice : merci à tous.\n"
    lifecycle.publish(db, meeting)
    privacy.withdraw(db, awa, mine.id)
    minutes = meeting.minutes_md or ""
    assert SECRET not in minutes and "merci à tous" in minutes
    assert "(retiré à la demande de la personne)" in minutes.replace("\\(", "(").replace("\\)", ")")
    assert "Un atelier sur les arnaques" in minutes


def test_a_withdrawn_check_in_leaves_the_directory(db):
    network = networks.create_network(db, "Réseau de Vitré")
    entry = {"name": "Awa Diallo", "structure": "CCAS", "role": "CnFS", "share": "yes", "offers_other": "PIX"}
    for month in ("mars", "avril"):
        meeting = lifecycle.create_meeting(db, gen_template(), title=f"Rencontre de {month}", network_id=network.id)
        lifecycle.start(db, meeting)
        awa = gen_participant(db, meeting, "Awa Diallo")
        check_in = lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "c", entry).contribution
    assert [e["name"] for e in networks.directory(db, network.id)] == ["Awa Diallo"]
    privacy.withdraw(db, awa, check_in.id)
    assert networks.directory(db, network.id) == [], "an older entry does not come back"
    assert "CnFS" not in json.dumps(check_in.data)


def test_the_phone_withdraws_with_an_ack_and_every_view_redraws(app, db, live_clients):
    meeting, awa, bruno, mine, other = board_meeting(db)
    phone = live_clients("phone", {"meeting": meeting.code, "token": awa.token})
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    snapshot = next(m["args"][0] for m in phone.get_received("/phone") if m["name"] == "snapshot")
    assert [item["id"] for item in snapshot["mine"]] == [mine.id]
    screen.get_received("/screen")
    someone = live_clients("phone", {"meeting": meeting.code, "token": bruno.token})
    refused = someone.emit("withdraw", {"contribution_id": mine.id}, namespace="/phone", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
    ack = phone.emit("withdraw", {"contribution_id": mine.id}, namespace="/phone", callback=True)
    assert ack["ok"] and ack["changed"] and ack["withdrawn"] and ack["id"] == mine.id and ack["summary"] == ""
    states = [m["args"][0] for m in screen.get_received("/screen") if m["name"] == "state"]
    assert states and SECRET not in states[-1]["html"] and [i["id"] for i in states[-1]["items"]] == [other.id]
    again = phone.emit("withdraw", {"contribution_id": mine.id}, namespace="/phone", callback=True)
    assert again["ok"] and not again["changed"]
    # after the meeting, the same phone still can
    later = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "a2", {"text": "Encore une idée"}).contribution
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    ack = phone.emit("withdraw", {"contribution_id": later.id}, namespace="/phone", callback=True)
    assert ack["ok"] and ack["changed"]
    assert "Encore une idée" not in (db.get(type(meeting), meeting.id).minutes_md or "")


def test_the_personal_link_lists_and_deletes_after_a_confirmation(client, db):
    meeting, awa, bruno, mine, other = board_meeting(db)
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    page = client.get(f"/mine/{awa.token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert SECRET in text and "Un atelier sur les arnaques" not in text
    assert f"/mine/{awa.token}/{mine.id}" in text
    confirm = client.get(f"/mine/{awa.token}/{mine.id}")
    assert confirm.status_code == 200 and SECRET in confirm.get_data(as_text=True)
    assert "Oui, supprimer" in confirm.get_data(as_text=True)
    assert client.post(f"/mine/{awa.token}/{mine.id}", headers={"Origin": "http://evil.example"}).status_code == 403
    assert mine.data.get("text") == SECRET
    # someone else's contribution, or a wrong link: refused, nothing changed
    assert client.get(f"/mine/{awa.token}/{other.id}").status_code == 403
    assert client.post(f"/mine/{awa.token}/{other.id}", headers=SAME_ORIGIN).status_code == 403
    assert client.get("/mine/not-a-real-token-at-all").status_code == 404
    done = client.post(f"/mine/{awa.token}/{mine.id}", headers=SAME_ORIGIN)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/mine/{awa.token}?deleted=1")
    db.refresh(mine)
    assert mine.withdrawn and SECRET not in client.get(f"/mine/{awa.token}").get_data(as_text=True)
    assert SECRET not in client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)
    assert other.data["text"] == "Un atelier sur les arnaques"


def test_a_need_carried_over_to_the_next_meeting_is_erased_there_too(db):
    network = networks.create_network(db, "Réseau de Vitré")
    template = gen_template(StepTemplate("needs", "Besoins", "", {}))
    march = lifecycle.create_meeting(db, template, title="Mars", network_id=network.id)
    lifecycle.start(db, march)
    awa = gen_participant(db, march, "Awa")
    need = lifecycle.contribute(db, march, awa, march.steps[0].id, "n", {"text": SECRET}).contribution
    lifecycle.act(db, march, "defer", {"id": need.id, "channel": "next_meeting"})
    lifecycle.close(db, march)
    april = lifecycle.create_meeting(db, template, title="Avril", network_id=network.id)
    lifecycle.start(db, april)
    [copy] = [c for c in queries.contributions(db, april.steps[0]) if c.origin_id == need.id]
    assert copy.data["text"] == SECRET
    lifecycle.close(db, april)
    assert SECRET in (april.minutes_md or "")
    privacy.withdraw(db, awa, need.id)
    db.refresh(copy)
    assert copy.withdrawn and SECRET not in json.dumps(copy.data)
    assert SECRET not in (april.minutes_md or "") and SECRET not in (march.minutes_md or "")


def test_an_accepted_news_item_copied_into_the_next_meeting_is_taken_out_there_too(db):
    from datetime import timedelta

    from kit.core.models import utcnow

    network = networks.create_network(db, "Réseau de Vitré")
    soon = (utcnow().date() + timedelta(days=30)).isoformat()
    template = gen_template(StepTemplate("news", "Actualité", "", {"items": [{"title": "AAP régional"}]}))
    march = lifecycle.create_meeting(db, template, title="Mars", network_id=network.id)
    lifecycle.start(db, march)
    awa = gen_participant(db, march, "Awa")
    data = {"type": "event", "title": SECRET, "date": soon, "description": "Chez Didier"}
    proposal = lifecycle.contribute(db, march, awa, march.steps[0].id, "n", data).contribution
    lifecycle.act(db, march, "accept", {"id": proposal.id})
    lifecycle.close(db, march)
    april = lifecycle.create_meeting(db, template, title="Avril", network_id=network.id)
    lifecycle.start(db, april)
    assert SECRET in json.dumps(april.steps[0].options)
    lifecycle.close(db, april)
    assert SECRET in (april.minutes_md or "")
    privacy.withdraw(db, awa, proposal.id)
    db.expire_all()
    titles = [item["title"] for item in april.steps[0].options["items"]]
    assert titles == ["AAP régional"], "the network's own prepared item stays"
    assert SECRET not in (april.minutes_md or "") and SECRET not in (march.minutes_md or "")


def test_withdrawn_words_leave_the_database_file_and_its_wal(db):
    """SQLite keeps old pages in the -wal file until a checkpoint, and freed pages in the database
    file unless secure_delete is on: a withdrawal checkpoints and every page freed is zeroed."""
    url = db.get_bind().url
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite only")

    path = Path(url.database or "")
    meeting, awa, _bruno, mine, _other = board_meeting(db)
    marker = "MARQUEUR-UNIQUE-" + "7c1f" * 8
    moderation.edit(db, meeting, mine.id, marker + " (corrigé)")
    again = lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "marker-2", {"text": marker})
    files = [path, path.with_name(path.name + "-wal")]
    assert any(marker.encode() in f.read_bytes() for f in files if f.exists()), "the test writes the marker"
    privacy.withdraw(db, awa, mine.id)
    privacy.withdraw(db, awa, again.contribution.id)
    for f in files:
        if f.exists():
            assert marker.encode() not in f.read_bytes(), f"the withdrawn words are still in {f.name}"

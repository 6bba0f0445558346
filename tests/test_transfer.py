"""A whole network moves to another kit server as one JSON file, and comes back the same."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kit import create_app, places
from kit.core import queries
from kit.core.db import get_session
from kit.core.errors import KitError
from kit.meeting import lifecycle, moderation, votes
from kit.meeting.templates import StepTemplate
from kit.network import networks
from kit.network.transfer import VERSION, export_network, import_network
from tests.conftest import gen_participant, gen_template

SAME_ORIGIN = {"Origin": "http://localhost"}


def busy_network(db):  # type: ignore[no-untyped-def]
    network = networks.create_network(db, "Réseau de Vitré", "Vitré Communauté", "epci")
    template = gen_template(StepTemplate("checkin", "Accueil", "", {}), StepTemplate("needs", "Besoins", "", {}))
    first = lifecycle.create_meeting(db, template, title="Mars", network_id=network.id)
    lifecycle.start(db, first)
    awa, bruno = gen_participant(db, first, "Awa"), gen_participant(db, first, "Bruno")
    lifecycle.contribute(db, first, awa, first.steps[0].id, "c", {"name": "Awa", "offers_other": "Pix"})
    needs = lifecycle.move(db, first, +1)
    one = lifecycle.contribute(db, first, awa, needs.id, "n1", {"text": "Former à France Connect"}).contribution
    two = lifecycle.contribute(db, first, bruno, needs.id, "n2", {"text": "France Connect, encore"}).contribution
    votes.set_vote(db, first, bruno, one.id, True)
    moderation.merge(db, first, two.id, one.id)
    lifecycle.act(db, first, "defer", {"id": one.id, "channel": "next_meeting"})
    lifecycle.close(db, first)
    lifecycle.publish(db, first)
    lifecycle.create_meeting(db, template, title="Avril", network_id=network.id)  # carries the need over
    example = Path(__file__).parent / "fixtures" / "standard-mediation-num" / "exemple-valide.csv"
    places.apply_import(db, network, example.read_bytes())
    [place] = places.network_places(db, network.id)
    places.add_member(db, place, "Awa")
    place.offer = {"duration": "1 h", "frequency": "chaque mardi"}
    db.commit()
    return network


def test_export_then_import_elsewhere_then_export_gives_the_same_file(app, db, tmp_path):
    network = busy_network(db)
    exported = export_network(db, network)
    text = json.dumps(exported, sort_keys=True)
    elsewhere = create_app({"INSTANCE_PATH": str(tmp_path / "elsewhere"), "ASYNC_MODE": "threading"})
    with elsewhere.app_context():
        other = get_session()
        imported = import_network(other, json.loads(text))
        assert json.dumps(export_network(other, imported), sort_keys=True) == text
        april = imported.meetings[1]
        [carried] = queries.contributions(other, april.steps[1])
        assert carried.origin_id is not None and carried.data["text"] == "Former à France Connect"
        # the published minutes answer at the same share link on the new server
        [place] = places.network_places(other, imported.id)
        assert place.ref == "structure-1" and [m.name for m in place.members] == ["Awa"]
        march = imported.meetings[0]
        assert elsewhere.test_client().get(f"/minutes/{march.share_token}").status_code == 200


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (None, "bad_import"),
        ({"format": "something else"}, "bad_import"),
        ({"format": "kit-network", "version": VERSION + 1}, "newer_import"),
        ({"format": "kit-network", "version": VERSION, "network": {"name": "X"}, "meetings": "many"}, "bad_import"),
        (
            {
                "format": "kit-network",
                "version": VERSION,
                "network": {"name": "X"},
                "meetings": [{"title": "Sans le reste"}],
            },
            "bad_import",
        ),
    ],
)
def test_a_bad_file_is_refused_plainly_and_writes_nothing(db, data, code):
    with pytest.raises(KitError) as caught:
        import_network(db, data)
    assert caught.value.code == code and str(caught.value.message)
    assert networks.all_networks(db) == []


def test_importing_the_same_network_twice_is_refused(db):
    network = busy_network(db)
    exported = export_network(db, network)
    with pytest.raises(KitError) as caught:
        import_network(db, exported)
    assert caught.value.code == "import_conflict"
    assert len(networks.all_networks(db)) == 1


def test_the_admin_exports_and_imports_in_the_browser(client, app, db):
    network = busy_network(db)
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    exported = client.get(f"/networks/{network.id}/export.json")
    assert exported.status_code == 200 and exported.get_json()["format"] == "kit-network"
    junk = client.post(
        "/admin/networks/import",
        data={"file": (io.BytesIO(b"{not json"), "x.json")},
        content_type="multipart/form-data",
        headers=SAME_ORIGIN,
    )
    assert junk.status_code == 303 and "error=" in junk.headers["Location"]

"""A network's public page: what a partner or someone who missed a meeting looks for, on a phone."""

from __future__ import annotations

from datetime import timedelta

from kit.core.db import get_session
from kit.core.models import utcnow
from kit.meeting import lifecycle
from kit.network import networks
from kit.places import create_place
from tests.conftest import gen_template

FR = {"Accept-Language": "fr"}


def test_the_public_page_lists_published_minutes_the_next_meeting_and_the_places(app, client):
    with app.app_context():
        db = get_session()
        network = networks.create_network(db, "Réseau des aidants numériques du pays de Fougères", "Fougères")
        for n, title in enumerate(("Rencontre de septembre", "Rencontre d'octobre", "Rencontre <b>secrète</b>")):
            meeting = lifecycle.create_meeting(db, gen_template(), title=title, network_id=network.id)
            lifecycle.start(db, meeting)
            lifecycle.close(db, meeting)
            if n < 2:
                lifecycle.publish(db, meeting)
        soon = utcnow().date() + timedelta(days=20)
        lifecycle.create_meeting(
            db,
            gen_template(),
            title="Rencontre de décembre",
            network_id=network.id,
            meeting_date=soon,
            place="Lécousse",
        )
        place = create_place(db, network, "Espace France Services de Fougères", "Fougères")
        place.data = {**place.data, "services": ["Accéder à une connexion internet"]}
        db.commit()
        token = network.feed_token
    page = client.get(f"/n/{token}", headers=FR).get_data(as_text=True)
    assert "Rencontre de septembre" in page and "Rencontre d&#39;octobre" in page
    assert "secrète" not in page  # closed, not published
    assert "Rencontre de décembre" in page and "Lécousse" in page
    assert "Espace France Services de Fougères" in page and "Accéder à une connexion internet" in page
    assert f"/feeds/{token}.atom" in page and 'lang="fr"' in page
    assert client.get("/n/not-a-network").status_code == 404


def test_a_network_with_nothing_yet_says_so_plainly(app, client):
    with app.app_context():
        network = networks.create_network(get_session(), "Réseau tout neuf")
        token = network.feed_token
    page = client.get(f"/n/{token}", headers=FR).get_data(as_text=True)
    assert "Aucun compte rendu publié" in page and "Aucune date" in page and "Aucun lieu" in page

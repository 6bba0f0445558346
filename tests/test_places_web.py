"""The places in the pages: import with a preview, export, the network page's filters and counts,
the offer sheet and its editing through a member's personal link."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kit import places
from kit.core.db import get_session
from kit.core.models import Place
from kit.network import networks
from kit.places import standard
from tests.test_places import DEPARTEMENT, EXAMPLE, STANDARD, _validate, csv_file, line

SAME_ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    return client


@pytest.fixture
def network_id(app: Flask) -> int:
    with app.app_context():
        return networks.create_network(get_session(), "Réseau de Vitré", "Vitré Communauté", "epci").id


def upload(client: FlaskClient, network_id: int, raw: bytes) -> str:
    response = client.post(
        f"/networks/{network_id}/places/import",
        data={"file": (io.BytesIO(raw), "lieux.csv")},
        headers=SAME_ORIGIN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client: FlaskClient, network_id: int, page: str, **extra: str):  # type: ignore[no-untyped-def]
    [name] = re.findall(r'name="upload" value="([\w-]+)"', page)
    return client.post(
        f"/networks/{network_id}/places/import/confirm", data={"upload": name, **extra}, headers=SAME_ORIGIN
    )


def test_an_import_shows_what_it_would_do_then_does_it(app, admin, network_id):
    raw = csv_file(line(id="a"), line(id="b", code_postal="355"), line(id="c", commune="Étrelles"))
    page = upload(admin, network_id, raw)
    assert "ce qui changerait" in page
    assert "<td>3</td><td>code_postal</td><td>Un code postal a 5 chiffres" in page
    assert "Importer seulement les 2 lignes valides" in page
    with app.app_context():
        assert get_session().query(Place).count() == 0, "a preview stores nothing"
    refused = confirm(admin, network_id, page)
    assert refused.status_code == 400 and "Rien n&#39;a été importé" in refused.get_data(as_text=True)
    done = confirm(admin, network_id, page, valid_only="yes")
    assert done.status_code == 303
    network_page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 lieux ajoutés" in network_page
    with app.app_context():
        assert sorted(p.ref for p in get_session().query(Place)) == ["a", "c"]


def test_the_network_page_filters_places_and_counts_them_by_service(app, admin, network_id):
    raw = csv_file(
        line(id="a", nom="Médiathèque", commune="Vitré"),
        line(
            id="b",
            nom="CCAS",
            commune="Étrelles",
            services="Accès internet et matériel informatique",
            publics_specifiquement_adresses="Jeunes",
        ),
    )
    confirm(admin, network_id, upload(admin, network_id, raw))
    page = admin.get(f"/networks/{network_id}").get_data(as_text=True)
    assert "2 lieux affichés" in page
    counts = dict(re.findall(r'service=[^"]+">([^<]+)</a></td>\s*<td>(\d+)', page))
    assert counts["Aide aux démarches administratives"] == "1"
    assert counts["Loisirs et créations numériques"] == "0" and "aucun lieu" in page
    by_commune = admin.get(f"/networks/{network_id}?commune=Étrelles").get_data(as_text=True)
    assert "1 lieu affiché" in by_commune and ">CCAS</a>" in by_commune and ">Médiathèque</a>" not in by_commune
    by_public = admin.get(f"/networks/{network_id}?public=Seniors").get_data(as_text=True)
    assert ">Médiathèque</a>" in by_public and ">CCAS</a>" not in by_public
    by_service = admin.get(
        f"/networks/{network_id}", query_string={"service": "Accès internet et matériel informatique"}
    ).get_data(as_text=True)
    assert ">CCAS</a>" in by_service and ">Médiathèque</a>" not in by_service


def test_the_export_is_a_csv_in_the_standard(app, admin, network_id):
    confirm(admin, network_id, upload(admin, network_id, EXAMPLE))
    response = admin.get(f"/networks/{network_id}/places.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("id,pivot,nom,commune,code_postal")
    assert "Maîtrise des outils numériques du quotidien|Insertion professionnelle via le numérique" in body


def test_a_member_edits_the_offer_sheet_through_their_personal_link(app, admin, network_id):
    confirm(admin, network_id, upload(admin, network_id, EXAMPLE))
    with app.app_context():
        place_id = get_session().query(Place).one().id
    admin.post(f"/networks/{network_id}/places/{place_id}/members", data={"name": "Awa"}, headers=SAME_ORIGIN)
    page = admin.get(f"/networks/{network_id}").get_data(as_text=True)
    [link] = re.findall(r"http://kit\.test(/offer/edit/[\w-]+)", page)
    member = app.test_client()
    form_page = member.get(link).get_data(as_text=True)
    assert "Bonjour Awa" in form_page and 'value="Anonymal"' in form_page

    good = {
        "nom": "Anonymal",
        "commune": "Reims",
        "code_postal": "51100",
        "adresse": "12 bis rue de Leclercq",
        "pivot": "43493312300029",
        "services": ["Aide aux démarches administratives", "Loisirs et créations numériques"],
        "frais_a_charge": ["Gratuit"],
        "modalites_acces": ["Téléphoner"],
        "telephone": "03 26 00 00 00",
        "duration": "45 minutes par rendez-vous",
        "frequency": "Chaque mardi",
    }
    bad = {
        **good,
        "code_postal": "5110",
        "latitude": "95",
        "services": ["Aide aux démarches administratives", "Pêche"],
        "prise_rdv": "javascript:alert(1)",
        "nom": "",
    }
    refused = member.post(link, data=bad, headers=SAME_ORIGIN)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Rien n'a été enregistré\u00a0: 5 valeurs à corriger." in text
    for field, words in [
        ("nom", "obligatoire"),
        ("code_postal", "Un code postal a 5 chiffres"),
        ("latitude", "entre -90 et 90"),
        ("services", "Pêche"),
        ("prise_rdv", "adresse web"),
    ]:
        assert re.search(f'id="e-{field}">[^<]*{words}', text), field
    with app.app_context():
        assert get_session().get(Place, place_id).data["code_postal"] == "51100", "nothing saved"

    saved = member.post(link, data=good, headers=SAME_ORIGIN)
    assert saved.status_code == 303
    with app.app_context():
        place = get_session().get(Place, place_id)
        assert place.data["telephone"] == "+33326000000"
        assert place.data["services"] == ["Aide aux démarches administratives", "Loisirs et créations numériques"]
        assert place.offer == {"duration": "45 minutes par rendez-vous", "frequency": "Chaque mardi"}
        token = place.sheet_token
    sheet = app.test_client().get(f"/offer/{token}").get_data(as_text=True)
    for question in ("Qui sommes-nous", "Que proposons-nous", "Pour qui", "Où", "Comment", "Combien de temps"):
        assert question in sheet
    assert "45 minutes par rendez-vous" in sheet and "Loisirs et créations numériques" in sheet
    assert "Tout public." in sheet, "the member took out the specific publics: the sheet says everyone"


def test_a_wrong_personal_link_or_sheet_says_so(client):
    assert client.get("/offer/edit/not-a-key").status_code == 404
    assert client.get("/offer/nothing").status_code == 404


def test_the_sheet_never_links_anything_but_web_addresses(app, network_id):
    with app.app_context():
        db = get_session()
        network = networks.get_network(db, network_id)
        place = places.create_place(db, network, "Lieu", "Vitré")
        place.data = {**place.data, "site_web": ["javascript:alert(1)"], "prise_rdv": "data:text/html,x"}
        db.commit()
        token = place.sheet_token
    page = app.test_client().get(f"/offer/{token}").get_data(as_text=True)
    assert 'href="javascript' not in page and 'href="data:' not in page


def test_a_personal_link_goes_only_through_the_link_the_coordinator_sent(app, admin, network_id):
    """Names are on the screen and in the minutes: typing a member's name at a network meeting
    never hands out their offer sheet's personal link."""
    from kit.meeting import lifecycle
    from tests.conftest import gen_template

    confirm(admin, network_id, upload(admin, network_id, EXAMPLE))
    with app.app_context():
        db = get_session()
        place = db.query(Place).one()
        member = places.add_member(db, place, "Awa Diallo")
        key = member.edit_key
        meeting = lifecycle.create_meeting(db, gen_template(), network_id=network_id)
        code = meeting.code
    for typed in ("Awa Diallo", "awa diallo", "  AWA DIALLO "):
        impostor = app.test_client()
        impostor.post(f"/j/{code}", data={"name": typed}, headers=SAME_ORIGIN)
        page = impostor.get(f"/j/{code}").get_data(as_text=True)
        assert "/directory/" in page, "joined: the phone offers the person's own directory entry"
        assert "/offer/edit/" not in page and key not in page
    # the member opens the link the coordinator sent them
    assert "La fiche d'offre de Anonymal" in app.test_client().get(f"/offer/edit/{key}").get_data(as_text=True)


def test_what_a_file_or_a_member_writes_shows_as_text_everywhere(app, admin, network_id):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    raw = csv_file(line(nom=evil, commune=evil, adresse=evil))
    page = upload(admin, network_id, raw)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    confirm(admin, network_id, page)
    with app.app_context():
        db = get_session()
        place = db.query(Place).one()
        member = places.add_member(db, place, evil)
        token, key = place.sheet_token, member.edit_key
    for path, client in (
        (f"/networks/{network_id}", admin),
        (f"/networks/{network_id}?commune={evil}", admin),
        (f"/offer/{token}", app.test_client()),
        (f"/offer/edit/{key}", app.test_client()),
    ):
        body = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<img src=x" not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path


def test_the_sheet_tells_opening_hours_in_plain_french(app, admin, network_id):
    raw = csv_file(
        line(horaires="Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00; PH off"),
        line(id="vitre-2", nom="Bus numérique", horaires='Tu 09:30-12:00 ""place du marché""'),
    )
    confirm(admin, network_id, upload(admin, network_id, raw))
    with app.app_context():
        tokens = {p.ref: p.sheet_token for p in get_session().query(Place)}
    page = app.test_client().get(f"/offer/{tokens['vitre-1']}").get_data(as_text=True)
    assert "Du lundi au vendredi : 09:00 – 12:00 et 14:00 – 17:30." in page
    assert "Pendant les jours fériés : fermé." in page and "Mo-Fr" not in page
    # what the humanizer cannot tell is shown as written
    page = app.test_client().get(f"/offer/{tokens['vitre-2']}").get_data(as_text=True)
    assert "Tu 09:30-12:00 &#34;place du marché&#34;" in page


def test_a_network_publishes_its_places_as_open_data_by_choice(app, admin, network_id, tmp_path):
    confirm(admin, network_id, upload(admin, network_id, DEPARTEMENT))
    public = app.test_client()
    addresses = [
        f"/open-data/{network_id}/",
        f"/open-data/{network_id}/lieux-de-mediation-numerique.csv",
        f"/open-data/{network_id}/lieux-de-mediation-numerique.json",
    ]
    for address in addresses:  # not chosen yet: as if it did not exist
        assert public.get(address).status_code == 404, address
    page = admin.get(f"/networks/{network_id}").get_data(as_text=True)
    assert 'name="open_data"' in page and "Licence Ouverte 2.0" in page
    # a wrong producer number is refused and changes nothing
    refused = admin.post(
        f"/networks/{network_id}/places/open-data",
        data={"open_data": "yes", "producer": "1234"},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert "SIRET (14 chiffres)" in refused.get_data(as_text=True)
    assert public.get(addresses[0]).status_code == 404
    admin.post(
        f"/networks/{network_id}/places/open-data",
        data={"open_data": "yes", "producer": "243 500 139 00017"},
        headers=SAME_ORIGIN,
    )
    page = public.get(addresses[0]).get_data(as_text=True)
    assert "Lieux de médiation numérique de Réseau de Vitré" in page
    assert "etalab-2.0" in page and "https://www.etalab.gouv.fr/licence-ouverte-open-licence" in page
    assert "1.0.2" in page and "2 décembre 2025" not in page, "the update date is the places' own"
    assert "24350013900017_lieux-de-mediation-numerique_VitreCommunaute.csv" in page
    assert f"/open-data/{network_id}/lieux-de-mediation-numerique.csv</span>" in page, "the stable address, whole"
    got = public.get(addresses[1])
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"].endswith(
        '_24350013900017_lieux-de-mediation-numerique_VitreCommunaute.csv"'
    )
    exported = tmp_path / "lieux.csv"
    exported.write_bytes(got.data)
    schema = json.loads((STANDARD / "schema.json").read_text(encoding="utf-8"))
    assert _validate(exported, schema) == []
    assert len(list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))) == 10
    items = public.get(addresses[2]).get_json()
    assert len(items) == 10 and all(set(item) <= set(standard.FIELDS) for item in items)
    bus = next(i for i in items if i["id"] == "bus-numerique-35")
    assert bus["latitude"] == 48.1278 and bus["typologie"] == "CD|ENM" and "complement_adresse" not in bus
    # and stopping takes it down again
    admin.post(f"/networks/{network_id}/places/open-data", data={"producer": ""}, headers=SAME_ORIGIN)
    for address in addresses:
        assert public.get(address).status_code == 404, address


def test_the_weekly_timetable_writes_the_opening_hours(app, admin, network_id):
    confirm(admin, network_id, upload(admin, network_id, EXAMPLE))
    with app.app_context():
        db = get_session()
        place = db.query(Place).one()
        key = places.add_member(db, place, "Awa Diallo").edit_key
        token = place.sheet_token
    member = app.test_client()
    page = member.get(f"/offer/edit/{key}").get_data(as_text=True)
    # the example's hours are a simple week: the timetable shows them, ready to change
    assert 'name="hours-Mo-2-to" value="18:30"' in page and 'name="hours-Sa-1-from" value="08:30"' in page
    form = {"nom": "Anonymal", "commune": "Reims", "pivot": "43493312300029", "horaires": "Lundi 9h-12h"}
    week = {f"hours-{d}-1-from": "09:00" for d in ("Mo", "Tu", "We", "Th", "Fr")}
    week |= {f"hours-{d}-1-to": "12:00" for d in ("Mo", "Tu", "We", "Th", "Fr")}
    week |= {"hours-Tu-2-from": "14:00", "hours-Tu-2-to": "17:30"}
    saved = member.post(f"/offer/edit/{key}", data=form | week, headers=SAME_ORIGIN)
    assert saved.status_code == 303
    with app.app_context():
        assert get_session().query(Place).one().data["horaires"] == "Mo,We-Fr 09:00-12:00; Tu 09:00-12:00,14:00-17:30"
    sheet = app.test_client().get(f"/offer/{token}").get_data(as_text=True)
    assert "Le mardi : 09:00 – 12:00 et 14:00 – 17:30." in sheet
    # a closing time before the opening is refused, naming the day, and nothing is saved
    wrong = member.post(
        f"/offer/edit/{key}", data=form | {"hours-Th-1-from": "12:00", "hours-Th-1-to": "09:00"}, headers=SAME_ORIGIN
    )
    shown = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "Jeudi" in shown
    assert 'name="hours-Th-1-to" value="09:00"' in shown, "what was sent is shown again"
    with app.app_context():
        assert get_session().query(Place).one().data["horaires"].startswith("Mo,We-Fr")

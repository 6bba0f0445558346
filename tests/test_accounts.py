"""Accounts on a server (ACCOUNTS): people sign in by a one-time link sent to their address, and
act only in the networks they have a role in. On a laptop nothing of this exists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from flask import Flask

from kit import create_app
from kit.cli import main
from kit.core.db import get_session
from kit.core.errors import Forbidden, InvalidInput, KitError, NotFound
from kit.core.models import Meeting, utcnow
from kit.meeting import lifecycle
from kit.network import accounts, networks
from tests.conftest import gen_template, migrated_instance
from tests.test_mail import SmtpServer, mail_app

ORIGIN = {"Origin": "http://localhost"}
FR = {"Accept-Language": "fr"}


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp(tmp_path: Path, ca: trustme.CA):  # type: ignore[no-untyped-def]
    server = SmtpServer(tmp_path / "smtp", ca).start()
    yield server
    server.stop()


@dataclass
class Place:
    """Two networks, a meeting in each, and one account for every role."""

    first: int
    second: int
    meeting_first: str
    meeting_second: str


USERS = {
    "admin@kit.example": None,
    "coord1@exemple.fr": ("first", "coordinator"),
    "fac1@exemple.fr": ("first", "facilitator"),
    "coord2@exemple.fr": ("second", "coordinator"),
    "fac2@exemple.fr": ("second", "facilitator"),
}


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, ca: trustme.CA, smtp: SmtpServer) -> Flask:
    return mail_app(tmp_path, migrated_sqlite, ca, smtp.port, ACCOUNTS=True, PUBLIC_URL="http://localhost")


@pytest.fixture
def place(app: Flask) -> Place:
    with app.app_context():
        db = get_session()
        first = networks.create_network(db, "Réseau du pays de Vitré")
        second = networks.create_network(db, "Réseau de Saint-Malo")
        ids = {"first": first, "second": second}
        for email, role in USERS.items():
            accounts.add_user(db, email, admin=role is None)
            if role:
                accounts.invite(db, ids[role[0]], email, role[1])
        one = lifecycle.create_meeting(db, gen_template(), title="Rencontre de Vitré", network_id=first.id)
        two = lifecycle.create_meeting(db, gen_template(), title="Rencontre de Saint-Malo", network_id=second.id)
        return Place(first.id, second.id, one.code, two.code)


def sign_in(app: Flask, smtp: SmtpServer, email: str) -> Any:
    """A browser that asked for a link, opened it from the email and signed in."""
    client = app.test_client()
    before = len(smtp.received())
    client.post("/sign-in", data={"email": email}, headers=ORIGIN)
    link = wait_for_link(smtp, before)
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert client.post(path, headers=ORIGIN).status_code == 303
    return client


def wait_for_link(smtp: SmtpServer, before: int) -> str:
    import time

    deadline = time.monotonic() + 30  # generous: the other test worker may hold both cores
    while len(smtp.received()) <= before and time.monotonic() < deadline:
        time.sleep(0.02)
    message = smtp.received()[before]
    found = re.search(r"http://localhost/sign-in/[A-Za-z0-9_-]+", message.get_body(("plain",)).get_content())
    assert found, message
    return found.group(0)


def test_a_laptop_has_no_sign_in_and_keeps_its_admin_link(tmp_path, migrated_sqlite):
    laptop = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(migrated_instance(migrated_sqlite, tmp_path / "laptop"))}
    )
    client = laptop.test_client()
    assert client.get("/sign-in").status_code == 404
    assert client.get(f"/admin?token={laptop.config['ADMIN_TOKEN']}").status_code == 302
    assert client.get("/admin").status_code == 200
    assert client.post("/sign-in", data={"email": "a@b.fr"}, headers=ORIGIN).status_code == 404


def test_signing_in_by_a_link_that_works_once_within_15_minutes(app, smtp, place):
    client = sign_in(app, smtp, "fac1@exemple.fr")
    page = client.get("/admin", headers=FR).get_data(as_text=True)
    assert "Connecté·e" in page or "fac1@exemple.fr" in page
    assert "Rencontre de Vitré" in page and "Rencontre de Saint-Malo" not in page
    # the link is spent
    other = app.test_client()
    before = len(smtp.received())
    other.post("/sign-in", data={"email": "FAC1@exemple.fr"}, headers=ORIGIN)
    link = wait_for_link(smtp, before).removeprefix("http://localhost")
    assert other.post(link, headers=ORIGIN).status_code == 303
    again = app.test_client().post(link, headers={**ORIGIN, **FR})
    assert again.status_code == 404 and "a expiré ou a déjà servi" in again.get_data(as_text=True)
    # signing out ends it
    assert client.post("/sign-out", headers=ORIGIN).status_code == 303
    assert client.get("/admin").status_code == 302


def test_an_expired_link_is_refused_and_asking_never_tells_whether_an_account_exists(app, smtp, place):
    with app.app_context():
        db = get_session()
        made = accounts.new_sign_in_link(db, "coord2@exemple.fr", now=utcnow() - timedelta(minutes=16))
        assert made is not None
        with pytest.raises(NotFound):
            accounts.use_sign_in_link(db, made[1])
    client = app.test_client()
    known = client.post("/sign-in", data={"email": "coord2@exemple.fr"}, headers={**ORIGIN, **FR})
    unknown = client.post("/sign-in", data={"email": "personne@exemple.fr"}, headers={**ORIGIN, **FR})
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r"value=\"[^\"]*\"")
    assert strip.sub("", known.get_data(as_text=True)) == strip.sub("", unknown.get_data(as_text=True))
    bad = client.post("/sign-in", data={"email": "pas une adresse"}, headers={**ORIGIN, **FR})
    assert bad.status_code == 400 and "ne semble pas juste" in bad.get_data(as_text=True)
    assert (
        client.post(
            "/sign-in", data={"email": "coord2@exemple.fr"}, headers={"Origin": "https://x.example"}
        ).status_code
        == 403
    )


def test_asking_for_links_again_and_again_sends_three_at_most(app, smtp, place):
    with app.app_context():
        db = get_session()
        sent = [accounts.new_sign_in_link(db, "coord1@exemple.fr") for _ in range(5)]
    assert [s is not None for s in sent] == [True, True, True, False, False]


def test_each_role_acts_in_its_own_network_only(app, smtp, place):
    fac1 = sign_in(app, smtp, "fac1@exemple.fr")
    coord1 = sign_in(app, smtp, "coord1@exemple.fr")
    form = {"template": "rencontre-mensuelle", "title": "Prochaine rencontre"}
    # a facilitator prepares meetings in their network, not in another, nor outside any network
    assert fac1.post("/admin/meetings", data={**form, "network": place.first}, headers=ORIGIN).status_code == 303
    assert fac1.post("/admin/meetings", data={**form, "network": place.second}, headers=ORIGIN).status_code == 403
    assert fac1.post("/admin/meetings", data=form, headers=ORIGIN).status_code == 403
    # the network's page is its coordinators'
    assert fac1.get(f"/networks/{place.first}").status_code == 403
    assert coord1.get(f"/networks/{place.first}").status_code == 200
    assert coord1.get(f"/networks/{place.second}").status_code == 403
    assert coord1.get(f"/networks/{place.second}/places.csv").status_code == 403
    assert coord1.post("/admin/networks", data={"name": "Nouveau"}, headers=ORIGIN).status_code == 403
    # a meeting of another network: not without its key
    assert fac1.get(f"/m/{place.meeting_second}/console").status_code == 403
    assert fac1.get(f"/m/{place.meeting_first}/console").status_code == 200
    # the admin link of a laptop opens nothing on a server
    assert app.test_client().get(f"/admin?token={app.config['ADMIN_TOKEN']}").status_code == 403


def test_a_coordinator_invites_and_is_refused_plainly(app, smtp, place):
    coord1 = sign_in(app, smtp, "coord1@exemple.fr")
    page = f"/networks/{place.first}/members"
    coord1.post(page, data={"action": "invite", "email": "Nouvelle@Exemple.fr", "role": "facilitator"}, headers=ORIGIN)
    shown = coord1.get(page, headers=FR).get_data(as_text=True)
    assert "nouvelle@exemple.fr" in shown
    again = coord1.post(
        page, data={"action": "invite", "email": "fac1@exemple.fr", "role": "coordinator"}, headers=ORIGIN
    )
    assert "est déjà membre" in coord1.get(again.headers["Location"], headers=FR).get_data(as_text=True)
    with app.app_context():
        db = get_session()
        mine = next(
            m
            for m in accounts.members(db, networks.get_network(db, place.first))
            if m.user.email == "coord1@exemple.fr"
        )
        mine_id = mine.id
    refused = coord1.post(page, data={"action": "remove", "id": str(mine_id)}, headers=ORIGIN)
    assert "vous retirer vous-même" in coord1.get(refused.headers["Location"], headers=FR).get_data(as_text=True)
    # another network's members are not theirs to see
    assert coord1.get(f"/networks/{place.second}/members").status_code == 403
    assert sign_in(app, smtp, "fac1@exemple.fr").get(page).status_code == 403


def test_the_command_line_adds_an_administrator_and_keeps_the_last_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIT_INSTANCE_PATH", str(tmp_path / "instance"))
    assert main(["user", "add", "--admin", "Chef@Exemple.fr"]) == 0
    assert "chef@exemple.fr" in capsys.readouterr().out
    assert main(["user", "add", "pas-une-adresse"]) == 1
    assert main(["user", "remove", "chef@exemple.fr"]) == 1
    assert "dernier administrateur" in capsys.readouterr().err.split("\n")[-2]
    assert main(["user", "remove", "inconnu@exemple.fr"]) == 1


def test_roles_in_plain_functions(app, place):
    with app.app_context():
        db = get_session()
        first = networks.get_network(db, place.first)
        fac = accounts.user_by_email(db, "fac1@exemple.fr")
        coord = accounts.user_by_email(db, "coord1@exemple.fr")
        admin = accounts.user_by_email(db, "admin@kit.example")
        assert fac and coord and admin
        meeting = db.query(Meeting).filter_by(code=place.meeting_second).one()
        assert accounts.may(admin, None) and not accounts.may(coord, None)
        assert accounts.may(fac, first.id, "facilitator") and not accounts.may(fac, first.id, "coordinator")
        assert not accounts.may_run(fac, meeting) and accounts.may_run(admin, meeting)
        with pytest.raises(InvalidInput):
            accounts.invite(db, first, "x@exemple.fr", "owner")
        with pytest.raises(Forbidden):
            membership = next(m for m in coord.memberships if m.network_id == first.id)
            accounts.set_role(db, first, membership.id, "facilitator", coord)
        accounts.remove_user(db, fac)
        with pytest.raises(KitError) as last:
            accounts.remove_user(db, admin)
        assert last.value.code == "last_admin"


# -- the matrix: every role of a server × every route whose access accounts decide × two networks --------------
# each person's relation to the network a request is about
KINDS = (
    "signed out",
    "administrator",
    "its coordinator",
    "its facilitator",
    "another's coordinator",
    "another's facilitator",
)
PEOPLE = {
    "administrator": ("admin@kit.example", "admin@kit.example"),
    "its coordinator": ("coord1@exemple.fr", "coord2@exemple.fr"),
    "its facilitator": ("fac1@exemple.fr", "fac2@exemple.fr"),
    "another's coordinator": ("coord2@exemple.fr", "coord1@exemple.fr"),
    "another's facilitator": ("fac2@exemple.fr", "fac1@exemple.fr"),
}
ADMIN = frozenset({"administrator"})
COORDINATES = ADMIN | {"its coordinator"}
RUNS = COORDINATES | {"its facilitator"}
SIGNED_IN = frozenset(KINDS) - {"signed out"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    path: str  # {net}: the network the request is about
    allowed: frozenset[str]
    data: tuple[tuple[str, str], ...] = ()


ROWS = [
    Row("facilitator.admin", "GET", "/admin", SIGNED_IN),
    Row("facilitator.template_preview", "GET", "/admin/templates/rencontre-mensuelle/steps/2/screen", SIGNED_IN),
    Row(
        "facilitator.create",
        "POST",
        "/admin/meetings",
        RUNS,
        (("template", "rencontre-mensuelle"), ("network", "{net}")),
    ),
    Row("facilitator.create_network", "POST", "/admin/networks", ADMIN, (("name", "Un réseau de plus"),)),
    Row("facilitator.import_network", "POST", "/admin/networks/import", ADMIN, (("file", ""),)),
    Row("facilitator.network", "GET", "/networks/{net}", COORDINATES),
    Row("facilitator.mailing_list", "POST", "/networks/{net}/mailing-list", COORDINATES, (("mailing_list", "l@e.fr"),)),
    Row("facilitator.newsletter", "GET", "/networks/{net}/newsletter.md", COORDINATES),
    Row("facilitator.newsletter_file", "GET", "/networks/{net}/newsletter.html", COORDINATES),
    Row("facilitator.newsletter_yeswiki", "GET", "/networks/{net}/newsletter.yeswiki.txt", COORDINATES),
    Row("facilitator.export_network", "GET", "/networks/{net}/export.json", COORDINATES),
    Row("facilitator.send_newsletter", "POST", "/networks/{net}/newsletter/send", COORDINATES),
    Row("facilitator.public_kit_target", "POST", "/networks/{net}/public-kit", COORDINATES, (("url", ""),)),
    Row(
        "facilitator.network_chat",
        "POST",
        "/networks/{net}/chat",
        COORDINATES,
        (("chat_webhook_url", "https://chat.example.fr/hooks/x"), ("chat_format", "discord")),
    ),
    Row("facilitator.create_publishing_key", "POST", "/networks/{net}/publishing-keys", COORDINATES),
    Row("facilitator.revoke_publishing_key", "POST", "/networks/{net}/publishing-keys/999/revoke", COORDINATES),
    Row("places.import_preview", "POST", "/networks/{net}/places/import", COORDINATES),
    Row("places.import_confirm", "POST", "/networks/{net}/places/import/confirm", COORDINATES),
    Row("places.export", "GET", "/networks/{net}/places.csv", COORDINATES),
    Row("places.open_data_setting", "POST", "/networks/{net}/places/open-data", COORDINATES),
    Row("places.create", "POST", "/networks/{net}/places", COORDINATES, (("nom", "Médiathèque"),)),
    Row("places.add_member", "POST", "/networks/{net}/places/999/members", COORDINATES),
    Row("places.remove_member", "POST", "/networks/{net}/places/999/members/999/remove", COORDINATES),
    Row("accounts.members", "GET", "/networks/{net}/members", COORDINATES),
    Row("accounts.change_members", "POST", "/networks/{net}/members", COORDINATES, (("action", "nothing"),)),
]
# routes whose access does not depend on an account: a secret in the link, or open to anyone
NOT_ABOUT_ACCOUNTS = {
    ("places.sheet", "GET"),
    ("places.edit_sheet", "GET"),
    ("places.edit_sheet", "POST"),
    # a network's open data: public when its coordinators chose it, 404 otherwise (tests/test_places_web.py)
    ("places.open_data_page", "GET"),
    ("places.open_data_csv", "GET"),
    ("places.open_data_json", "GET"),
    ("accounts.sign_in", "GET"),
    ("accounts.sign_in", "POST"),
    ("accounts.use_link", "GET"),
    ("accounts.use_link", "POST"),
    ("accounts.sign_out", "POST"),
}


def test_the_matrix_names_every_route_whose_access_accounts_decide(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("facilitator.", "places.", "accounts.")) and "<code>" not in rule.rule
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    listed = {(row.endpoint, row.method) for row in ROWS} | NOT_ABOUT_ACCOUNTS
    assert served == listed, f"add to ROWS: {sorted(served - listed)}; gone: {sorted(listed - served)}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method} {row.endpoint}")
def test_each_role_reaches_only_its_own_network(app, place, row):
    about = "{net}" in row.path or any("{net}" in value for _, value in row.data)
    for which, network in enumerate((place.first, place.second)[: 2 if about else 1]):
        for kind in KINDS:
            client = app.test_client()
            if kind != "signed out":
                with app.app_context():
                    user = accounts.user_by_email(get_session(), PEOPLE[kind][which])
                    assert user is not None
                    user_id = user.id
                with client.session_transaction() as session:
                    session["_user_id"] = str(user_id)
                    session["_fresh"] = True
            path = row.path.format(net=network)
            answer = client.open(
                path, method=row.method, data={k: v.format(net=network) for k, v in row.data}, headers=ORIGIN
            )
            if kind == "signed out" and row.endpoint == "facilitator.admin":
                assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
            elif kind in row.allowed:
                assert answer.status_code != 403, f"{kind} refused: {row.method} {path}"
            else:
                assert answer.status_code == 403, f"{kind} let in ({answer.status_code}): {row.method} {path}"

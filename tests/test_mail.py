"""The minutes by email: a real SMTP server (STARTTLS on a test CA's certificate, a password,
refusals now and for good, a dead server) receives each reader's message once, whatever happens."""

from __future__ import annotations

import email
import email.policy
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from flask import Flask

from kit import create_app
from kit.core import queries
from kit.core.db import get_session
from kit.core.errors import InvalidInput, KitError
from kit.core.models import MailDelivery, Participant
from kit.meeting import lifecycle, privacy
from kit.network import networks
from kit.publishing import mailing
from tests.conftest import gen_template, migrated_instance
from tests.server import free_port
from tests.test_headers import ScriptFinder

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "secret"
INTRO = (
    "Nous avons commencé par un tour de table : chacune et chacun a présenté sa structure, son territoire et "
    "ce qu'il ou elle attend du réseau. La médiathèque de Vitré a présenté ses ateliers « premiers pas » du mardi."
)


class SmtpServer:
    """tests/smtp_server.py as a process of its own, on a port the test may pick before it starts."""

    def __init__(self, folder: Path, ca: trustme.CA, port: int | None = None) -> None:
        self.port = port or free_port()
        self.spool = folder / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.cert, self.key = folder / "cert.pem", folder / "key.pem"
        cert.cert_chain_pems[0].write_to_path(str(self.cert))
        cert.private_key_pem.write_to_path(str(self.key))
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> SmtpServer:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "smtp_server.py"), "--port", str(self.port)]
            + ["--cert", str(self.cert), "--key", str(self.key), "--spool", str(self.spool), "--password", PASSWORD],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def received(self) -> list[email.message.EmailMessage]:
        files = sorted(self.spool.glob("*.eml"), key=lambda p: int(p.stem))
        return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]  # type: ignore[misc]


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp(tmp_path: Path, ca: trustme.CA) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "smtp", ca).start()
    yield server
    server.stop()


def mail_app(tmp_path: Path, migrated_sqlite: Path, ca: trustme.CA, port: int, **extra: Any) -> Flask:
    tmp_path.mkdir(parents=True, exist_ok=True)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(migrated_instance(migrated_sqlite, tmp_path / "instance")),
            "ASYNC_MODE": "threading",
            "PUBLIC_URL": "https://reseau.example.org",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_SECURITY": "starttls",
            "SMTP_USER": "kit",
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_CA_FILE": str(ca_file),
            "MAIL_FROM": "coordination@reseau.example.org",
            "SMTP_TIMEOUT": 5,
            "MAIL_RETRY_SECONDS": 0.05,
            "MAIL_MAX_ATTEMPTS": 3,
            **extra,
        }
    )


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, ca: trustme.CA, smtp: SmtpServer) -> Flask:
    return mail_app(tmp_path, migrated_sqlite, ca, smtp.port)


def check_in(db: Any, meeting: Any, name: str, email_address: str = "", wants: bool = True) -> Participant:
    person = lifecycle.join(db, meeting, name, "", "")
    data = {"name": name, "structure": "Médiathèque de Vitré", "territory": "Ille-et-Vilaine", "share": "yes"}
    if email_address:
        data |= {"email": email_address, "wants_minutes": "yes" if wants else ""}
    lifecycle.contribute(db, meeting, person, meeting.steps[0].id, f"ci-{name}", data)
    return person


def published_meeting(db: Any, people: dict[str, str], list_addresses: str = "") -> Any:
    network = networks.create_network(db, "Réseau des conseillers numériques d'Ille-et-Vilaine", "35")
    mailing.set_list_addresses(db, network, list_addresses)
    meeting = lifecycle.create_meeting(db, gen_template(), title="Rencontre de novembre", network_id=network.id)
    lifecycle.start(db, meeting)
    for name, address in people.items():
        check_in(db, meeting, name, address)
    lifecycle.move(db, meeting, 1)
    author = lifecycle.join(db, meeting, "Élodie", "", "")
    lifecycle.contribute(db, meeting, author, meeting.steps[1].id, "hostile", {"text": "<img src=x onerror=alert(1)>"})
    for n in range(30):
        text = f"{INTRO} Besoin n° {n + 1} : accompagner les démarches en ligne de la CAF, à l'été comme à Noël."
        lifecycle.contribute(db, meeting, author, meeting.steps[1].id, f"b{n}", {"text": text})
    lifecycle.close(db, meeting)
    lifecycle.publish(db, meeting)
    return meeting


def send(app: Flask, meeting: Any) -> list[str | None]:
    """Queue and send in this thread, as the background task does; what the console was told."""
    told: list[str | None] = []
    with app.app_context():
        mailing.queue_minutes(get_session(), get_session().merge(meeting))
        job = mailing.minutes_job(app, get_session().merge(meeting), lambda _m, message: told.append(message))
        mailing.send_now(app, job)
    return told


def test_an_email_given_at_check_in_stays_with_the_person_never_in_what_the_room_sees(app, client):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa.diallo@exemple.fr"})
        person = db.query(Participant).filter_by(display_name="Awa").one()
        assert (person.email, person.wants_minutes) == ("awa.diallo@exemple.fr", True)
        check_in_data = [c.data for c in check_ins(db, meeting)]
        assert all("email" not in data and "wants_minutes" not in data for data in check_in_data)
        token = meeting.share_token
    for suffix in (".json", ".md", ""):
        assert "awa.diallo" not in client.get(f"/minutes/{token}{suffix}").get_data(as_text=True)


def check_ins(db: Any, meeting: Any) -> list[Any]:
    return queries.contributions(db, meeting.steps[0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "awa@", "wants_minutes": "yes"}, "ne semble pas juste"),
        ({"email": "awa diallo@exemple.fr", "wants_minutes": "yes"}, "ne semble pas juste"),
        ({"email": "", "wants_minutes": "yes"}, "adresse e-mail pour recevoir"),
    ],
)
def test_a_wrong_email_at_check_in_is_refused_plainly_and_nothing_is_stored(app, data, message):
    with app.test_request_context(headers={"Accept-Language": "fr"}), app.app_context():
        db = get_session()
        meeting = lifecycle.create_meeting(db, gen_template())
        lifecycle.start(db, meeting)
        person = lifecycle.join(db, meeting, "Awa", "", "")
        with pytest.raises(InvalidInput) as refused:
            lifecycle.contribute(db, meeting, person, meeting.steps[0].id, "c1", {"name": "Awa", **data})
        assert refused.value.field == "email" and message in str(refused.value.message)
        assert person.email == "" and not check_ins(db, meeting)


def test_each_reader_receives_the_minutes_once_as_text_html_and_calendar(app, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(
            db,
            {"Awa": "awa.diallo@exemple.fr", "Bruno": "bruno@exemple.fr", "Chloé": "AWA.DIALLO@exemple.fr"},
            list_addresses="reseau-35@listes.exemple.org, \n",
        )
    told = send(app, meeting)
    assert told[-1] is None
    received = smtp.received()
    assert sorted(m["To"] for m in received) == [
        "awa.diallo@exemple.fr",
        "bruno@exemple.fr",
        "reseau-35@listes.exemple.org",
    ]
    message = received[0]
    assert message["Subject"].startswith("Compte rendu : Rencontre de novembre")
    assert message["Message-ID"].endswith("@reseau.example.org>") and message["Date"]
    assert message["List-Unsubscribe"].strip().startswith("<https://reseau.example.org/mail/stop/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Besoin n° 30" in text and "Besoin n° 30" in html and "https://reseau.example.org/minutes/" in text
    assert "<script" not in html and "<img" not in html and "<link" not in html
    # what people wrote stays text: only the message's own inline layout is markup with attributes
    finder = ScriptFinder()
    finder.feed(html)
    assert finder.inline and all(found.endswith(" style>") for found in finder.inline), finder.inline
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "onerror" not in html
    # the stop links are each reader's own
    assert len({m["List-Unsubscribe"] for m in received}) == 3
    # a second click, or a restart, sends nothing again
    send(app, meeting)
    assert len(smtp.received()) == 3
    with app.app_context():
        assert mailing.progress(get_session(), get_session().merge(meeting))["sent"] == 3


def test_refusals_for_now_are_tried_again_and_refusals_for_good_are_noted(app, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(
            db,
            {
                "Awa": "later-awa@exemple.fr",
                "Bruno": "nobody-bruno@exemple.fr",
                "Chloé": "busy-chloe@exemple.fr",
                "Driss": "cut-driss@exemple.fr",
                "Emma": "emma@exemple.fr",
            },
        )
    told = send(app, meeting)
    assert sorted(m["To"] for m in smtp.received()) == [
        "cut-driss@exemple.fr",
        "emma@exemple.fr",
        "later-awa@exemple.fr",
    ]
    with app.app_context():
        result = mailing.progress(get_session(), get_session().merge(meeting))
        assert (result["sent"], result["waiting"]) == (3, 0)
        refused = dict(result["refused"])
        assert set(refused) == {"nobody-bruno@exemple.fr", "busy-chloe@exemple.fr"}
        assert refused["nobody-bruno@exemple.fr"].startswith("550")
    assert any(m and "nobody-bruno@exemple.fr" in m and "refusé" in m for m in told)
    assert any(m and "busy-chloe@exemple.fr" in m and "3 essais" in m for m in told)


def test_a_wrong_password_stops_with_a_plain_message_and_nothing_goes_twice(tmp_path, migrated_sqlite, ca, smtp):
    wrong = mail_app(tmp_path / "wrong", migrated_sqlite, ca, smtp.port, SMTP_PASSWORD="oups")
    with wrong.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr", "Bruno": "bruno@exemple.fr"})
    told = send(wrong, meeting)
    assert smtp.received() == []
    assert any(m and "mot de passe" in m for m in told)
    with wrong.app_context():
        assert mailing.progress(get_session(), get_session().merge(meeting))["waiting"] == 2
    # the password corrected (the same database): the two leave, once
    wrong.config["SMTP_PASSWORD"] = PASSWORD
    send(wrong, meeting)
    send(wrong, meeting)
    assert sorted(m["To"] for m in smtp.received()) == ["awa@exemple.fr", "bruno@exemple.fr"]


def test_without_a_mail_server_the_messages_wait_and_leave_when_it_is_back(tmp_path, migrated_sqlite, ca):
    server = SmtpServer(tmp_path / "smtp", ca)  # not started yet: nothing listens on its port
    app = mail_app(tmp_path, migrated_sqlite, ca, server.port, MAIL_RETRY_SECONDS=0.3)
    told: list[str | None] = []
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr"})
        mailing.queue_minutes(db, meeting)
        assert mailing.start_sending(app, meeting, lambda _m, message: told.append(message))
        # a second click while it waits starts no second sender
        assert not mailing.start_sending(app, meeting, lambda _m, message: None)
    deadline = time.monotonic() + 10
    while not any(m and "connexion" in m for m in told) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(m and "Pas de connexion au serveur de messagerie" in m for m in told)
    server.start()
    try:
        while not server.received() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["To"] for m in server.received()] == ["awa@exemple.fr"]
    finally:
        server.stop()


def test_the_link_in_each_email_stops_the_next_ones(app, client, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr", "Bruno": "bruno@exemple.fr"})
    send(app, meeting)
    link = next(m["List-Unsubscribe"] for m in smtp.received() if m["To"] == "awa@exemple.fr").strip().strip("<>")
    path = link.removeprefix("https://reseau.example.org")
    assert "awa@exemple.fr" in client.get(path).get_data(as_text=True)
    # a mail program's one-click unsubscribe posts from elsewhere, without an Origin of ours
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.get("/mail/stop/not-a-real-token-at-all").status_code == 404
    with app.app_context():
        db = get_session()
        again = lifecycle.create_meeting(db, gen_template(), network_id=meeting.network_id)
        lifecycle.start(db, again)
        check_in(db, again, "Awa", "Awa@exemple.fr")
        check_in(db, again, "Bruno", "bruno@exemple.fr")
        lifecycle.close(db, again)
        lifecycle.publish(db, again)
        assert [address for address, _ in mailing.recipients(db, again)] == ["bruno@exemple.fr"]


def test_removed_people_and_forgotten_meetings_keep_no_address(app, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr", "Bruno": "bruno@exemple.fr"}, "liste@exemple.org")
        bruno = db.query(Participant).filter_by(display_name="Bruno").one()
        bruno.removed_at = bruno.joined_at
        db.commit()
        assert sorted(a for a, _ in mailing.recipients(db, meeting)) == ["awa@exemple.fr", "liste@exemple.org"]
    send(app, meeting)
    with app.app_context():
        db = get_session()
        meeting = db.merge(meeting)
        privacy.erase_personal_data(db, meeting)
        assert {p.email for p in db.query(Participant).filter_by(meeting_id=meeting.id)} == {""}
        addresses = [d.address for d in db.query(MailDelivery).filter_by(meeting_id=meeting.id)]
        assert addresses and all(a.startswith("erased:") for a in addresses)
        # the list still never receives the same minutes twice
        assert mailing.queue_minutes(db, meeting) == 0


def test_too_many_recipients_and_unpublished_minutes_are_refused_plainly(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}), app.app_context():
        db = get_session()
        meeting = lifecycle.create_meeting(db, gen_template())
        lifecycle.start(db, meeting)
        with pytest.raises(KitError, match="Publiez"):
            mailing.queue_minutes(db, meeting)
        app.config["MAIL_MAX_RECIPIENTS"] = 5
        for n in range(6):
            check_in(db, meeting, f"Personne {n}", f"personne{n}@exemple.fr")
        lifecycle.close(db, meeting)
        lifecycle.publish(db, meeting)
        with pytest.raises(KitError, match="6 destinataires"):
            mailing.queue_minutes(db, meeting)
        assert db.query(MailDelivery).count() == 0
        with pytest.raises(InvalidInput):
            mailing.set_list_addresses(db, meeting, "pas-une-adresse")  # type: ignore[arg-type]


def test_the_console_sends_and_shows_how_far_it_got(app, smtp, live_clients):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr", "Bruno": "bruno@exemple.fr"})
        key = meeting.facilitator_key
    console = live_clients("console", {"meeting": meeting.code, "key": key})
    snapshot = next(e for e in console.get_received("/console") if e["name"] == "snapshot")["args"][0]
    assert "2 destinataires" in snapshot["html"]
    ack = console.emit("send_minutes", namespace="/console", callback=True)
    assert ack == {"ok": True, "queued": 2}
    deadline = time.monotonic() + 10
    while len(smtp.received()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    states = [e["args"][0]["html"] for e in console.get_received("/console") if e["name"] == "state"]
    assert any("2 / 2 envoyés" in html for html in states)


def test_the_network_page_keeps_the_list_address_and_refuses_a_wrong_one_plainly(app, client):
    with app.app_context():
        db = get_session()
        network = networks.create_network(db, "Réseau du pays de Fougères")
        network_id, token = network.id, app.config["ADMIN_TOKEN"]
    client.get(f"/admin?token={token}")
    page = f"/networks/{network_id}/mailing-list"
    origin = {"Origin": "http://localhost"}
    answer = client.post(page, data={"mailing_list": "conseillers@listes.exemple.org"}, headers=origin)
    assert answer.status_code == 303
    shown = client.get(answer.headers["Location"], headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "conseillers@listes.exemple.org" in shown and "Enregistré" in shown
    answer = client.post(page, data={"mailing_list": "conseillers@ liste"}, headers=origin)
    shown = client.get(answer.headers["Location"], headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "ne semble pas juste" in shown and 'aria-invalid="true"' in shown
    with app.app_context():
        assert networks.get_network(get_session(), network_id).mailing_list == "conseillers@listes.exemple.org"
    # from another site: refused, nothing changed
    assert (
        client.post(page, data={"mailing_list": ""}, headers={"Origin": "https://ailleurs.example"}).status_code == 403
    )


def test_a_person_forgets_their_address_at_their_personal_link(app, client, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr", "Bruno": "bruno@exemple.fr"})
        awa = db.query(Participant).filter_by(display_name="Awa").one()
        token = awa.token
    page = client.get(f"/mine/{token}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "awa@exemple.fr" in page and "oubliez mon adresse" in page
    # from another site: refused, nothing changed
    assert client.post(f"/mine/{token}/email", headers={"Origin": "https://ailleurs.example"}).status_code == 403
    assert client.post(f"/mine/{token}/email").status_code == 303
    page = client.get(f"/mine/{token}?email_forgotten=1", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "awa@exemple.fr" not in page and "Votre adresse est oubliée" in page
    send(app, meeting)
    assert [m["To"] for m in smtp.received()] == ["bruno@exemple.fr"]


def test_the_newsletter_goes_to_the_network_list_once_a_day(app, client, smtp):
    with app.app_context():
        db = get_session()
        meeting = published_meeting(db, {"Awa": "awa@exemple.fr"}, "conseillers@listes.exemple.org")
        network_id, token = meeting.network_id, app.config["ADMIN_TOKEN"]
    client.get(f"/admin?token={token}")
    page = f"/networks/{network_id}/newsletter/send"
    assert client.post(page, headers={"Origin": "https://ailleurs.example"}).status_code == 403
    assert client.post(page, headers={"Origin": "http://localhost"}).status_code == 303
    deadline = time.monotonic() + 10
    while not smtp.received() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    received = smtp.received()
    # the list only: Awa asked for the minutes, not for the newsletter
    assert [m["To"] for m in received] == ["conseillers@listes.exemple.org"]
    assert received[0]["Subject"].startswith("Lettre d'information : Réseau des conseillers numériques")
    assert "Rencontre de novembre" in received[0].get_body(("plain",)).get_content()
    assert received[0]["List-Unsubscribe"]
    # the same day again: nothing twice
    client.post(page, headers={"Origin": "http://localhost"})
    time.sleep(0.5)
    assert len(smtp.received()) == 1
    shown = client.get(f"/networks/{network_id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "1 / 1 envoyé" in shown


def test_the_newsletter_needs_a_list_address_and_says_so(app, client):
    with app.app_context():
        network = networks.create_network(get_session(), "Réseau sans liste")
        network_id, token = network.id, app.config["ADMIN_TOKEN"]
    client.get(f"/admin?token={token}")
    answer = client.post(f"/networks/{network_id}/newsletter/send", headers={"Origin": "http://localhost"})
    shown = client.get(answer.headers["Location"], headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "adresse de la liste du réseau" in shown and 'role="alert"' in shown

"""The minutes and the newsletter as one file that travels: everything it shows is inside it, it runs
nothing, loads nothing, and what people typed stays text, however hostile."""

from __future__ import annotations

import base64
import html.parser
import re
import struct
import zlib
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kit.core.db import get_session
from kit.core.markdown_text import ALLOWED_TAGS
from kit.core.models import Meeting
from kit.meeting import lifecycle, preparation
from kit.meeting.templates import StepTemplate
from kit.network import networks
from kit.publishing import standalone
from tests.conftest import gen_participant, gen_template

# -- a long meeting, as a network of conseillers numériques holds one ------------------------------
PEOPLE = [
    (
        "Marie-Christine Leblanc-Durand",
        "Centre communal d'action sociale de La Guerche-de-Bretagne",
        "Roche aux Fées Communauté",
    ),
    ("Awa Diallo", "Médiathèque intercommunale Madeleine-Brès", "Vitré Communauté, Ille-et-Vilaine"),
    ("Bruno Le Gall", "Espace France Services de Châteaugiron", "Pays de Châteaugiron"),
    ("Chloé Petit", "Association Défis — Développement et formation en informatique solidaire", "Rennes Métropole"),
    ("Élodie Kergoat", "Conseil départemental d'Ille-et-Vilaine, agence de Fougères", "Fougères Agglomération"),
    ("François Hervé", "Mission locale du bassin rennais", "Rennes Métropole"),
    ("Gwenaëlle Tanguy", "Hub numérique Bretagne (Hubik)", "Région Bretagne"),
    ("Hélène Morvan", "Centre social Carrefour 18", "Rennes, quartier Sud-Gare"),
    ("Inès Benali", "Tiers-lieu La Bascule", "Argentré-du-Plessis"),
    ("Jérôme Piquet", "Emmaüs Connect, antenne de Rennes", "Ille-et-Vilaine"),
    ("Katell Le Bihan", "Maison de l'emploi de Vitré", "Vitré Communauté"),
    ("Loïc Guérin", "Commune de Janzé, service jeunesse", "Roche aux Fées Communauté"),
]

SENTENCES = [
    "Nous accueillons chaque mardi matin des personnes âgées qui découvrent la tablette.",
    "Les démarches de la CAF et de France Travail restent les premières demandes à l'accueil.",
    "Beaucoup arrivent avec un mot de passe oublié et une adresse électronique qu'elles n'ont jamais ouverte.",
    "Nous avons testé un atelier « Premiers pas sur le smartphone » en quatre séances de deux heures.",
    "La fréquentation a doublé depuis que la médiathèque ouvre le samedi après-midi.",
    "Il manque toujours une solution pour les personnes sans équipement à la maison.",
    "Le prêt de tablettes fonctionne bien, à condition d'accompagner la première prise en main.",
    "Les aidants numériques du département demandent un temps d'échange sur les arnaques en ligne.",
    "Nous orientons vers l'Espace France Services dès qu'une démarche demande un rendez-vous.",
    "L'évaluation montre que les participants gagnent en autonomie après trois ateliers.",
    "Les jeunes accompagnés par la mission locale maîtrisent les réseaux sociaux mais pas le courriel.",
    "Une bénévole anime désormais un café numérique le jeudi, ouvert à tous et gratuit.",
    "Le Pass numérique reste mal connu des travailleurs sociaux : il faudrait le présenter à nouveau.",
    "Nous avons créé une fiche pratique sur la déclaration de revenus, relue par le centre des finances publiques.",
    "La question de l'accessibilité des sites publics revient à chaque permanence.",
    "Les horaires d'ouverture ne conviennent pas aux personnes qui travaillent en journée.",
]


def several_sentences(n: int) -> str:
    """Three sentences of the bank, different for each n."""
    return " ".join(SENTENCES[(n * 5 + k * 3) % len(SENTENCES)] for k in range(3))


def venue_png(width: int = 480, height: int = 300) -> bytes:
    """A picture of a building under a sky, as a PNG made here (no image library, no download)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            if y > height * 0.8:
                pixel = (96, 140, 72)  # grass
            elif width * 0.2 < x < width * 0.8 and y > height * 0.3:
                window = (x // 24) % 2 == 0 and (y // 30) % 2 == 1
                pixel = (250, 220, 120) if window else (178, 84, 60)  # a brick front with lit windows
            else:
                pixel = (120 + y * 100 // height, 170 + y * 60 // height, 235)  # the sky
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


NEWS_LINKS = [
    "https://www.francenum.gouv.fr/aidants",
    "https://societenumerique.gouv.fr/fr/dispositif/conseillers-numeriques/",
    "https://lesbases.anct.gouv.fr/",
]

# the facilitator adds the directory the room filled in on paper: wider than any phone
DIRECTORY_TABLE = "\n".join(
    [
        "## Annuaire des compétences (ajouté à la relecture)",
        "",
        "| Nom | Structure | Territoire | Rôle | Propose | Cherche |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {structure} | {territory} | Conseiller·ère numérique | "
            "Démarches en ligne, parentalité numérique | Ateliers seniors, cybersécurité |"
            for name, structure, territory in PEOPLE
        ],
        "",
    ]
)


def long_meeting(db, instance: Path, *, language: str = "fr", title: str = "") -> Meeting:  # type: ignore[no-untyped-def]
    """A published meeting of a real network: 12 people, a venue photo, 36 contributions of several
    sentences, accepted news with links, and a wide directory table the facilitator added."""
    network = networks.create_network(db, "Réseau des aidants numériques d'Ille-et-Vilaine", "Ille-et-Vilaine")
    template = gen_template(
        StepTemplate("checkin", "Accueil", "Qui êtes-vous ? Présentez votre structure en une phrase.", {}),
        StepTemplate("news", "Point d'actualité", "Les nouvelles du réseau et les appels à projets.", {}),
        StepTemplate("board", "Partage de pratiques", "Qu'avez-vous essayé ce mois-ci ? Qu'en retenez-vous ?", {}),
        StepTemplate("board", "Recensement des besoins", "De quoi avez-vous besoin pour la suite ?", {}),
        title=title or "Rencontre de réseau de mars — aidants numériques d'Ille-et-Vilaine",
    )
    meeting = lifecycle.create_meeting(
        db,
        template,
        meeting_date=date(2026, 3, 12),
        place="Médiathèque de Vitré, salle du Temps libre",
        host="Médiathèque intercommunale Madeleine-Brès",
        network_id=network.id,
    )
    meeting.language = language
    preparation.set_photo(db, meeting, meeting.steps[0].id, instance / "uploads", venue_png())
    lifecycle.start(db, meeting)
    people = [gen_participant(db, meeting, name, structure=s, territory=t) for name, s, t in PEOPLE]
    checkin, news, practice, needs = (s.id for s in meeting.steps)
    for n, (person, (name, structure, territory)) in enumerate(zip(people, PEOPLE, strict=True)):
        data = {"name": name, "structure": structure, "territory": territory}
        lifecycle.contribute(db, meeting, person, checkin, f"in-{n}", data)
    lifecycle.move(db, meeting, +1)
    for n, link in enumerate(NEWS_LINKS):
        proposal = {
            "type": "study",
            "title": f"Ressource partagée n° {n + 1} : guide de l'aidant numérique",
            "description": several_sentences(n),
            "link": link,
        }
        sent = lifecycle.contribute(db, meeting, people[n], news, f"news-{n}", proposal)
        lifecycle.act(db, meeting, "accept", {"id": sent.contribution.id})
    lifecycle.move(db, meeting, +1)
    for n in range(18):
        text = several_sentences(n)
        lifecycle.contribute(db, meeting, people[n % len(people)], practice, f"p-{n}", {"text": text})
    lifecycle.move(db, meeting, +1)
    for n in range(15):
        text = f"Besoin n° {n + 1} — " + several_sentences(n + 7)
        lifecycle.contribute(db, meeting, people[(n * 5) % len(people)], needs, f"b-{n}", {"text": text})
    lifecycle.close(db, meeting)
    lifecycle.edit_minutes(db, meeting, (meeting.minutes_md or "") + "\n" + DIRECTORY_TABLE)
    lifecycle.publish(db, meeting)
    return meeting


# -- reading the file --------------------------------------------------------------------------------
# the file's own frame around the minutes; everything inside <main> comes from to_safe_html
FRAME = {"html", "head", "meta", "title", "style", "body", "div", "header", "main", "footer", "figure", "img"}
FRAME |= {"figcaption", "p", "strong", "a"}


class FileReader(html.parser.HTMLParser):
    """What the file is made of: its elements, their attributes, and the addresses they name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.problems: list[str] = []
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.lang = ""
        self.policy = ""
        self.text: list[str] = []
        self.in_main = False
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        allowed = ALLOWED_TAGS | ({"div"} if self.in_main else FRAME)
        if tag not in allowed | {"figure", "img", "figcaption"}:
            self.problems.append(f"element <{tag}>")
        if tag == "main":
            self.in_main = True
        self.in_style = tag == "style"
        if tag == "html":
            self.lang = found.get("lang") or ""
        if tag == "meta" and found.get("http-equiv") == "Content-Security-Policy":
            self.policy = found.get("content") or ""
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name in ("style", "srcset", "formaction", "action", "background"):
                self.problems.append(f"<{tag} {name}>")
            if re.match(r"\s*(javascript|vbscript|data):", value, re.I) and not (tag == "img" and name == "src"):
                self.problems.append(f"<{tag} {name}={value[:30]}>")
        if tag == "a":
            href = found.get("href") or ""
            self.hrefs.append(href)
            if urlsplit(href).scheme not in ("http", "https", "mailto"):
                self.problems.append(f"link {href[:40]}")
        if tag == "img":
            src = found.get("src") or ""
            self.images.append(src)
            if not re.fullmatch(r"data:image/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+", src):
                self.problems.append(f"image {src[:40]}")
        if tag == "div" and self.in_main and found.get("class") != "table-scroll":
            self.problems.append(f"<div {found}>")
        if tag == "link" or (tag == "meta" and found.get("http-equiv") not in (None, "Content-Security-Policy")):
            self.problems.append(f"<{tag} {found}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.in_main = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if not self.in_style:
            self.text.append(data)

    @property
    def shown(self) -> str:
        return " ".join(" ".join(self.text).split())


def read(document: str) -> FileReader:
    reader = FileReader()
    reader.feed(document)
    reader.close()
    return reader


def addresses(document: str) -> set[str]:
    """Every http(s) address the file holds, anywhere: attributes, text, stylesheet."""
    return {m.rstrip(".,;)") for m in re.findall(r"https?://[^\s\"'<>)]+", document)}


@pytest.fixture
def instance(app: Flask) -> Path:
    return Path(app.instance_path)


# -- the file ----------------------------------------------------------------------------------------
def test_a_long_meeting_makes_one_file_that_holds_everything_it_shows(app: Flask, instance: Path) -> None:
    with app.app_context():  # no request: the same call can make an email's HTML part
        db = get_session()
        meeting = long_meeting(db, instance)
        source = "https://kit.example.org/minutes/" + meeting.share_token
        photo = standalone.venue_photo(meeting, instance / "uploads")
        assert photo is not None and photo.kind == "png"
        document = standalone.minutes_file(meeting, source_url=source, photo=photo)
        title = meeting.title

    reader = read(document)
    assert not reader.problems, reader.problems[:10]
    assert "script" not in reader.tags and "link" not in reader.tags and "iframe" not in reader.tags
    assert reader.tags.count("style") == 1 and "@page" in document and "size: A4" in document
    assert reader.lang == "fr"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in document
    # the photo is inside the file, byte for byte
    [image] = reader.images
    assert base64.b64decode(image.split(",", 1)[1]) == venue_png()
    # the only addresses: the links people gave, and where the minutes come from (a link, not an asset)
    assert addresses(document) == {*NEWS_LINKS, source}
    assert set(reader.hrefs) == {*NEWS_LINKS, source}
    # title, date and place; who came; the long table; the footer
    shown = reader.shown
    assert f"<title>{title} — compte rendu (12 mars 2026)</title>" in document.replace("&#39;", "'")
    assert title in shown and "12 mars 2026" in shown and "Médiathèque de Vitré, salle du Temps libre" in shown
    assert "Présents (12)" in shown and "Marie-Christine Leblanc-Durand" in shown
    assert all(s in shown for s in SENTENCES)
    assert shown.count("Besoin n° ") == 15 and "Annuaire des compétences" in shown
    assert document.count('<div class="table-scroll"><table>') == 2
    assert "Réseau des aidants numériques d'Ille-et-Vilaine : compte rendu d'une rencontre, publié le" in shown
    assert "Version en ligne : " + source in shown
    # the band above the text does not repeat what the text says
    assert '<p class="kicker"><strong>Compte rendu</strong></p>' in document
    # the photo sits under the title and the date, before the first section
    assert document.index("<h1>") < document.index('<figure class="venue">') < document.index("<h2>")


def test_the_file_is_in_the_meeting_language(app: Flask, instance: Path) -> None:
    with app.app_context():
        meeting = long_meeting(get_session(), instance, language="en")
        document = standalone.minutes_file(meeting)
    reader = read(document)
    assert reader.lang == "en" and not reader.problems
    assert "March 12, 2026" in reader.shown and "Minutes of a meeting of" in reader.shown
    assert "Version en ligne" not in reader.shown and not reader.images  # no photo and no address were given


def test_a_photo_gone_from_the_disk_leaves_the_file_without_it(app: Flask, instance: Path) -> None:
    with app.app_context():
        meeting = long_meeting(get_session(), instance)
        for photo in (instance / "uploads").iterdir():
            photo.unlink()
        assert standalone.venue_photo(meeting, instance / "uploads") is None


def test_minutes_without_their_title_still_say_it(app: Flask, instance: Path) -> None:
    with app.app_context():
        db = get_session()
        meeting = long_meeting(db, instance)
        lifecycle.edit_minutes(db, meeting, "Juste une ligne : la suite au prochain numéro.")
        document = standalone.minutes_file(meeting)
    assert "<h1>Rencontre de réseau de mars — aidants numériques d&#39;Ille-et-Vilaine</h1>" in document
    # the band above the text gives the network, the date and the place the text no longer says
    kicker = read(document.split('<p class="kicker">')[1].split("</p>")[0]).shown
    assert kicker == (
        "Compte rendu · Réseau des aidants numériques d'Ille-et-Vilaine · "
        "12 mars 2026 · Médiathèque de Vitré, salle du Temps libre · "
        "Médiathèque intercommunale Madeleine-Brès"
    )


def test_the_file_name_is_the_title_and_the_date_in_plain_letters() -> None:
    assert standalone.file_name("Rencontre d'avril — Pays de Vitré", date(2026, 4, 9)) == (
        "rencontre-d-avril-pays-de-vitre-2026-04-09.html"
    )
    assert standalone.file_name("«»", None) == "kit.html"
    assert standalone.file_name("Rencontre " + "x" * 70, None) == "rencontre.html"
    assert standalone.file_name("x" * 70, None) == "x" * 60 + ".html"


# -- hostile text ----------------------------------------------------------------------------------
VECTORS_FILE = Path(__file__).parent / "data" / "xss-vectors.txt"
VECTORS = [
    line.replace("⏎", "\n")
    for line in VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#|")
]


def test_hostile_text_anywhere_stays_text_in_the_file(app: Flask, instance: Path) -> None:
    """Every vector as a participant's name, structure and card, in the meeting's title, place and
    host, and pasted raw into the reviewed Markdown: the file holds only its own structure."""
    with app.app_context():
        db = get_session()
        meeting = lifecycle.create_meeting(
            db,
            gen_template(),
            title=VECTORS[29].replace("\n", " ")[:200],
            place=VECTORS[32].replace("\n", " ")[:200],
            host=VECTORS[33].replace("\n", " ")[:200],
        )
        preparation.set_photo(db, meeting, meeting.steps[0].id, instance / "uploads", venue_png(40, 30))
        lifecycle.start(db, meeting)
        board = meeting.steps[1].id
        for n, vector in enumerate(VECTORS):
            one_line = vector.replace("\n", " ").strip()
            person = gen_participant(db, meeting, one_line[:60] or "x", structure=one_line[:120])
            lifecycle.contribute(
                db, meeting, person, meeting.steps[0].id, f"c{n}", {"name": one_line[:60], "structure": one_line[:120]}
            )
        lifecycle.move(db, meeting, +1)
        writer = gen_participant(db, meeting, "Rédactrice")
        for n, vector in enumerate(VECTORS):
            lifecycle.contribute(db, meeting, writer, board, f"b{n}", {"text": vector[:1000]})
        lifecycle.close(db, meeting)
        # a facilitator who pastes the vectors raw into the reviewed minutes
        lifecycle.edit_minutes(db, meeting, (meeting.minutes_md or "") + "\n\n" + "\n\n".join(VECTORS))
        lifecycle.publish(db, meeting)
        photo = standalone.venue_photo(meeting, instance / "uploads")
        document = standalone.minutes_file(meeting, source_url="http://kit.test/minutes/x", photo=photo)

    reader = read(document)
    assert not reader.problems, reader.problems[:10]
    assert "script" not in reader.tags and "svg" not in reader.tags and "iframe" not in reader.tags
    assert len(reader.images) == 1  # the venue's, as a data: URI
    assert document.count("<style>") == 1 and document.count("</style>") == 1
    assert document.count("<title>") == 1 and document.count("</title>") == 1
    assert document.count("<main>") == 1 and document.count("</main>") == 1
    # no address reaches the file for an asset: every link it keeps was typed as a link, to the web
    assert all(urlsplit(href).scheme in ("http", "https", "mailto") for href in reader.hrefs)
    # the policy the file carries forbids scripts and remote assets, should anything slip through
    assert reader.policy == standalone.POLICY
    assert "script-src" not in standalone.POLICY and "default-src 'none'" in standalone.POLICY


# -- the newsletter ----------------------------------------------------------------------------------
def test_the_newsletter_makes_one_file_too(app: Flask, instance: Path) -> None:
    with app.test_request_context():  # the newsletter names the minutes' share link
        db = get_session()
        meeting = long_meeting(db, instance)
        assert meeting.network is not None
        document = standalone.newsletter_file(db, meeting.network, language="fr")
        minutes_link = f"http://kit.test/minutes/{meeting.share_token}"
    reader = read(document)
    assert not reader.problems and reader.lang == "fr"
    assert "script" not in reader.tags and "link" not in reader.tags
    assert "Nouvelles — Réseau des aidants numériques d'Ille-et-Vilaine" in reader.shown
    assert "Notre dernière rencontre" in reader.shown and "12 personnes sont venues." in reader.shown
    assert "Réseau des aidants numériques d'Ille-et-Vilaine : lettre d'information préparée le" in reader.shown
    # one line each, and the published minutes a link away (a link to follow, nothing fetched)
    assert "</strong><br>\n12 personnes sont venues.<br>\nLire le compte rendu" in document
    assert not reader.images and reader.hrefs == [minutes_link]
    assert addresses(document) == {minutes_link}


def test_a_hostile_network_name_stays_text_in_the_newsletter(app: Flask) -> None:
    with app.test_request_context():
        db = get_session()
        for n, vector in enumerate(VECTORS[:40]):
            network = networks.create_network(db, f"{n} {vector.replace(chr(10), ' ')}"[:200], vector[:200])
            reader = read(standalone.newsletter_file(db, network))
            assert not reader.problems, (vector, reader.problems)
            assert "script" not in reader.tags


# -- the downloads -----------------------------------------------------------------------------------
def test_anyone_with_the_share_link_downloads_the_published_minutes_as_one_file(
    app: Flask, client: FlaskClient, instance: Path
) -> None:
    with app.app_context():
        meeting = long_meeting(get_session(), instance)
        token = meeting.share_token
    page = client.get(f"/minutes/{token}").get_data(as_text=True)
    assert f'href="/minutes/{token}.html"' in page and "Télécharger le compte rendu (un seul fichier)" in page

    answer = client.get(f"/minutes/{token}.html")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="rencontre-de-reseau-de-mars-aidants-numeriques-d-ille-et-2026-03-12.html"'
    )
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    document = answer.get_data(as_text=True)
    reader = read(document)
    assert not reader.problems and len(reader.images) == 1
    assert addresses(document) == {*NEWS_LINKS, f"http://kit.test/minutes/{token}"}
    print(f"\none-file minutes of a 12-person meeting with 36 contributions and a photo: {len(answer.data)} bytes")


def test_the_file_needs_what_the_minutes_page_needs(app: Flask, client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/minutes/no-such-token.html").status_code == 404
    meeting = lifecycle.create_meeting(db, gen_template())
    lifecycle.start(db, meeting)
    assert client.get(f"/minutes/{meeting.share_token}.html").status_code == 404  # live
    lifecycle.close(db, meeting)
    assert client.get(f"/minutes/{meeting.share_token}.html").status_code == 404  # closed, not published
    lifecycle.publish(db, meeting)
    assert client.get(f"/minutes/{meeting.share_token}.html").status_code == 200


def test_the_review_page_offers_the_file_once_published(app: Flask, client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template())
    lifecycle.start(db, meeting)
    lifecycle.close(db, meeting)
    review = f"/m/{meeting.code}/minutes?key={meeting.facilitator_key}"
    assert f"/minutes/{meeting.share_token}.html" not in client.get(review).get_data(as_text=True)
    lifecycle.publish(db, meeting)
    assert f'href="/minutes/{meeting.share_token}.html"' in client.get(review).get_data(as_text=True)


def test_the_admin_downloads_the_newsletter_as_one_file(app: Flask, client: FlaskClient, instance: Path) -> None:
    with app.app_context():
        meeting = long_meeting(get_session(), instance)
        network_id = meeting.network_id
    assert client.get(f"/networks/{network_id}/newsletter.html").status_code == 403
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    page = client.get(f"/networks/{network_id}").get_data(as_text=True)
    assert f'href="/networks/{network_id}/newsletter.html"' in page
    assert "Télécharger la lettre d'information (un seul fichier)" in page
    answer = client.get(f"/networks/{network_id}/newsletter.html")
    assert answer.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="reseau-des-aidants-numeriques-d-ille-et-vilaine-lettre-\d{4}-\d\d-\d\d\.html"',
        answer.headers["Content-Disposition"],
    )
    reader = read(answer.get_data(as_text=True))
    assert not reader.problems and "Notre dernière rencontre" in reader.shown

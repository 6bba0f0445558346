"""Preparing a meeting with forms, in real Chromium, as a facilitator does it: every activity's
options filled by their labels (news items, topics with long introductions and their examples, poll
questions, example cards, the plain fields), rows added, moved and removed, a step moved with the
keyboard without the page reloading, then the saved options read back from the template file. The
admin page's gallery of templates and the prepare page pass axe-core. Screenshots of the prepare
page with long content at 1440×900 and 390×844 go to screenshots/browser-prepare-*.png.
Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from tests.browser import Room, browser_fixture, expect, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures: browser, room, server)
from tests.server import KitServer
from tests.test_browser_pages import AXE_DETAILS, axe, checked_page
from tests.test_screenshots import ROOT

pytestmark = pytest.mark.e2e

LAPTOP = {"viewport": {"width": 1440, "height": 900}}
SMALL_PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

INTRODUCTIONS = [
    (
        "Une semaine du numérique sur tout le territoire",
        "Chaque automne, les structures du réseau ouvrent leurs portes la même semaine : ateliers, "
        "permanences, démonstrations. L'idée est née à la rencontre de mars, après le constat que les "
        "habitants ne savaient pas où s'adresser.\n\n"
        "L'an dernier, douze lieux ont participé et près de trois cents personnes sont venues. Les "
        "communes rurales à l'est du territoire ont été peu touchées : il faudra y aller avec le bus "
        "numérique du Département.\n\n"
        "Dites ce que vous pourriez proposer, ce qui vous manque pour le faire, et avec qui vous aimeriez "
        "l'organiser. Toutes les idées comptent, même les plus modestes.",
    ),
    (
        "Un annuaire partagé des lieux et des compétences",
        "Orienter une personne vers le bon lieu demande aujourd'hui plusieurs coups de téléphone. Un "
        "annuaire commun, tenu à jour par chacun, ferait gagner du temps à tout le monde.\n\n"
        "Il reprendrait les horaires, les services, les publics accueillis et l'accessibilité de chaque "
        "lieu, au format national des lieux de médiation numérique, pour être repris par d'autres sites.\n\n"
        "Qui peut y contribuer, à quel rythme, et qui pourrait en prendre soin ? Dites aussi ce qui vous "
        "inquiète : le temps, les outils, les données personnelles.",
    ),
    (
        "Des ressources d'atelier communes",
        "Chacun refait ses supports dans son coin : fiches pas à pas, diaporamas, jeux sur les arnaques. "
        "Les mettre en commun éviterait de réinventer ce qui existe déjà ailleurs.\n\n"
        "Une licence libre permettrait à chacun de les reprendre et de les adapter à son public, en "
        "citant la source. Il faudrait un endroit unique où les déposer et les retrouver.\n\n"
        "Quelles ressources avez-vous envie de partager ? Lesquelles vous manquent le plus ?",
    ),
]
DESCRIPTION = "Une journée d'échanges entre professionnels : retours d'expérience, ateliers et temps de rencontre."
KINDS = ["Appel à projets (AAP, AMI)", "Événement", "Étude ou rapport", "Dispositif national", "Autres actualités"]


def every_violation(page: Any, page_type: str) -> list[str]:
    """axe-core's violations of any impact (what it could not decide, "to review", left aside)."""
    axe(page, page_type)
    return [
        f"{page_type}: {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in AXE_DETAILS[page_type]
        if v["impact"] != "to review"
    ]


def prepare_page(server: KitServer) -> tuple[str, str, str]:
    printed = server.kit("meeting", "new", str(ROOT / "tests" / "fixtures" / "every-activity.toml"))
    links = {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.splitlines())}
    code = links["code"].replace("-", "")
    key = links["console"].split("key=")[1]
    return f"{server.url}/m/{code}/prepare?key={key}", code, key


def step_of(page: Any, title: str) -> Any:
    """One step of the prepare page, found by its heading."""
    heading = page.get_by_role("heading", level=3, name=re.compile("^" + re.escape(title)))
    return page.locator(".prepare-step").filter(has=heading)


def save(page: Any, step: Any) -> None:
    with page.expect_navigation():
        step.get_by_role("button", name=re.compile("^Enregistrer cette étape")).click()
    expect(page.get_by_role("heading", name="Les étapes")).to_be_visible()
    assert not page.locator(".field-error").count(), page.locator(".field-error").all_inner_texts()


def test_a_meeting_is_prepared_with_forms_driven_by_label(server: KitServer, room: Room) -> None:
    url, code, key = prepare_page(server)
    page = checked_page(room, **LAPTOP)
    page.goto(url)

    # -- check-in: plain fields and a list written one per line ---------------------------------
    step = step_of(page, "Accueil")
    step.get_by_label("Structure qui accueille").fill("Médiathèque Madeleine-Brès, Vitré")
    step.get_by_label("Présentation du lieu d'accueil").fill(
        "Un espace public numérique ouvert du mardi au samedi.\n\nAteliers seniors le mardi, permanence CAF le jeudi."
    )
    step.get_by_label(re.compile("^Compétences proposées")).fill("Démarches en ligne\nAteliers collectifs\nSmartphone")
    save(page, step)

    # -- news: twelve items, each kind chosen from its list ---------------------------------------
    step = step_of(page, "Point d'actualité")
    for number in range(3, 13):
        step.get_by_role("button", name="Ajouter : Actualité", exact=True).click()
        row = step.get_by_role("group", name=f"Actualité {number}", exact=True)
        expect(row.get_by_label("Type d'actualité")).to_be_focused()
        row.get_by_label("Type d'actualité").select_option(label=KINDS[number % len(KINDS)])
        row.get_by_label("Titre", exact=True).fill(
            f"Actualité n° {number} : rencontre départementale des aidants numériques"
        )
        row.get_by_label("Date limite").fill(f"2027-02-{number:02d}")
        row.get_by_label("Lien").fill(f"https://www.exemple.fr/actualites/{number}")
        row.get_by_label("Description").fill(DESCRIPTION)
    # the first prepared item goes down one place, with the keyboard focus kept on its button
    first = step.get_by_role("group", name="Actualité 1", exact=True)
    first.get_by_role("button", name="Descendre : Actualité 1", exact=True).click()
    expect(step.get_by_role("group", name="Actualité 2", exact=True).get_by_label("Titre", exact=True)).to_have_value(
        "Appel à projets « inclusion numérique »"
    )
    expect(step.get_by_role("button", name="Descendre : Actualité 2", exact=True)).to_be_focused()
    save(page, step)

    # -- needs: whole numbers -----------------------------------------------------------------
    step = step_of(page, "Recensement des besoins")
    step.get_by_label("Temps pour répondre à un besoin, en minutes").fill("7")
    step.get_by_label(re.compile("^Longueur maximale")).fill("400")
    save(page, step)

    # -- practice and tools: example cards with the participants' own fields ----------------------
    step = step_of(page, "Partage de pratiques")
    step.get_by_role("button", name="Ajouter : Fiche d'exemple", exact=True).click()
    card = step.get_by_role("group", name="Fiche d'exemple 1", exact=True)
    card.get_by_label("La pratique en quelques mots").fill("Un café numérique le samedi matin")
    card.get_by_label("Contexte : où, avec qui").fill("À la médiathèque, avec les bénévoles de l'association")
    save(page, step)
    step = step_of(page, "Présentation d'outils")
    step.get_by_role("button", name="Ajouter : Fiche d'exemple", exact=True).click()
    card = step.get_by_role("group", name="Fiche d'exemple 1", exact=True)
    card.get_by_label("Nom de l'outil").fill("Pix")
    card.get_by_label("À quoi il sert").fill("Évaluer et développer ses compétences numériques")
    card.get_by_label("Lien").fill("https://pix.fr")
    save(page, step)

    # -- animation and speaker: texts ----------------------------------------------------------
    step = step_of(page, "Test d'animation")
    step.get_by_label("L'animation testée").fill(
        "Le jeu des arnaques : dix cartes, dix situations à démêler en binôme."
    )
    save(page, step)
    step = step_of(page, "Intervenant extérieur")
    step.get_by_label("Intervenant ou intervenante").fill("Mme Claire Durand, déléguée à la protection des données")
    step.get_by_label("Thème").fill("Les données personnelles au guichet")
    save(page, step)

    # -- topics: long introductions in three paragraphs, examples with a title and a text ----------
    step = step_of(page, "Projets collectifs")
    for number, (title, introduction) in enumerate(INTRODUCTIONS, start=3):
        step.get_by_role("button", name="Ajouter : Thème", exact=True).click()
        topic = step.get_by_role("group", name=f"Thème {number}", exact=True)
        topic.get_by_label("Titre du thème").fill(title)
        topic.get_by_label("Introduction").fill(introduction)
        for example in (1, 2):
            topic.get_by_role("button", name="Ajouter : Exemple", exact=True).click()
            item = topic.get_by_role("group", name=f"Exemple {example}", exact=True)
            item.get_by_label("Titre de l'exemple").fill(f"Piste {example} pour « {title} »")
            item.get_by_label("Texte de l'exemple").fill(
                "Ce qui a marché ailleurs : un calendrier commun, une affiche partagée, un référent par commune."
            )
    first_topic = step.get_by_role("group", name="Thème 1", exact=True)
    first_topic.get_by_label("Introduction").fill(INTRODUCTIONS[0][1])
    # the second topic's only example goes; the last topic comes up one place
    second = step.get_by_role("group", name="Thème 2", exact=True)
    second.get_by_role("button", name="Supprimer : Exemple 1", exact=True).click()
    expect(second.get_by_role("group", name="Exemple 1", exact=True)).to_have_count(0)
    step.get_by_role("button", name="Monter : Thème 5", exact=True).click()
    expect(step.get_by_role("group", name="Thème 4", exact=True).get_by_label("Titre du thème")).to_have_value(
        INTRODUCTIONS[2][0]
    )
    save(page, step)

    # -- roadmap: check boxes ------------------------------------------------------------------
    step = step_of(page, "Feuille de route")
    step.get_by_label("Calendrier").uncheck()
    save(page, step)

    # -- poll: a question of several choices, the rating's scale hidden for it --------------------
    step = step_of(page, "Évaluation")
    step.get_by_role("button", name="Ajouter : Question", exact=True).click()
    question = step.get_by_role("group", name="Question 3", exact=True)
    question.get_by_label("Type de question").select_option(label="Plusieurs choix")
    expect(question.get_by_label("Note la plus haute")).to_be_hidden()
    question.get_by_label("La question").fill("Sur quels projets voulez-vous avancer cette année ?")
    question.get_by_label("Choix, un par ligne").fill("Semaine du numérique\nAnnuaire partagé\nRessources communes")
    save(page, step)

    # -- board and diagnosis: lists, one per line ------------------------------------------------
    step = step_of(page, "Mur d'idées")
    step.get_by_label("Exemples, un par ligne").fill(
        "Se retrouver dans un tiers-lieu\nUn covoiturage pour les rencontres"
    )
    save(page, step)
    step = step_of(page, "Diagnostic du territoire")
    step.get_by_label("Communes, une par ligne").fill("Vitré\nChâteaugiron\nLa Guerche-de-Bretagne\nJanzé")
    save(page, step)

    problems = every_violation(page, "prepare, long content")
    shots(page)

    # -- a step moved down with the keyboard: no reload, the focus stays on the button ----------
    page.evaluate("window.stillHere = true")
    down = step_of(page, "Accueil").get_by_role("button", name="Descendre : Accueil", exact=True)
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".prepare-step h3").first).to_contain_text("Point d'actualité")
    expect(down).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Étape déplacée en position 2 sur 12")).to_be_attached()
    assert page.evaluate("window.stillHere === true"), "the page reloaded"

    # -- what was saved ------------------------------------------------------------------------
    answer = page.request.get(f"{server.url}/m/{code}/template.toml?key={key}")
    saved = {step["title"]: step.get("options", {}) for step in tomllib.loads(answer.text())["steps"]}
    order = [step["title"] for step in tomllib.loads(answer.text())["steps"]]
    assert order[:2] == ["Point d'actualité", "Accueil"]
    assert saved["Accueil"]["skills"] == ["Démarches en ligne", "Ateliers collectifs", "Smartphone"]
    assert "\n\nAteliers seniors" in saved["Accueil"]["presentation"]
    items = saved["Point d'actualité"]["items"]
    assert len(items) == 12 and items[1]["title"] == "Appel à projets « inclusion numérique »"
    assert items[11] == {
        "type": "study",
        "title": "Actualité n° 12 : rencontre départementale des aidants numériques",
        "description": DESCRIPTION,
        "deadline": "2027-02-12",
        "link": "https://www.exemple.fr/actualites/12",
    }
    assert saved["Recensement des besoins"] == {"max_length": 400, "minutes": 7}
    assert saved["Partage de pratiques"]["exemplier"][0]["title"] == "Un café numérique le samedi matin"
    assert saved["Présentation d'outils"]["exemplier"][0]["link"] == "https://pix.fr"
    assert saved["Intervenant extérieur"]["theme"] == "Les données personnelles au guichet"
    topics = saved["Projets collectifs"]["topics"]
    assert [t["title"] for t in topics] == [
        "Semaine du numérique",
        "Annuaire partagé",
        INTRODUCTIONS[0][0],
        INTRODUCTIONS[2][0],
        INTRODUCTIONS[1][0],
    ]
    assert topics[0]["description"].count("\n\n") == 2 and topics[1]["exemplier"] == []
    assert topics[0]["exemplier"] == [{"title": "Un stand au marché", "text": ""}]
    assert topics[3]["exemplier"][1] == {
        "title": f"Piste 2 pour « {INTRODUCTIONS[2][0]} »",
        "text": "Ce qui a marché ailleurs : un calendrier commun, une affiche partagée, un référent par commune.",
    }
    assert saved["Feuille de route"]["sections"] == ["purpose", "objectives", "roles", "workstreams"]
    assert saved["Évaluation"]["questions"][2] == {
        "type": "multiple",
        "text": "Sur quels projets voulez-vous avancer cette année ?",
        "choices": ["Semaine du numérique", "Annuaire partagé", "Ressources communes"],
    }
    assert saved["Mur d'idées"]["exemplier"][1] == "Un covoiturage pour les rencontres"
    assert saved["Diagnostic du territoire"]["communes"][-1] == "Janzé"
    assert not problems, "\n".join(problems)


def shots(page: Any) -> None:
    """The prepare page with long content, at a laptop's size and a phone's, looked at by a person."""
    step_of(page, "Projets collectifs").get_by_role("group", name="Thème 3", exact=True).scroll_into_view_if_needed()
    shoot(page, "prepare-topics-1440")
    step_of(page, "Point d'actualité").get_by_role(
        "group", name="Actualité 12", exact=True
    ).scroll_into_view_if_needed()
    shoot(page, "prepare-news-1440")
    page.set_viewport_size(SMALL_PHONE["viewport"])
    step_of(page, "Projets collectifs").get_by_role("group", name="Thème 3", exact=True).scroll_into_view_if_needed()
    shoot(page, "prepare-topics-390")
    step_of(page, "Évaluation").get_by_role("group", name="Question 3", exact=True).scroll_into_view_if_needed()
    shoot(page, "prepare-poll-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    page.set_viewport_size(LAPTOP["viewport"])


def test_a_wrong_value_is_shown_next_to_its_field(server: KitServer, room: Room) -> None:
    url, _, _ = prepare_page(server)
    page = checked_page(room, **LAPTOP)
    page.goto(url)
    step = step_of(page, "Évaluation")
    question = step.get_by_role("group", name="Question 1", exact=True)
    question.get_by_label("Type de question").select_option(label="Un seul choix")
    question.get_by_label("Choix, un par ligne").fill("Oui")
    with page.expect_navigation():
        step.get_by_role("button", name=re.compile("^Enregistrer cette étape")).click()
    step = step_of(page, "Évaluation")
    field = step.get_by_role("group", name="Question 1", exact=True).get_by_label("Choix, un par ligne")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("de 2 à 12 choix"))
    expect(step.get_by_role("alert")).to_contain_text("Cette étape n'a pas été enregistrée.")
    shoot(page, "prepare-error-1440")
    problems = every_violation(page, "prepare, an error")
    assert not problems, "\n".join(problems)


def test_the_gallery_shows_each_template_with_its_screens(server: KitServer, room: Room) -> None:
    admin_token = (server.instance / "admin-token").read_text().strip()
    page = checked_page(room, **LAPTOP)
    page.goto(f"{server.url}/admin?token={admin_token}")
    expect(page.get_by_label("Modèle", exact=True)).to_have_value("rencontre-mensuelle")
    gallery = page.get_by_role("region", name="Les modèles")
    cards = gallery.get_by_role("heading", level=3)
    expect(cards.first).to_have_text("Rencontre mensuelle du réseau")
    first = gallery.locator(".template-card").first
    first.get_by_text(re.compile("^Voir ses écrans")).click()
    frames = first.locator("iframe")
    expect(frames).to_have_count(5)
    expect(frames.nth(1).content_frame.get_by_role("heading", name="Point d'actualité")).to_be_visible()
    first.scroll_into_view_if_needed()
    shoot(page, "gallery-1440")
    page.set_viewport_size(SMALL_PHONE["viewport"])
    first.get_by_role("heading", level=3).scroll_into_view_if_needed()
    shoot(page, "gallery-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the gallery scrolls sideways"
    page.set_viewport_size(LAPTOP["viewport"])
    problems = every_violation(page, "admin, gallery")
    page.get_by_role("link", name=re.compile("^Choisir ce modèle : Atelier projets collectifs")).click()
    expect(page.get_by_label("Modèle", exact=True)).to_have_value("atelier-projets-collectifs")
    assert not problems, "\n".join(problems)


def test_without_javascript_an_empty_row_adds_one_and_a_box_removes_one(server: KitServer, room: Room) -> None:
    url, code, key = prepare_page(server)
    page = room.page(java_script_enabled=False, **LAPTOP)
    page.goto(url)
    step = step_of(page, "Projets collectifs")
    blank = step.get_by_role("group", name=re.compile("^Ajouter : Thème"))
    blank.get_by_label("Titre du thème").fill(INTRODUCTIONS[1][0])
    blank.get_by_label("Introduction").fill(INTRODUCTIONS[1][1])
    blank.get_by_role("group", name=re.compile("^Ajouter : Exemple")).get_by_label("Titre de l'exemple").fill(
        "Une fiche par lieu"
    )
    step.get_by_role("checkbox", name="Retirer à l'enregistrement : Thème 1", exact=True).check()
    save(page, step)
    answer = page.request.get(f"{server.url}/m/{code}/template.toml?key={key}")
    saved = {s["title"]: s.get("options", {}) for s in tomllib.loads(answer.text())["steps"]}
    assert saved["Projets collectifs"]["topics"] == [
        {"title": "Annuaire partagé", "exemplier": [{"title": "Une fiche par lieu", "text": ""}], "description": ""},
        {
            "title": INTRODUCTIONS[1][0],
            "description": INTRODUCTIONS[1][1],
            "exemplier": [{"title": "Une fiche par lieu", "text": ""}],
        },
    ]
    # the steps move by a plain form: the page comes back with the new order
    step_of(page, "Accueil").get_by_role("button", name="Descendre : Accueil", exact=True).click()
    expect(page.locator(".prepare-step h3").first).to_contain_text("Point d'actualité")

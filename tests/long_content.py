"""A real workshop's volume of French content, for the tests and screenshots that must see kit
under load as a room sees it: five topics with three-paragraph introductions and their examples,
twelve news items, tools, needs, a poll, a roadmap — and 30+ varied contributions on every step
(accents, long paragraphs, a few short ones).

    meeting = create_long_meeting(db)          # prepared, from long_template()
    fill_meeting(db, meeting)                  # live, every step filled, back on its first step
    on_server(server, lambda db: ...)          # the same on a running `kit serve`'s database

Everything is built from fixed lists with a seeded random choice: the same content on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from kit import create_app
from kit.activities import activity_for
from kit.core.db import get_session
from kit.core.models import Meeting, Participant, Step
from kit.meeting import lifecycle, votes
from kit.meeting.templates import MeetingTemplate, StepTemplate
from tests.conftest import ROOT

T = TypeVar("T")

#: how many contributions each step gets by default
CONTRIBUTIONS = 32

PEOPLE = [
    ("Awa Diallo", "CCAS de Vitré", "Vitré Communauté"),
    ("Élodie Lefèvre", "Médiathèque de Fougères", "Fougères Agglomération"),
    ("Zoé Martin", "France services de Janzé", "Roche aux Fées"),
    ("Bruno Leclerc", "Espace public numérique de Redon", "Redon Agglomération"),
    ("Hélène Guérin", "Centre social Maurepas", "Rennes Métropole"),
    ("Yannick Le Gall", "Mission locale du pays de Brocéliande", "Brocéliande"),
    ("Fatoumata Traoré", "Association Défi numérique", "Rennes Métropole"),
    ("Jérôme Pichon", "Mairie de Châteaugiron", "Pays de Châteaugiron"),
    ("Anaïs Roussel", "Conseil départemental, agence de Saint-Malo", "Saint-Malo Agglomération"),
    ("Loïc Ménard", "Tiers-lieu La Fabrique", "Montfort Communauté"),
    ("Chloé Besnard", "CAF d'Ille-et-Vilaine", "Département"),
    ("Mathéo Hamon", "Emmaüs Connect", "Rennes Métropole"),
    ("Soizic Rault", "Point information jeunesse de Liffré", "Liffré-Cormier"),
    ("Noémie Château", "Bibliothèque de La Guerche-de-Bretagne", "Roche aux Fées"),
    ("Karim Benali", "Régie de quartier Le Blosne", "Rennes Métropole"),
    ("Gaëlle Piel", "Maison de services de Combourg", "Bretagne romantique"),
    ("Stéphane Aubry", "Hub numérique Bretagne", "Région"),
    ("Inès Fontaine", "Université Rennes 2, service d'accessibilité", "Rennes Métropole"),
    ("Régis Cotten", "Ehpad Les Tilleuls", "Val d'Ille-Aubigné"),
    ("Maëlle Jégou", "Centre communal de Bain-de-Bretagne", "Bretagne Porte de Loire"),
    ("Thierry Gohier", "Secours populaire, antenne de Redon", "Redon Agglomération"),
    ("Aurélie Morvan", "Espace France services de Guichen", "Vallons de Haute-Bretagne"),
    ("Océane Lemaître", "Mairie de Saint-Aubin-d'Aubigné", "Val d'Ille-Aubigné"),
    ("Denis Hervé", "Association Les Petits Débrouillards", "Rennes Métropole"),
    ("Clémence Barbier", "Pôle emploi, agence de Vitré", "Vitré Communauté"),
    ("Nadia Ouali", "Centre social de Cleunay", "Rennes Métropole"),
    ("Pierre-Yves Lucas", "Communauté de communes Couesnon Marches de Bretagne", "Couesnon"),
    ("Bérénice Giraud", "Médiathèque Lucien Herr", "Rennes Métropole"),
    ("Jean-Noël Prigent", "Retraités solidaires du pays de Dol", "Dol de Bretagne"),
    ("Lucie Tanguy", "Maison de l'emploi de Saint-Malo", "Saint-Malo Agglomération"),
    ("Séverine Daniel", "Centre d'action sociale de Montauban", "Saint-Méen Montauban"),
    ("Mamadou Sow", "Association Bug", "Rennes Métropole"),
    ("Françoise Le Bihan", "Club informatique des aînés de Pacé", "Rennes Métropole"),
    ("Théo Renaud", "Lycée agricole du Rheu", "Rennes Métropole"),
]

SKILLS = [
    "Démarches en ligne",
    "Ateliers collectifs",
    "Sécurité et arnaques",
    "Smartphone et tablette",
    "Emploi et CV",
    "Parentalité numérique",
    "Matériel reconditionné",
    "Accessibilité",
]

# the pieces contributions are made of: a start, a middle, sometimes a long end
_OPENINGS = [
    "Chez nous, à la médiathèque,",
    "Au CCAS, depuis la rentrée,",
    "Dans notre France services,",
    "À l'espace public numérique,",
    "Avec l'équipe du centre social,",
    "Sur notre territoire rural,",
    "Dans le quartier prioritaire,",
    "À la permanence du jeudi,",
    "En lien avec la mission locale,",
    "Au tiers-lieu, le samedi matin,",
]
_MIDDLES = [
    "on accueille beaucoup de personnes âgées qui n'osent pas demander de l'aide pour leurs démarches",
    "les familles viennent surtout pour Pronote, l'ENT du collège et la CAF",
    "on a lancé des ateliers « premiers pas sur le smartphone » en petits groupes de six",
    "les demandeurs d'emploi ont besoin d'aide pour le CV, France Travail et les candidatures en ligne",
    "on voit arriver des victimes d'arnaques au faux conseiller bancaire presque chaque semaine",
    "le prêt de tablettes reconditionnées a permis à douze foyers de s'équiper à moindre coût",
    "les jeunes maîtrisent les réseaux sociaux mais pas les démarches administratives",
    "on manque de créneaux : la liste d'attente atteint trois semaines",
    "l'accompagnement à domicile reste le seul moyen de toucher certains habitants isolés",
    "le Pass numérique a bien fonctionné, mais les bénéficiaires ne savent pas où l'utiliser",
    "les aidants numériques des mairies ont besoin d'un lieu pour poser leurs questions",
    "les personnes allophones ont besoin d'outils traduits et d'un accueil patient",
]
_ENDINGS = [
    " Ce qui marche le mieux, c'est de partir de ce que la personne "
    "veut faire elle-même, et de ne jamais prendre la souris à sa place.",
    " On aimerait partager nos supports avec le réseau, et savoir "
    "si d'autres structures ont des créneaux le soir ou le week-end.",
    " Il faudrait une fiche commune qui dise qui fait quoi sur le territoire, mise à jour au moins deux fois par an.",
    " Le bouche-à-oreille reste notre meilleur relais : une personne "
    "accompagnée en amène souvent deux autres le mois suivant.",
    " Nous avons besoin d'une formation sur l'accessibilité, notamment "
    "pour les personnes malvoyantes et les lecteurs d'écran.",
    " La coordination avec les travailleurs sociaux est essentielle : sans "
    "eux, on ne voit pas les personnes les plus éloignées.",
    " On a testé un jeu de cartes sur les arnaques : "
    "les participants ont ri, et retenu bien plus qu'avec un diaporama.",
    " La question du matériel revient sans cesse : un ordinateur "
    "prêté trois mois change vraiment la donne pour une recherche d'emploi.",
]
_SHORT = [
    "Oui, pareil à Fougères !",
    "D'accord avec Awa.",
    "Idem chez nous.",
    "Très bonne idée 👍",
    "À creuser ensemble.",
    "Je peux aider là-dessus.",
    "On en parle au prochain café ?",
    "Indispensable !",
]

TOPICS = [
    {
        "title": "Une semaine du numérique sur tout le territoire",
        "description": (
            "L'idée est née à la dernière rencontre : plutôt que chacun organise sa journée portes ouvertes "
            "dans son coin, le réseau pourrait proposer une semaine commune, avec un programme unique, une "
            "affiche et une communication partagée par toutes les communes.\n\n"
            "Chaque structure garderait ses propres ateliers, mais les horaires seraient coordonnés pour qu'un "
            "habitant puisse trouver une activité près de chez lui chaque jour de la semaine, y compris le soir "
            "et le samedi.\n\n"
            "Il reste à choisir la période (octobre ou mars ?), à trouver qui porte la coordination, et à "
            "savoir si le Département peut financer l'impression des programmes et un peu de transport."
        ),
        "exemplier": [
            "Un stand commun au marché du samedi",
            "Des ateliers dans chaque commune la même semaine",
            "Un programme papier distribué avec le bulletin municipal",
        ],
    },
    {
        "title": "Un annuaire partagé des lieux et des compétences",
        "description": (
            "Aujourd'hui, quand une personne se présente avec une demande que l'on ne sait pas traiter, on "
            "ne sait pas toujours vers qui l'orienter. Les listes circulent par courriel et ne sont jamais à "
            "jour.\n\n"
            "Un annuaire partagé dirait pour chaque lieu ses horaires, ses services, les publics accueillis "
            "et les compétences de l'équipe, dans le format national des lieux de médiation numérique.\n\n"
            "La question est de savoir qui le tient à jour, à quel rythme, et comment les structures qui "
            "n'ont pas de salarié dédié au numérique peuvent y figurer sans que cela leur prenne du temps."
        ),
        "exemplier": [
            "Une fiche par lieu : horaires, services, publics",
            "Qui sait faire quoi dans le réseau",
        ],
    },
    {
        "title": "Des ressources pédagogiques communes",
        "description": (
            "Chacun fabrique ses supports d'atelier de son côté : fiches, diaporamas, jeux, tutoriels "
            "imprimés. Beaucoup se ressemblent, certains sont excellents et mériteraient d'être connus.\n\n"
            "Mettre en commun ces ressources, sous une licence libre, permettrait de gagner du temps et "
            "d'améliorer les supports à plusieurs, en gardant le nom de celles et ceux qui les ont créés.\n\n"
            "Il faut décider où les ranger, comment les classer (par public, par thème, par durée) et "
            "comment signaler qu'un support est obsolète après une mise à jour d'un site administratif."
        ),
        "exemplier": [
            "Une malle de tablettes à prêter entre structures",
            "Des supports d'atelier sous licence libre",
            "Un jeu de cartes sur les arnaques",
        ],
    },
    {
        "title": "Aller vers les publics les plus éloignés",
        "description": (
            "Les personnes qui en ont le plus besoin sont souvent celles qui ne viennent jamais dans nos "
            "lieux : personnes âgées isolées, habitants des hameaux, personnes en situation de handicap, "
            "familles qui ont honte de ne pas savoir.\n\n"
            "Plusieurs structures testent des permanences itinérantes, des visites à domicile ou des "
            "ateliers dans les lieux du quotidien : épicerie solidaire, salle des fêtes, marché.\n\n"
            "Comment partager ces expériences, éviter de se marcher sur les pieds, et convaincre les "
            "financeurs que ce travail, plus lent, est aussi le plus utile ?"
        ),
        "exemplier": [
            "Une permanence à l'épicerie solidaire",
            "Un bus numérique qui passe dans les hameaux",
        ],
    },
    {
        "title": "Se former entre pairs",
        "description": (
            "Les métiers de la médiation numérique changent vite : nouvelles démarches en ligne, "
            "intelligence artificielle, cybersécurité, accessibilité. Les formations officielles sont rares "
            "et souvent loin.\n\n"
            "Le réseau pourrait organiser des demi-journées de formation entre pairs, où une structure "
            "présente ce qu'elle maîtrise aux autres, avec un temps de pratique.\n\n"
            "Reste à trouver un rythme tenable (une fois par trimestre ?), des salles équipées et une manière "
            "de valoriser ce temps auprès des employeurs."
        ),
        "exemplier": [
            "Une demi-journée sur les arnaques en ligne",
            "Un atelier sur les outils d'accessibilité",
            "Un échange de pratiques sur l'accueil des personnes allophones",
        ],
    },
]

_NEWS_TITLES = [
    ("funding_call", "Appel à projets « Inclusion numérique » du Département", 20, ""),
    ("funding_call", "AMI France services : itinérance en zone rurale", 45, ""),
    ("funding_call", "Fonds de la Fondation Orange pour les ateliers seniors", 60, ""),
    ("event", "Journée régionale de la médiation numérique à Rennes", 0, "2027-01-22"),
    ("event", "Numérique en Commun[s] : rencontre nationale", 0, "2027-03-10"),
    ("event", "Café des aidants numériques à Vitré", 0, "2026-12-15"),
    ("study", "Baromètre du numérique 2026 : les chiffres clés", 0, ""),
    ("study", "Rapport du Défenseur des droits sur la dématérialisation", 0, ""),
    ("scheme", "Conseillers numériques : prolongation des postes", 0, ""),
    ("scheme", "Pass numérique : nouvelle campagne de chèques", 30, ""),
    ("other", "Nouvelle version du site de la CAF : ce qui change", 0, ""),
    ("other", "La médiathèque de Fougères recrute un médiateur", 25, ""),
]


# each example of a topic is a title and a short paragraph, as the network writes them
_EXAMPLE_TEXTS = [
    "Testé l'an dernier à Vitré : une vingtaine de personnes sont venues poser leurs questions en passant.",
    "Ce qui a compté : des horaires lisibles, un lieu connu de tous, et quelqu'un pour accueillir.",
    "À adapter selon les communes : certaines préfèrent un créneau le samedi matin.",
]
for _topic in TOPICS:
    _topic["exemplier"] = [
        {"title": title, "text": _EXAMPLE_TEXTS[number % len(_EXAMPLE_TEXTS)]}
        for number, title in enumerate(_topic["exemplier"])
    ]


def long_template() -> MeetingTemplate:
    """A whole day's meeting: every activity, with the options a real workshop gives them."""
    today = date.today()
    news = []
    for index, (kind, title, days, when) in enumerate(_NEWS_TITLES):
        item: dict[str, Any] = {
            "type": kind,
            "title": title,
            "description": _sentence(random.Random(index), long=index % 3 == 0)[:400],
            "link": f"https://www.exemple-reseau.fr/actualites/{index + 1}",
        }
        if days:
            item["deadline"] = (today + timedelta(days=days)).isoformat()
        if when:
            item["date"] = when
        news.append(item)
    steps = (
        StepTemplate(
            "checkin",
            "Accueil",
            "Bienvenue ! Présentez-vous : votre nom, votre structure, votre territoire.",
            {
                "host": "Médiathèque de Vitré",
                "presentation": "Espace public numérique, ateliers seniors le mardi, permanence CAF le jeudi.",
                "skills": SKILLS,
            },
        ),
        StepTemplate("news", "Point d'actualité", "Une nouvelle à partager ? Proposez-la.", {"items": news}),
        StepTemplate(
            "needs", "Recensement des besoins", "De quoi avez-vous besoin ? Votez pour les besoins des autres.", {}
        ),
        StepTemplate(
            "topics",
            "Nos projets possibles",
            "Pour chaque projet, ajoutez une idée, une ressource, une envie ou une inquiétude.",
            {"topics": TOPICS},
        ),
        StepTemplate(
            "tools",
            "Nos outils",
            "Un outil que vous utilisez et recommandez : présentez-le en quelques mots.",
            {
                "exemplier": [
                    {
                        "name": "Pix",
                        "purpose": "Évaluer et développer ses compétences numériques",
                        "link": "https://pix.fr",
                        "cost": "Gratuit",
                        "users": "Conseillers numériques, publics en formation",
                    }
                ]
            },
        ),
        StepTemplate("practice", "Partage de pratiques", "Une animation qui a marché chez vous ?", {}),
        StepTemplate(
            "speaker",
            "Intervenante : la CNIL",
            "Vos questions à l'intervenante.",
            {"speaker": "Mme Durand, CNIL", "theme": "Données personnelles au guichet"},
        ),
        StepTemplate(
            "board", "Mur d'idées", "Une idée pour la suite ?", {"exemplier": ["Se retrouver dans un tiers-lieu"]}
        ),
        StepTemplate("roadmap", "Feuille de route", "Proposez, puis signez.", {}),
        StepTemplate(
            "poll",
            "Évaluation",
            "Votre avis sur la journée.",
            {
                "questions": [
                    {"type": "rating", "text": "Cette rencontre vous a-t-elle été utile ?", "scale": 5},
                    {
                        "type": "multiple",
                        "text": "Je veux contribuer à…",
                        "choices": [t["title"] for t in TOPICS],
                    },
                    {"type": "words", "text": "En un mot ?"},
                    {"type": "open", "text": "Une remarque pour la prochaine fois ?"},
                ]
            },
        ),
        StepTemplate(
            "diagnosis",
            "Diagnostic du territoire",
            "Qui ? Quoi ? Où ? Comment ? Pour qui ? Pour quoi ? Et ce qui manque.",
            {"communes": ["Vitré", "Châteaugiron", "La Guerche-de-Bretagne", "Janzé", "Fougères"]},
        ),
    )
    return MeetingTemplate(
        "atelier-long",
        ROOT / "sessions" / "atelier-long.toml",
        "Rencontre du réseau numérique d'Ille-et-Vilaine",
        "Une journée entière, avec tout le contenu d'un vrai atelier.",
        "fr",
        steps,
    )


def _sentence(rng: random.Random, *, long: bool) -> str:
    text = f"{rng.choice(_OPENINGS)} {rng.choice(_MIDDLES)}."
    if long:
        text += rng.choice(_ENDINGS) + rng.choice(_ENDINGS)
    return text


def _fit(text: str, limit: int) -> str:
    """The text cut at a word boundary to fit `limit` characters, ending with a full stop."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def text_for(rng: random.Random, number: int, limit: int = 480) -> str:
    """A contribution: mostly one or two sentences, one in four a long paragraph, one in seven short."""
    if number % 7 == 3:
        return rng.choice(_SHORT)
    return _fit(_sentence(rng, long=number % 4 == 1), limit)


def contribution(step: Step, rng: random.Random, number: int, person: tuple[str, str, str]) -> dict[str, Any]:
    """What the `number`-th person sends to this step, as a phone would."""
    activity = activity_for(step)
    kind = step.activity
    name, structure, territory = person
    if kind == "checkin":
        offers = rng.sample(SKILLS, 2)
        return {"name": name, "structure": structure, "territory": territory, "offers": offers, "seeks": []}
    if kind == "news":
        return {
            "type": rng.choice(["event", "study", "other"]),
            "title": _fit(rng.choice(_MIDDLES).capitalize(), 190),
            "description": text_for(rng, number, 400),
        }
    if kind == "tools":
        tools = ["Pix", "Aidants Connect", "Le Bon Coin des démarches", "Ordi 3.0", "Tactiléo", "Framasoft", "Jitsi"]
        return {
            "name": f"{rng.choice(tools)} ({structure})",
            "purpose": text_for(rng, number, 450),
            "link": "https://www.exemple-outil.fr",
            "cost": rng.choice(["Gratuit", "Licence libre", "Abonnement de 5 € par mois"]),
            "users": rng.choice(["Seniors", "Demandeurs d'emploi", "Familles", "Tout public"]),
        }
    if kind == "practice":
        return {"title": _fit(rng.choice(_MIDDLES).capitalize(), 140), "what": text_for(rng, number, 450)}
    if kind == "topics":
        return {"topic": number % len(activity.topics), "text": text_for(rng, number, 480)}
    if kind == "roadmap":
        return {
            "kind": "item",
            "section": activity.chosen[number % len(activity.chosen)],
            "text": text_for(rng, number, 480),
        }
    if kind == "diagnosis":
        questions = ["who", "what", "where", "how", "for_whom", "what_for", "gap"]
        return {
            "question": questions[number % len(questions)],
            "text": text_for(rng, number, 280),
            "commune": rng.choice(["Vitré", "Janzé", "Fougères"]),
            "service": "",
            "public": "",
        }
    if kind == "poll":
        return {
            "q0": str(rng.randint(2, 5)),
            "q1": [str(i) for i in sorted(rng.sample(range(len(TOPICS)), rng.randint(1, 3)))],
            "q2": rng.choice(["Convivial", "convivial", "Très utile", "Trop court", "Riche, dense", "Inspirant"]),
            "q3": text_for(rng, number, 290),
        }
    if kind in ("needs", "speaker"):
        return {"text": text_for(rng, number, 290)}
    return {"text": text_for(rng, number, 480)}


def create_long_meeting(db: Session, title: str | None = None) -> Meeting:
    """A prepared meeting from long_template()."""
    return lifecycle.create_meeting(db, long_template(), title=title)


def fill_meeting(db: Session, meeting: Meeting, count: int = CONTRIBUTIONS, seed: int = 18) -> list[Participant]:
    """Start the meeting if needed, then give every step `count` contributions (a few people send
    two), votes on the needs and questions, the news proposals accepted, and leave the meeting on
    its first step. Needs an app context (check-in reads the app's limits). Returns the people."""
    rng = random.Random(seed)
    if meeting.status == "prepared":
        lifecycle.start(db, meeting)
    people = [lifecycle.join(db, meeting, name, structure, territory) for name, structure, territory in PEOPLE]
    for step in meeting.steps:
        lifecycle.go_to_step(db, meeting, step.id)
        activity = activity_for(step)
        sent = []
        for number in range(count):
            person_index = number % len(people)
            if activity.one_per_participant and number >= len(people):
                break
            person = people[person_index]
            data = contribution(step, rng, number, PEOPLE[person_index])
            outcome = lifecycle.contribute(db, meeting, person, step.id, f"long-{step.id}-{number}", data)
            sent.append(outcome.contribution)
        if activity.votable:
            for voter in people[:20]:
                for target in rng.sample(sent, 3):
                    votes.set_vote(db, meeting, voter, target.id, True)
        if step.activity == "news":
            for proposal in sent[:6]:
                lifecycle.act(db, meeting, "accept", {"id": proposal.id})
        if step.activity == "roadmap":
            for person in people[:12]:
                lifecycle.contribute(db, meeting, person, step.id, f"sign-{person.id}", {"kind": "signature"})
    lifecycle.go_to_step(db, meeting, meeting.steps[0].id)
    return people


def on_server(server: Any, work: Callable[[Session], T]) -> T:
    """Run `work` on a running `kit serve`'s database, as tests/server.py's new_meeting does
    (a view connected meanwhile sees it at its next state: open the pages after)."""
    config = {"INSTANCE_PATH": str(server.instance), "PUBLIC_URL": server.url, "ASYNC_MODE": "threading"}
    if "KIT_DATABASE_URL" in server.env:
        config["DATABASE_URL"] = server.env["KIT_DATABASE_URL"]
    app = create_app(config)
    try:
        with app.app_context(), app.test_request_context():
            return work(get_session())
    finally:
        app.extensions["kit.engine"].dispose()

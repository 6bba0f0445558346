"""The national standard of digital-mediation places (*schéma de données des lieux de médiation
numérique*, La MedNum / ANCT, version 1.0.2): its columns and their constraints, as kit checks them.

The constants below copy the schema's own constraints (required fields, patterns, lists of values);
``tests/test_places.py`` compares them with the schema file kept in ``tests/fixtures/`` so they
cannot drift apart. Every list is a pattern there that accepts several values joined by "|"; kit
also reads the spellings of the 0.x versions and ";" between values, and writes the v1 form (see
:data:`SPELLINGS`). The kinds of structure follow the national cartography's list, kept as data in
``typologies.json`` with its source and date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

#: every column of the standard, in the schema's order
FIELDS: Final = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)

#: v1.0.1 made `services` optional
REQUIRED: Final = frozenset({"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"})

#: the schema's patterns
PATTERNS: Final = {
    "pivot": r"^[a-zA-Z0-9]{9,14}$",
    "code_postal": r"^\d{5}$",
    "code_insee": r"^([013-9]\d|2[AB1-9])\d{3}$",
    "telephone": r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$",
}
#: a SIRET (14 digits), a SIREN (9), an RNA number (W + 9) or a RIDET: 9 to 14 letters or digits
PIVOT: Final = re.compile(PATTERNS["pivot"])

MAX_LENGTH: Final = {"presentation_resume": 280}

SERVICES: Final = (
    "Aide aux démarches administratives",
    "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique",
    "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique",
    "Loisirs et créations numériques",
    "Compréhension du monde numérique",
    "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)
PUBLICS: Final = ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes")

#: the fields whose values come from a list the schema gives
ENUMS: Final[dict[str, tuple[str, ...]]] = {
    "itinerance": ("Itinérant", "Fixe"),
    "services": SERVICES,
    "publics_specifiquement_adresses": PUBLICS,
    "prise_en_charge_specifique": (
        "Surdité",
        "Handicaps moteurs",
        "Handicaps mentaux",
        "Illettrisme",
        "Langues étrangères (anglais)",
        "Langues étrangères (autres)",
        "Déficience visuelle",
    ),
    "frais_a_charge": ("Gratuit", "Gratuit sous condition", "Payant"),
    "dispositif_programmes_nationaux": (
        "Aidants Connect",
        "Bibliothèques numérique de référence",
        "Certification PIX",
        "Conseillers numériques",
        "Emmaüs Connect",
        "France Services",
        "Grande école du numérique",
        "La Croix Rouge",
        "Point d'accès numérique CAF",
        "Promeneurs du net",
        "Relais numérique (Emmaüs Connect)",
    ),
    "formations_labels": (
        "Formé à « Mon Espace Santé »",
        "Formé à « DUPLEX » (illettrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Étapes numériques(La Poste)",
        "Fabriques de Territoire",
        "Les Éclaireurs du numérique (Drôme)",
        "Mes Papiers (Métropole de Lyon)",
        "ORDI 3.0",
        "SUD LABS (PACA)",
    ),
    "modalites_acces": (
        "Se présenter",
        "Téléphoner",
        "Contacter par mail",
        "Prendre un RDV en ligne",
        "Ce lieu n'accueille pas de public",
        "Envoyer un mail avec une fiche de prescription",
    ),
    "modalites_accompagnement": (
        "En autonomie",
        "Accompagnement individuel",
        "Dans un atelier collectif",
        "À distance",
    ),
}

#: the national cartography's kinds of structure (typologie), with their source and date
TYPOLOGY_SOURCE: Final[dict[str, object]] = json.loads(
    (Path(__file__).with_name("typologies.json")).read_text(encoding="utf-8")
)
#: code → label, in the cartography's order ("Autre" is written so, the other codes in capitals)
TYPOLOGY_LABELS: Final[dict[str, str]] = {
    kind["code"]: kind["label"]
    for kind in TYPOLOGY_SOURCE["kinds"]  # type: ignore[attr-defined]
}
TYPOLOGIES: Final = frozenset(TYPOLOGY_LABELS)
#: codes met in files and pre-release lists that mean one of the cartography's codes
TYPOLOGY_SPELLINGS: Final = {"PE": "FT", "POLE_EMPLOI": "FT", "COMMUNE": "MUNI", "MAIRIE": "MUNI"}
_TYPOLOGY_FOLDED: Final = {code.casefold(): code for code in TYPOLOGIES} | {
    old.casefold(): new for old, new in TYPOLOGY_SPELLINGS.items()
}


def match_typology(value: str) -> str | None:
    """The cartography's code that `value` stands for ("autre" → "Autre", "PE" → "FT"), or None."""
    return _TYPOLOGY_FOLDED.get(value.strip().replace(" ", "_").casefold())


#: the fields that hold several values, separated by "|" when kit writes them
LIST_FIELDS: Final = frozenset({*ENUMS, "typologie", "courriels", "site_web"})
SEPARATOR: Final = "|"

#: columns spelled otherwise in files met in the field (the standard's own example among them)
COLUMN_SPELLINGS: Final = {"modalite_acces": "modalites_acces", "modalites_d_acces": "modalites_acces"}

#: values spelled otherwise by the standard's own example or earlier versions → the schema's value
SPELLINGS: Final = {
    "Illetrisme": "Illettrisme",
    "Formé à « DUPLEX » (illetrisme)": "Formé à « DUPLEX » (illettrisme)",
    "Etapes numériques (La Poste)": "Étapes numériques(La Poste)",
    "Étapes numériques (La Poste)": "Étapes numériques(La Poste)",
    "Comprehension du monde numérique": "Compréhension du monde numérique",
}

_SPELLINGS_FOLDED: Final = {old.casefold(): new for old, new in SPELLINGS.items()}

NUMBERS: Final = frozenset({"latitude", "longitude"})
RANGES: Final = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}


def match_value(field: str, value: str) -> str | None:
    """The schema's value that `value` stands for in `field`, or None when none does.

    Reads the long labels of older versions ("Gratuit : Je peux accéder…" → "Gratuit"), a label
    missing its precision ("SUD LABS" → "SUD LABS (PACA)"), case, and known misspellings."""
    allowed = ENUMS[field]
    value = _SPELLINGS_FOLDED.get(value.strip().casefold(), value)
    if value in allowed:
        return value
    folded = {item.casefold(): item for item in allowed}
    for candidate in (value, value.split(" : ")[0], value.split(" (")[0]):
        found = folded.get(candidate.strip().casefold())
        if found:
            return found
    starting = [item for item in allowed if item.casefold().startswith(value.casefold() + " (")]
    return starting[0] if len(starting) == 1 else None

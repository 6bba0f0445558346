"""The national standard of digital-mediation places (*schéma de données des lieux de médiation
numérique*, La MedNum / ANCT, version 0.2.0): its columns and their constraints, as kit checks them.

The constants below copy the schema's own constraints (required fields, patterns, lists of values);
``tests/test_places.py`` compares them with the schema file kept in ``tests/fixtures/`` so they
cannot drift apart. Where the schema and its own example disagree, kit reads both and writes the
schema's form (see :data:`SPELLINGS` and the notes on :data:`PIVOT`).
"""

from __future__ import annotations

import re
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

REQUIRED: Final = frozenset({"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj", "services"})

#: the schema's patterns
PATTERNS: Final = {
    "pivot": r"^[a-zA-Z0-9]{9,10}$",
    "code_postal": r"^\d{5}$",
    "code_insee": r"^([013-9]\d|2[AB1-9])\d{3}$",
    "telephone": r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$",
}
#: the schema's pivot pattern takes a SIREN or an RNA number (9 or 10 characters), yet its own
#: description asks for a SIRET (14 digits) first and its example gives one: kit takes both
PIVOT: Final = re.compile(r"^(?:[a-zA-Z0-9]{9,10}|\d{14})$")

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
        "Formé à « DUPLEX » (illetrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
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

#: the kinds of structure (the schema points to data·inclusion's vocabulary, and names COMMUNE)
TYPOLOGIES: Final = frozenset(
    """ACI ACIPHC AFPA AI ASE ASSO ASSO_CHOMEUR AUTRE BIB CAARUD CADA CAF CAP_EMPLOI CAVA CC CCAS CCONS CD
    CDAS CFP CHRS CHU CIAS CIDFF CITMET CMP CMS COMMUNE CPAM CPH CS CSAPA CSC DEETS DEPT DIPLP E2C EA EATT EI
    ENM EPCI EPI EPIDE EPN ES ESAT ESS ETTI EVS FABLAB FAIS FT GEIQ HUDA LA_POSTE MDE MDEF MDPH MDS MJC ML MQ
    MSA MSAP MUNI OACAS ODC OF OIL OPCS PAD PE PENSION PIJ_BIJ PIMMS PJJ PLIE PREF PREVENTION REG RESSOURCERIE
    RFS RS_FJT SCP SPIP TIERS_LIEUX UDAF""".split()
)

#: the fields that hold several values, separated by "|" when kit writes them
LIST_FIELDS: Final = frozenset({*ENUMS, "typologie", "courriels", "site_web"})
SEPARATOR: Final = "|"

#: columns spelled otherwise in files met in the field (the standard's own example among them)
COLUMN_SPELLINGS: Final = {"modalite_acces": "modalites_acces", "modalites_d_acces": "modalites_acces"}

#: values spelled otherwise by the standard's own example or earlier versions → the schema's value
SPELLINGS: Final = {
    "Illetrisme": "Illettrisme",
    "Comprehension du monde numérique": "Compréhension du monde numérique",
}

NUMBERS: Final = frozenset({"latitude", "longitude"})
RANGES: Final = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}


def match_value(field: str, value: str) -> str | None:
    """The schema's value that `value` stands for in `field`, or None when none does.

    Reads the long labels of older versions ("Gratuit : Je peux accéder…" → "Gratuit"), a label
    missing its precision ("SUD LABS" → "SUD LABS (PACA)"), case, and known misspellings."""
    allowed = ENUMS[field]
    value = SPELLINGS.get(value, value)
    if value in allowed:
        return value
    folded = {item.casefold(): item for item in allowed}
    for candidate in (value, value.split(" : ")[0], value.split(" (")[0]):
        found = folded.get(candidate.strip().casefold())
        if found:
            return found
    starting = [item for item in allowed if item.casefold().startswith(value.casefold() + " (")]
    return starting[0] if len(starting) == 1 else None

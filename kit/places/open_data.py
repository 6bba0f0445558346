"""A network's places as open data: opted in by its coordinators, published at stable public URLs
as CSV and JSON in the national standard, under the Licence Ouverte 2.0 (etalab-2.0), with the
file name the standard recommends (``YYYY-MM-DD_idProducteur_lieux-de-mediation-numerique_territoire``),
so that the national cartography and data.gouv.fr can harvest them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from kit.core.errors import InvalidInput
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Network
from kit.places import csv_io, network_places, standard

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
}
SCHEMA = {
    "name": "LaMednum/standard-mediation-num",
    "version": "1.0.2",
    "path": "https://schema.data.gouv.fr/LaMednum/standard-mediation-num/",
}
BASE_NAME = "lieux-de-mediation-numerique"
#: a SIRET (14 digits) or an RNA number (W and 9 digits): the standard's idProducteur
PRODUCER = re.compile(r"^(?:\d{14}|W\d{9})$")


def set_open_data(db: Session, network: Network, enabled: bool, producer: object) -> None:
    """Publish the network's places as open data, or stop; the producer's number may stay empty."""
    if producer is None:
        producer = ""
    if not isinstance(producer, str):
        raise InvalidInput(_l("This field must be text."), "producer")
    compact = re.sub(r"[\s.]", "", producer).upper()
    if compact and not PRODUCER.match(compact):
        raise InvalidInput(
            _l("Expected the SIRET (14 digits) or the RNA number (W and 9 digits) of the network's structure."),
            "producer",
        )
    network.open_data = bool(enabled)
    network.open_data_producer = compact
    db.commit()


def updated(db: Session, network: Network) -> date | None:
    """When the published places last changed (the latest of their updates), None without any."""
    ready = [p for p in network_places(db, network.id) if csv_io.complete(p.data)]
    return max((p.updated_at.date() for p in ready), default=None)


def _plain(text: str) -> str:
    """A territory for a file name: no accents, no spaces ("Vitré Communauté" → "VitreCommunaute")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", ascii_text) if word)


def file_name(network: Network, day: date | None, extension: str) -> str:
    """The name the standard recommends, its parts left out when unknown."""
    parts = [
        (day or date.today()).isoformat(),
        network.open_data_producer,
        BASE_NAME,
        _plain(network.territory or network.name),
    ]
    return "_".join(p for p in parts if p) + "." + extension


def as_json(db: Session, network: Network) -> str:
    """The complete places as a JSON array of objects with the standard's fields and cells."""
    items: list[dict[str, Any]] = []
    for place in network_places(db, network.id):
        if not csv_io.complete(place.data):
            continue
        cells = dict(zip(standard.FIELDS, csv_io.as_row(place.ref, place.data), strict=True))
        item: dict[str, Any] = {}
        for name, cell in cells.items():
            if cell == "":
                continue
            item[name] = place.data[name] if name in standard.NUMBERS else cell
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)

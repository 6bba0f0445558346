"""The network's places (*lieux*) and their offer, in the national open-data standard.

A coordinator imports the places from a CSV in the standard (the national cartography's export of a
département, say), links the network's members to the places where they work, and exports the
places again as a CSV that validates against the standard's schema. Each place has an offer sheet
(who, what, for whom, where, how, how long and how often) that a member of the place keeps up to
date through a personal link. See :mod:`kit.places.standard` and :mod:`kit.places.csv_io`.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.core.errors import InvalidInput, KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Network, Place, PlaceMember, utcnow
from kit.core.validation import clean_text
from kit.places import csv_io, standard

#: what the offer sheet adds to the standard: how long a visit lasts, how often the place receives
OFFER_FIELDS = ("duration", "frequency")
OFFER_MAX = 300


def sort_key(text: object) -> str:
    """Names in dictionary order: "Étrelles" before "Vitré", whatever the accents and case."""
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()


class PlaceErrors(KitError):
    """A form or a file with wrong values: every problem, with its field and reason."""

    def __init__(self, problems: list[csv_io.Problem]) -> None:
        first = problems[0]
        super().__init__("invalid", first.message)
        self.problems = problems


def network_places(db: Session, network_id: int) -> list[Place]:
    places = db.scalars(select(Place).where(Place.network_id == network_id))
    return sorted(places, key=lambda p: (sort_key(p.data.get("commune", "")), sort_key(p.data.get("nom", ""))))


def get_place(db: Session, network: Network, place_id: object) -> Place:
    place = db.get(Place, place_id) if isinstance(place_id, int) and 0 < place_id < 2**63 else None
    if place is None or place.network_id != network.id:
        raise NotFound(_l("This place does not exist in this network."))
    return place


def by_sheet(db: Session, token: object) -> Place:
    place = db.scalar(select(Place).where(Place.sheet_token == token)) if isinstance(token, str) else None
    if place is None:
        raise NotFound(_l("This offer sheet does not exist."))
    return place


def member_by_key(db: Session, key: object) -> PlaceMember:
    member = db.scalar(select(PlaceMember).where(PlaceMember.edit_key == key)) if isinstance(key, str) else None
    if member is None:
        raise NotFound(_l("This link is not valid: ask the network's coordinator for a new one."))
    return member


# -- filters and counts -----------------------------------------------------------------------------
@dataclass
class Selection:
    places: list[Place]
    communes: list[str]
    by_service: list[tuple[str, int]]
    by_public: list[tuple[str, int]]
    chosen: dict[str, str] = field(default_factory=dict)


def select_places(places: list[Place], commune: str = "", service: str = "", public: str = "") -> Selection:
    """The places of one commune, offering one service, for one public (each filter optional);
    with the counts by service and by public of the whole list, where the offer is thin shows."""
    communes = sorted({str(p.data.get("commune") or "") for p in places} - {""}, key=sort_key)
    services = Counter(s for p in places for s in p.data.get("services") or [])
    publics = Counter(s for p in places for s in p.data.get("publics_specifiquement_adresses") or [])
    chosen = [
        p
        for p in places
        if (not commune or p.data.get("commune") == commune)
        and (not service or service in (p.data.get("services") or []))
        and (not public or public in (p.data.get("publics_specifiquement_adresses") or []))
    ]
    return Selection(
        places=chosen,
        communes=communes,
        by_service=[(s, services.get(s, 0)) for s in standard.SERVICES],
        by_public=[(s, publics.get(s, 0)) for s in standard.PUBLICS],
        chosen={"commune": commune, "service": service, "public": public},
    )


# -- import -----------------------------------------------------------------------------------------
@dataclass
class Preview:
    reading: csv_io.Reading
    added: list[csv_io.Row] = field(default_factory=list)
    updated: list[csv_io.Row] = field(default_factory=list)
    unchanged: list[csv_io.Row] = field(default_factory=list)


def preview(db: Session, network: Network, raw: bytes) -> Preview:
    """What importing the file would do: places added, updated, unchanged; rows kept out, and why."""
    reading = csv_io.read(raw)
    known = {p.ref: p for p in db.scalars(select(Place).where(Place.network_id == network.id))}
    result = Preview(reading)
    for row in reading.rows:
        place = known.get(row.ref)
        if place is None:
            result.added.append(row)
        elif {**place.data} == row.data:
            result.unchanged.append(row)
        else:
            result.updated.append(row)
    return result


def apply_import(db: Session, network: Network, raw: bytes, *, valid_only: bool = False) -> Preview:
    """Import the file's places, all or nothing: a file with errors is refused unless `valid_only`,
    which imports its valid rows (still in one transaction) and leaves the others out."""
    result = preview(db, network, raw)
    if result.reading.errors and not valid_only:
        raise KitError(
            "invalid_file",
            _l("Nothing was imported: the file has errors. Correct them, or import only the valid rows."),
        )
    if not result.reading.rows:
        raise KitError("invalid_file", _l("Nothing was imported: the file has no valid place."))
    known = {p.ref: p for p in db.scalars(select(Place).where(Place.network_id == network.id))}
    now = utcnow()
    for row in [*result.added, *result.updated]:
        place = known.get(row.ref)
        if place is None:
            db.add(Place(network_id=network.id, ref=row.ref, data=row.data, offer={}, created_at=now, updated_at=now))
        else:
            place.data = row.data
            place.updated_at = now
    db.commit()
    return result


# -- export -----------------------------------------------------------------------------------------
def export_csv(db: Session, network: Network) -> tuple[str, int]:
    """The network's complete places as a CSV in the standard, and how many were left out as incomplete."""
    places = network_places(db, network.id)
    ready = [(p.ref, p.data) for p in places if csv_io.complete(p.data)]
    return csv_io.write(ready), len(places) - len(ready)


# -- members and the offer sheet --------------------------------------------------------------------
def add_member(db: Session, place: Place, name: object) -> PlaceMember:
    """Say that a member of the network works at this place; their personal link is drawn now."""
    clean = clean_text(name, "name", 120, multiline=False)
    if any(m.name.casefold() == clean.casefold() for m in place.members):
        raise InvalidInput(_l("%(name)s is already linked to this place.", name=clean), "name")
    member = PlaceMember(name=clean, edit_key=secrets.token_urlsafe(24))
    place.members.append(member)
    db.commit()
    return member


def remove_member(db: Session, place: Place, member_id: object) -> None:
    member = next((m for m in place.members if m.id == member_id), None)
    if member is None:
        raise NotFound(_l("This member is not linked to this place."))
    place.members.remove(member)
    db.commit()


def create_place(db: Session, network: Network, nom: object, commune: object) -> Place:
    """A place known only by its name and commune (named in a meeting, say): its sheet completes it."""
    name = clean_text(nom, "nom", 200, multiline=False)
    town = clean_text(commune, "commune", 120, multiline=False, required=False)
    data: dict[str, Any] = {
        f: ([] if f in standard.LIST_FIELDS else None if f in standard.NUMBERS else "") for f in standard.FIELDS
    }
    data.pop("id")
    data.update(nom=name, commune=town, date_maj=utcnow().date().isoformat())
    place = Place(network_id=network.id, ref=f"kit-{secrets.token_hex(6)}", data=data, offer={})
    db.add(place)
    db.commit()
    return place


def update_sheet(db: Session, place: Place, form: Mapping[str, Any]) -> None:
    """Save the offer sheet as a member edited it: every wrong value refused with its reason, nothing saved.

    `form` maps the standard's columns to a text, or to a list of values for the multi-valued ones,
    and ``duration`` / ``frequency`` to texts."""
    raw: dict[str, str] = {"id": place.ref}
    for name in standard.FIELDS:
        if name == "id":
            continue
        value = form.get(name, "")
        if isinstance(value, list | tuple):
            if not all(isinstance(v, str) for v in value):
                raise InvalidInput(_l("The message was not understood. Please reload the page."), name)
            value = standard.SEPARATOR.join(value)
        if not isinstance(value, str):
            raise InvalidInput(_l("This field must be text."), name)
        raw[name] = value
    raw["date_maj"] = utcnow().date().isoformat()
    errors: list[csv_io.Problem] = []
    data = csv_io.clean_place(raw, 0, errors, [])
    offer = {}
    for name in OFFER_FIELDS:
        try:
            offer[name] = clean_text(form.get(name, ""), name, OFFER_MAX, required=False)
        except InvalidInput as error:
            errors.append(csv_io.Problem(0, name, error.message))
    # a sheet may stay incomplete (the export leaves it out until it is complete), but never wrong
    errors = [e for e in errors if e.column in (*OFFER_FIELDS, "nom", "commune") or raw.get(e.column, "").strip()]
    if errors:
        raise PlaceErrors(errors)
    place.data = data
    place.offer = offer
    place.updated_at = utcnow()
    db.commit()

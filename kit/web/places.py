"""The network's places: import and export in the national standard (the coordinator's, from the
network page), the offer sheets (anyone with a sheet's link), and their editing (a member of the
place, through a personal link)."""

from __future__ import annotations

import re
import secrets
import time
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from kit import places
from kit.core.db import get_session
from kit.core.errors import KitError
from kit.core.models import Network
from kit.meeting import preparation
from kit.network import networks
from kit.places import csv_io, hours, open_data, standard
from kit.publishing import links
from kit.web.downloads import file_response
from kit.web.facilitator import require_network

bp = Blueprint("places", __name__)

_UPLOAD_NAME = re.compile(r"[A-Za-z0-9_-]{20,40}")


def _admin_network(network_id: int) -> Network:
    """The network, for its coordinators (on a laptop: the admin link's holder)."""
    require_network(network_id)
    return networks.get_network(get_session(), network_id)


def _posted() -> None:
    if not links.same_origin():
        abort(403)


def _imports() -> Path:
    """Where a previewed file waits for its confirmation; files left there over a day are removed."""
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    stale = time.time() - 86_400
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    return folder


def _back(network: Network, **args: Any) -> ResponseReturnValue:
    return redirect(url_for("facilitator.network", network_id=network.id, **args) + "#places", code=303)


@bp.post("/networks/<int:network_id>/places/import")
def import_preview(network_id: int) -> ResponseReturnValue:
    """A CSV in the standard: what importing it would do, row by row, before anything is stored."""
    network = _admin_network(network_id)
    _posted()
    upload = request.files.get("file")
    raw = upload.read(csv_io.MAX_BYTES + 1) if upload else b""
    if not raw:
        return _back(network, places_error=_("Choose a CSV file to import."))
    name = secrets.token_urlsafe(18)
    (_imports() / f"{name}.csv").write_bytes(raw)
    preview = places.preview(get_session(), network, raw)
    return render_template("places/import.html", network=network, preview=preview, upload=name)


@bp.post("/networks/<int:network_id>/places/import/confirm")
def import_confirm(network_id: int) -> ResponseReturnValue:
    """Import the previewed file: all of it, or on request only its valid rows; one transaction."""
    network = _admin_network(network_id)
    _posted()
    name = request.form.get("upload", "")
    path = _imports() / f"{name}.csv"
    if not _UPLOAD_NAME.fullmatch(name) or not path.is_file():
        return _back(network, places_error=_("This import has expired: choose the file again."))
    db = get_session()
    try:
        result = places.apply_import(db, network, path.read_bytes(), valid_only=request.form.get("valid_only") == "yes")
    except KitError as error:
        db.rollback()
        return render_template(
            "places/import.html",
            network=network,
            preview=places.preview(db, network, path.read_bytes()),
            upload=name,
            error=str(error.message),
        ), 400
    path.unlink(missing_ok=True)
    done = _(
        "Imported: %(added)d places added, %(updated)d updated, %(unchanged)d unchanged.",
        added=len(result.added),
        updated=len(result.updated),
        unchanged=len(result.unchanged),
    )
    return _back(network, places_notice=done)


@bp.get("/networks/<int:network_id>/places.csv")
def export(network_id: int) -> Response:
    """The network's complete places as a CSV in the national standard (open data)."""
    network = _admin_network(network_id)
    body, _left_out = places.export_csv(get_session(), network)
    name = preparation.template_name(network.name)
    return file_response(body, "text/csv; charset=utf-8", f"{name}-lieux.csv", attachment=True)


@bp.post("/networks/<int:network_id>/places")
def create(network_id: int) -> ResponseReturnValue:
    """A place known by its name and commune; its offer sheet completes it."""
    network = _admin_network(network_id)
    _posted()
    db = get_session()
    try:
        places.create_place(db, network, request.form.get("nom"), request.form.get("commune"))
    except KitError as error:
        db.rollback()
        return _back(network, places_error=str(error.message))
    return _back(network)


@bp.post("/networks/<int:network_id>/places/<int:place_id>/members")
def add_member(network_id: int, place_id: int) -> ResponseReturnValue:
    """Link a member of the network to the place where they work: their personal link is drawn."""
    network = _admin_network(network_id)
    _posted()
    db = get_session()
    try:
        places.add_member(db, places.get_place(db, network, place_id), request.form.get("name"))
    except KitError as error:
        db.rollback()
        return _back(network, places_error=str(error.message))
    return _back(network)


@bp.post("/networks/<int:network_id>/places/<int:place_id>/members/<int:member_id>/remove")
def remove_member(network_id: int, place_id: int, member_id: int) -> ResponseReturnValue:
    network = _admin_network(network_id)
    _posted()
    db = get_session()
    places.remove_member(db, places.get_place(db, network, place_id), member_id)
    return _back(network)


@bp.post("/networks/<int:network_id>/places/open-data")
def open_data_setting(network_id: int) -> ResponseReturnValue:
    """Publish the network's places as open data (public URLs, Licence Ouverte 2.0), or stop."""
    network = _admin_network(network_id)
    _posted()
    db = get_session()
    enabled = request.form.get("open_data") == "yes"
    try:
        open_data.set_open_data(db, network, enabled, request.form.get("producer", ""))
    except KitError as error:
        db.rollback()
        return _back(network, places_error=str(error.message))
    done = _("The places are published as open data.") if enabled else _("The places are no longer published.")
    return _back(network, places_notice=done)


# -- open data: public, for the networks that chose it ----------------------------------------------
def _published(network_id: int) -> Network:
    """A network whose places are open data; any other answers 404, as if it did not exist."""
    network = get_session().get(Network, network_id)
    if network is None or not network.open_data:
        abort(404)
    return network


def _download(body: str, content_type: str, name: str) -> Response:
    response = file_response(body, content_type, name)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Licence"] = open_data.LICENCE["name"]
    return response


@bp.get("/open-data/<int:network_id>/")
def open_data_page(network_id: int) -> str:
    """The data set's page: title, description, licence, update date and links (for data.gouv.fr)."""
    network = _published(network_id)
    db = get_session()
    day = open_data.updated(db, network)
    _body, left_out = places.export_csv(db, network)
    return render_template(
        "places/open_data.html",
        network=network,
        updated=day,
        count=len(places.network_places(db, network.id)) - left_out,
        csv_name=open_data.file_name(network, day, "csv"),
        json_name=open_data.file_name(network, day, "json"),
        licence=open_data.LICENCE,
        schema=open_data.SCHEMA,
        links=links,
    )


@bp.get(f"/open-data/<int:network_id>/{open_data.BASE_NAME}.csv")
def open_data_csv(network_id: int) -> Response:
    """The network's complete places as a CSV in the standard, at a stable public URL."""
    network = _published(network_id)
    db = get_session()
    body, _left_out = places.export_csv(db, network)
    name = open_data.file_name(network, open_data.updated(db, network), "csv")
    return _download(body, "text/csv; charset=utf-8", name)


@bp.get(f"/open-data/<int:network_id>/{open_data.BASE_NAME}.json")
def open_data_json(network_id: int) -> Response:
    """The same places as JSON (the standard's fields and values), at a stable public URL."""
    network = _published(network_id)
    db = get_session()
    name = open_data.file_name(network, open_data.updated(db, network), "json")
    return _download(open_data.as_json(db, network), "application/json; charset=utf-8", name)


# -- the offer sheet --------------------------------------------------------------------------------
@bp.get("/offer/<token>")
def sheet(token: str) -> str:
    """A place's offer sheet: who, what, for whom, where, how, how long and how often. Printable."""
    place = places.by_sheet(get_session(), token)
    return render_template("places/sheet.html", place=place, data=place.data, offer=place.offer, standard=standard)


@bp.route("/offer/edit/<key>", methods=["GET", "POST"])
def edit_sheet(key: str) -> ResponseReturnValue:
    """A member of the place corrects its offer sheet through their personal link."""
    db = get_session()
    member = places.member_by_key(db, key)
    place = member.place
    problems: list[csv_io.Problem] = []
    form: dict[str, Any] = {}
    if request.method == "POST":
        _posted()
        form = {name: request.form.get(name, "") for name in standard.FIELDS if name != "id"}
        for name in standard.ENUMS:
            form[name] = request.form.getlist(name)
        for name in places.OFFER_FIELDS:
            form[name] = request.form.get(name, "")
        try:
            written = hours.from_timetable(request.form)  # the weekly timetable, when filled, writes the hours
            if written:
                form["horaires"] = written
            places.update_sheet(db, place, form)
            return redirect(url_for("places.edit_sheet", key=key, saved=1), code=303)
        except places.PlaceErrors as failure:
            db.rollback()
            problems = failure.problems
        except KitError as failure:
            db.rollback()
            problems = [csv_io.Problem(0, getattr(failure, "field", "") or "", failure.message)]
    shown = dict(place.data)
    shown.update(duration=place.offer.get("duration", ""), frequency=place.offer.get("frequency", ""))
    if form:
        shown.update(form)
    return render_template(
        "places/edit.html",
        place=place,
        member=member,
        values=shown,
        week=_posted_week() if form else hours.timetable(str(shown.get("horaires") or "")),
        days=hours.DAY_NAMES,
        spans=hours.SPANS,
        problems={p.column: str(p.message) for p in problems},
        standard=standard,
        saved=request.args.get("saved"),
        key=key,
    ), (400 if problems else 200)


def _posted_week() -> dict[str, list[tuple[str, str]]]:
    """The weekly timetable as it was sent, to show it again beside what was wrong."""
    return {
        day: [
            (request.form.get(f"hours-{day}-{n}-from", "")[:5], request.form.get(f"hours-{day}-{n}-to", "")[:5])
            for n in hours.SPANS
        ]
        for day in hours.DAYS
    }


@bp.app_template_global("place_complete")
def place_complete(place: Any) -> bool:
    return csv_io.complete(place.data)


@bp.app_template_filter("iso_date")
def iso_date(value: Any) -> date | None:
    """A date kept as ISO text (the standard's date_maj), for the date filters."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@bp.app_template_filter("opening_hours")
def opening_hours(value: Any) -> tuple[str, ...]:
    """Opening hours in the OSM syntax as sentences in the page's language, () when not tellable."""
    return hours.describe(str(value or ""), str(get_locale() or "fr"))

"""The publishing API of a public kit: a laptop's kit sends it a network's published meetings
(docs/publishing.md). Answers are JSON, refusals carry a stable code and a French message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from kit.core.db import get_session
from kit.core.errors import InvalidInput, KitError
from kit.core.models import utcnow
from kit.network import keys
from kit.publishing import links, received
from kit.publishing.public_kit import FORMAT

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _refuse(status: int, code: str, message: str, **more: Any) -> tuple[Response, int]:
    return jsonify({"ok": False, "error": {"code": code, "message": message, **more}}), status


@bp.post("/meetings")
def receive_meeting() -> Any:
    """One published meeting from a laptop's kit, created or updated; answers its public address."""
    db = get_session()
    authorization = request.headers.get("Authorization", "")
    key = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
    try:
        network, used = keys.network_of_key(db, key)
    except keys.KeyRefused as error:
        return _refuse(error.status, error.code, str(error.message))
    request.max_content_length = int(current_app.config["PUBLISH_MAX_BYTES"])
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = int(current_app.config["PUBLISH_MAX_BYTES"]) // (1024 * 1024)
        return _refuse(413, "too_big", _("This meeting is too big: %(max)d MB at most.", max=limit))
    except HTTPException:
        # the request was cut before its end: nothing was stored
        return _refuse(400, "incomplete", _("The meeting did not arrive whole: send it again."))
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refuse(400, "not_json", _("What was sent is not a kit meeting (JSON expected)."))
    try:
        meeting, created = received.receive(db, network, payload, Path(current_app.instance_path) / "uploads")
    except InvalidInput as error:
        db.rollback()
        return _refuse(422, error.code, str(error.message), field=error.field)
    except KitError as error:
        db.rollback()
        return _refuse(error.status, error.code, str(error.message))
    used.last_used_at = utcnow()
    db.commit()
    answer = {
        "ok": True,
        "format": FORMAT,
        "url": links.minutes_url(meeting),
        "created": created,
        "updated_at": (meeting.minutes_updated_at or utcnow()).isoformat(),
    }
    return jsonify(answer), 201 if created else 200

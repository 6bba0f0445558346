"""Sending a meeting's published minutes to the network's public kit (a kit on a public server), so
that absentees can open them once the laptop is closed. The other side is kit.publishing.received;
docs/publishing.md describes the exchange.

One meeting is one request: the minutes, what the public pages need (their JSON twin, the calendar's
dates, the venue photo inline) and nothing else — no phone token, no email, nothing the minutes'
JSON does not show. The public kit stores it in one transaction and names it by this installation's
uid and the meeting's id, so a second send updates the same meeting, and a send cut in the middle
leaves nothing there and is simply sent again. Edits and withdrawals change `minutes_updated_at`:
the meeting then needs sending again (`needs_sending`), which happens on its own when the network
has a public kit.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.core import queries
from kit.core.db import get_session
from kit.core.errors import InvalidInput
from kit.core.extensions import server_context, socketio
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Network, Status, utcnow
from kit.core.validation import secure_address
from kit.publishing import calendar, standalone, webhook
from kit.publishing.minutes import as_data

log = logging.getLogger(__name__)

#: the version of the exchange this kit speaks; a public kit refuses a newer one (409)
FORMAT = 1
#: where a public kit receives meetings, under its address
ENDPOINT = "/api/v1/meetings"

#: how the sending reaches the facilitator: the meeting, whether it went well, a sentence to read
Report = Callable[[Meeting, bool, str], None]

# one sender per meeting in this process
_running: set[int] = set()
_running_lock = threading.Lock()


# -- the network's public kit, as the facilitator typed it ----------------------------------------
def clean_address(text: object) -> str:
    """The public kit's address as typed: https://… (http:// only for this machine, to try it out)."""
    return secure_address(
        text,
        "publish_url",
        wrong=_l("Write the public kit's address, such as https://kit.example.fr"),
        insecure=_l("The public kit's address must start with https:// so the key travels safely."),
    )


def set_target(db: Session, network: Network, address: object, key: object) -> None:
    """The network's public kit and its key; an empty key keeps the one already given."""
    network.publish_url = clean_address(address)
    if isinstance(key, str) and key.strip():
        key = key.strip()
        if len(key) > 200 or any(c.isspace() for c in key):
            raise InvalidInput(_l("This key is not valid: copy it again from the public kit's network page."), "key")
        network.publish_key = key
    if not network.publish_url:
        network.publish_key = ""
    db.commit()


def is_set_up(network: Network | None) -> bool:
    return network is not None and bool(network.publish_url) and bool(network.publish_key)


def server_name(network: Network | None) -> str:
    """The public kit's host, as the console's button names it."""
    return (urlsplit(network.publish_url).hostname or "") if network is not None else ""


def needs_sending(meeting: Meeting) -> bool:
    """Published minutes the public kit does not hold as they are now (never sent, or changed since)."""
    if meeting.state is not Status.PUBLISHED:
        return False
    if meeting.public_url is None or meeting.public_sent_at is None:
        return True
    changed = meeting.minutes_updated_at
    return changed is not None and changed > meeting.public_sent_at


def is_sending(meeting: Meeting) -> bool:
    return meeting.id in _running


# -- what is sent -----------------------------------------------------------------------------------
def payload(db: Session, meeting: Meeting, uploads_folder: Path) -> dict[str, Any]:
    """The meeting as the public kit receives it: what its public pages show, nothing more.

    Needs a request context (the calendar names the minutes' address)."""
    photo = standalone.venue_photo(meeting, uploads_folder)
    return {
        "format": FORMAT,
        "meeting": {
            "uid": queries.installation_uid(db),
            "id": meeting.id,
            "title": meeting.title,
            "date": meeting.meeting_date.isoformat() if meeting.meeting_date else None,
            "place": meeting.place,
            "host": meeting.host,
            "language": meeting.language,
            "started_at": meeting.started_at.isoformat() if meeting.started_at else None,
            "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
        },
        "minutes_md": meeting.minutes_md or "",
        "minutes": as_data(db, meeting),
        "events": [_event(event) for event in calendar.dated_events(db, meeting)],
        "photo": {"data": base64.b64encode(photo.data).decode("ascii")} if photo is not None else None,
    }


def _event(event: Any) -> dict[str, str]:
    day = event.decoded("dtstart")
    return {
        "uid": str(event.get("uid")),
        "date": day.isoformat() if isinstance(day, date) else str(day),
        "summary": str(event.get("summary", "")),
        "description": str(event.get("description", "")),
        "location": str(event.get("location", "")),
    }


# -- sending it -------------------------------------------------------------------------------------
class SendError(Exception):
    """The public kit did not take the meeting. `kind`: key, format, refused, too_big, server,
    timeout, connection, tls; `temporary` when trying again later may work."""

    def __init__(self, kind: str, detail: str, *, temporary: bool = False, message: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.temporary = temporary
        # the public kit's own sentence, when it gave one
        self.message = message


def _context(ca_file: str | None) -> ssl.SSLContext:
    # the system's authorities, and one more when the public kit has a private one (and in the tests)
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def post(address: str, key: str, body: bytes, *, ca_file: str | None = None, timeout: float = 20) -> str:
    """Send one meeting; return the public address of its minutes, or raise SendError."""
    request = urllib.request.Request(
        clean_address(address) + ENDPOINT,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": "fr",
            "User-Agent": "kit",
        },
    )
    context = _context(ca_file) if address.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 - checked
            answer = json.loads(response.read(100_000) or b"{}")
    except urllib.error.HTTPError as error:
        raise _refusal(error) from None
    except TimeoutError as error:
        raise SendError("timeout", str(error) or "timed out", temporary=True) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise SendError("tls", str(reason)) from None
        if isinstance(reason, TimeoutError):
            raise SendError("timeout", str(reason), temporary=True) from None
        raise SendError("connection", str(reason), temporary=True) from None
    except (OSError, ValueError) as error:
        # the connection dropped mid-answer (RemoteDisconnected, a cut TLS stream), or an answer that is not JSON
        raise SendError("connection", f"{type(error).__name__}: {error}", temporary=True) from None
    url = answer.get("url") if isinstance(answer, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
        raise SendError("server", "the public kit gave no address", temporary=True)
    return url


def _refusal(error: urllib.error.HTTPError) -> SendError:
    try:
        answer = json.loads(error.read(100_000) or b"{}")
        problem = answer.get("error") or {}
        code, message = str(problem.get("code", "")), str(problem.get("message", ""))
    except (OSError, ValueError, AttributeError):
        code, message = "", ""
    detail = f"HTTP {error.code}" + (f" {code}" if code else "")
    status = error.code
    if status in (401, 403):
        return SendError("key", detail, message=message)
    if status == 409 and code == "newer_format":
        return SendError("format", detail, message=message)
    if status == 413:
        return SendError("too_big", detail, message=message)
    if status == 429 or status >= 500:
        return SendError("server", detail, temporary=True, message=message)
    return SendError("refused", detail, message=message)


def explain(error: SendError, server: str, retry_in: float | None) -> str:
    """What the console says of a failed send, in the current locale."""
    later = _("kit tries again in %(seconds)d s.", seconds=int(retry_in)) if retry_in is not None else ""
    if error.kind == "key":
        text = _(
            "%(server)s refused the publishing key: it was revoked or mistyped. Ask for a new key and enter it on"
            " the network's page.",
            server=server,
        )
    elif error.kind == "format":
        text = _("%(server)s runs an older kit that cannot read this meeting yet: it must be updated.", server=server)
    elif error.kind == "too_big":
        text = _("%(server)s refused the meeting: it is too big (the venue photo?).", server=server)
    elif error.kind == "refused":
        text = _("%(server)s refused the meeting: %(detail)s", server=server, detail=error.message or error.detail)
    elif error.kind == "tls":
        text = _("The certificate of %(server)s cannot be trusted: nothing was sent.", server=server)
    elif error.kind == "timeout":
        text = _("%(server)s did not answer in time.", server=server)
    elif error.kind == "connection":
        text = _("No connection to %(server)s: the minutes wait and leave when it is back.", server=server)
    else:
        text = _("%(server)s had a problem (%(detail)s).", server=server, detail=error.detail)
    return f"{text} {later}".strip()


def send_if_needed(app: Flask, meeting: Meeting, report: Report) -> bool:
    """Send the meeting's minutes in the background when the network has a public kit and it does not
    hold them as they are; False when there is nothing to do (or this process already sends them)."""
    if not is_set_up(meeting.network) or not needs_sending(meeting):
        return False
    return start(app, meeting, report)


def send_network_if_needed(app: Flask, meeting: Meeting, report: Report) -> None:
    """After a withdrawal: it may have changed the minutes of any of the network's meetings (a need
    carried from one to the next), so each one the public kit holds as it was goes again."""
    for each in meeting.network.meetings if meeting.network is not None else [meeting]:
        send_if_needed(app, each, report)


def start(app: Flask, meeting: Meeting, report: Report) -> bool:
    """Send now, in the background (the console's button)."""
    with _running_lock:
        if meeting.id in _running:
            return False
        _running.add(meeting.id)
    socketio.start_background_task(_send_until_done, app, meeting.id, report)
    return True


def _send_until_done(app: Flask, meeting_id: int, report: Report) -> None:
    last: tuple[bool, str] | None = None
    try:
        with app.app_context():
            last = _tries(app, meeting_id, report)
    except Exception:  # the sender must never take the server down
        log.exception("sending meeting %s to the public kit failed", meeting_id)
    finally:
        with _running_lock:
            _running.discard(meeting_id)
    if last is None:
        return
    if last[0]:
        # an edit that came after the last look, while this sender still held the meeting, found it
        # busy and did not start one: send again rather than leave the public copy behind
        with app.app_context():
            meeting = get_session().get(Meeting, meeting_id)
            if meeting is not None and needs_sending(meeting):
                start(app, meeting, report)
                return
    # said once the sending is over, so the console draws its button again with the outcome
    try:
        with app.app_context():
            meeting = get_session().get(Meeting, meeting_id)
            if meeting is not None:
                report(meeting, *last)
                if last[0] and meeting.public_url and _announce.pop(meeting_id, False):
                    # the chat hears of the minutes once there is an address everyone can open
                    webhook.announce_published(app, meeting, report)
    except Exception:
        log.exception("reporting the end of sending meeting %s failed", meeting_id)


# meetings whose first send succeeded, until the chat heard of them
_announce: dict[int, bool] = {}


def _tries(app: Flask, meeting_id: int, report: Report) -> tuple[bool, str] | None:
    """Send until the public kit holds the minutes as they are, or a refusal; return what to say last."""
    config = app.config
    pause = float(config.get("PUBLISH_RETRY_SECONDS") or 30)
    max_attempts = int(config.get("PUBLISH_MAX_ATTEMPTS") or 5)
    failures = 0
    while True:
        db = get_session()
        db.expire_all()
        meeting = db.get(Meeting, meeting_id)
        if meeting is None or meeting.state is not Status.PUBLISHED or not is_set_up(meeting.network):
            return None
        network = meeting.network
        assert network is not None
        # the change of the minutes this send carries: a later one makes the meeting need sending again.
        # Read from the minutes themselves, not from a clock, so a clock set back cannot loop the sending
        carried = meeting.minutes_updated_at or utcnow()
        with server_context(app):
            body = json.dumps(payload(db, meeting, Path(app.instance_path) / "uploads")).encode()
        first = meeting.public_url is None
        server = server_name(network)
        try:
            url = post(
                network.publish_url,
                network.publish_key,
                body,
                ca_file=config.get("PUBLISH_CA_FILE"),
                timeout=float(config.get("PUBLISH_TIMEOUT") or 20),
            )
        except SendError as error:
            log.warning("sending meeting %s to %s failed: %s", meeting_id, server, error.detail)
            if error.kind != "connection":
                failures += 1  # no connection is nobody's fault: kit waits for it as long as it runs
            again = error.temporary and failures < max_attempts
            with force_locale(meeting.language):
                text = explain(error, server, pause if again else None)
                if error.temporary and not again:
                    text += " " + _("Press the button to try again.")
            meeting.public_error = text
            db.commit()
            if not again:
                return False, text
            report(meeting, False, text)
            socketio.sleep(pause)
            continue
        meeting.public_url = url
        meeting.public_sent_at = carried
        meeting.public_error = ""
        meeting.version += 1  # the screen and the console show the new address
        db.commit()
        if first:
            _announce[meeting_id] = True
        # an edit may have been committed while the minutes travelled: read the meeting as it is now
        db.refresh(meeting)
        if not needs_sending(meeting):
            with force_locale(meeting.language):
                return True, _("The minutes are on the network's public kit: %(url)s", url=url)
        failures = 0  # edited while it was sent: once more


def announce_when_published(app: Flask, meeting: Meeting, report: Report) -> None:
    """At publishing: with a public kit, send the minutes there, and the chat hears of them once they
    have their public address; without one, the chat hears now, with this kit's own address."""
    if is_set_up(meeting.network):
        send_if_needed(app, meeting, report)
    else:
        webhook.announce_published(app, meeting, report)

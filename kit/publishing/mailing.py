"""Sending published minutes by email: to the network's list and to each person who asked for them
at check-in, once each, in the background, through the facilitator's own mail account.

Every message is recorded (`MailDelivery`) before it is sent and marked once the server took it,
so a second click, a restart or another process never sends the same minutes twice to one
address. A server that refuses for now (4xx) or cannot be reached is tried again; a permanent
refusal of one address is noted and the others go on; a wrong password or a server that refuses
the sender stops the sending with a plain message.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask import Flask, current_app, render_template
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.core.db import get_session
from kit.core.errors import InvalidInput, KitError
from kit.core.extensions import server_context, socketio
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import to_safe_html
from kit.core.models import MailDelivery, MailOptOut, Meeting, Network, Participant, Status, utcnow
from kit.core.validation import email_address
from kit.publishing import calendar, links, newsletter
from kit.publishing.mail import Account, Letter, MailError, compose, domain_of, sender_address

log = logging.getLogger(__name__)

#: how the sending reaches the facilitator: the meeting, and a sentence when there is one to say
Report = Callable[[Meeting, str | None], None]

# one sender per mailing in this process; the records keep other processes from sending twice
_running: set[str] = set()
_running_lock = threading.Lock()


def mailing_of(meeting: Meeting) -> str:
    return f"minutes-{meeting.id}"


def is_set_up(config: Mapping[str, Any]) -> bool:
    """Whether this kit has a mail account to send from."""
    return bool(config.get("SMTP_HOST")) and bool(sender_address(config))


# -- who receives them -----------------------------------------------------------------------------
def parse_list_addresses(text: object) -> list[str]:
    """A network's list addresses as typed (one a line, or separated by commas): each checked."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidInput(_l("This field must be text."), "mailing_list")
    found: dict[str, str] = {}
    for part in text.replace(",", "\n").replace(";", "\n").splitlines():
        if part.strip():
            address = email_address(part, "mailing_list")
            found.setdefault(address.casefold(), address)
    if len(found) > 20:
        raise InvalidInput(_l("At most 20 list addresses: a list is one address for many people."), "mailing_list")
    return list(found.values())


def set_list_addresses(db: Session, network: Network, text: object) -> None:
    network.mailing_list = "\n".join(parse_list_addresses(text))
    db.commit()


def recipients(db: Session, meeting: Meeting) -> list[tuple[str, int | None]]:
    """Who receives the minutes: the network's list addresses, then each person present who gave an
    email and asked for them (removed people excepted), less those who asked to stop."""
    found: dict[str, tuple[str, int | None]] = {}
    if meeting.network is not None:
        for address in meeting.network.mailing_list.split():
            found.setdefault(address.casefold(), (address, None))
    people = db.scalars(
        select(Participant)
        .where(Participant.meeting_id == meeting.id, Participant.wants_minutes, Participant.removed_at.is_(None))
        .order_by(Participant.id)
    )
    for person in people:
        if person.email:
            found.setdefault(person.email.casefold(), (person.email, person.id))
    stopped = set(
        db.scalars(
            select(func.lower(MailOptOut.address)).where(
                MailOptOut.network_id.is_(None)
                if meeting.network_id is None
                else MailOptOut.network_id == meeting.network_id
            )
        )
    )
    return [entry for key, entry in found.items() if key not in stopped]


def erased_form(address: str) -> str:
    """What a record keeps of an address once the retention period erased it: enough to know the
    minutes already went there, nothing to write to."""
    return "erased:" + hashlib.sha256(address.casefold().encode()).hexdigest()[:40]


# -- recording them, once each ---------------------------------------------------------------------
def queue_minutes(db: Session, meeting: Meeting) -> int:
    """Record a message for each recipient who has not had these minutes yet; return how many."""
    if meeting.state is not Status.PUBLISHED:
        raise KitError("not_published", _l("Publish the minutes before sending them by email."))
    if not is_set_up(current_app.config):
        raise KitError(
            "mail_not_set_up",
            _l("Sending by email is not set up on this kit: the guide says how (your mail account's SMTP settings)."),
        )
    wanted = recipients(db, meeting)
    limit = int(current_app.config.get("MAIL_MAX_RECIPIENTS") or 500)
    if len(wanted) > limit:
        raise KitError(
            "too_many_recipients",
            _l(
                "%(count)d recipients: more than a mail account sends at once (%(limit)d). Give the network's list"
                " address instead, on the network's page.",
                count=len(wanted),
                limit=limit,
            ),
        )
    mailing = mailing_of(meeting)
    known = set(db.scalars(select(MailDelivery.address).where(MailDelivery.mailing == mailing)))
    known_keys = {a.casefold() for a in known} | known
    added = 0
    for address, participant_id in wanted:
        if address.casefold() in known_keys or erased_form(address) in known_keys:
            continue
        db.add(
            MailDelivery(
                mailing=mailing,
                meeting_id=meeting.id,
                network_id=meeting.network_id,
                participant_id=participant_id,
                address=address,
            )
        )
        added += 1
    return _recorded(db, added)


def _recorded(db: Session, added: int) -> int:
    """Commit the messages just recorded; how many are new."""
    try:
        db.commit()
    except IntegrityError:
        # another click or process recorded them first: each address is there once, which is what was asked
        db.rollback()
        return 0
    return added


def progress(db: Session, meeting: Meeting) -> dict[str, Any]:
    """Where the sending of a meeting's minutes stands: counts by status, and the last refusal."""
    rows = db.execute(
        select(MailDelivery.status, func.count(MailDelivery.id))
        .where(MailDelivery.mailing == mailing_of(meeting))
        .group_by(MailDelivery.status)
    )
    counts = {status: count for status, count in rows}
    refused = db.scalars(
        select(MailDelivery)
        .where(MailDelivery.mailing == mailing_of(meeting), MailDelivery.status == "refused")
        .order_by(MailDelivery.id)
    ).all()
    return {
        "total": sum(counts.values()),
        "sent": counts.get("sent", 0),
        "waiting": counts.get("waiting", 0) + counts.get("sending", 0),
        "refused": [(d.address, d.last_error) for d in refused],
        "running": mailing_of(meeting) in _running,
        "recipients": len(recipients(db, meeting)),
    }


# -- sending them, in the background ---------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One mailing to send: its key, the language it speaks, how each reader's letter is written
    (given the sender's database session), and how the facilitator is told (a sentence, or None
    when only the progress moved)."""

    key: str
    language: str
    letters: Callable[[Session], Callable[[MailDelivery], Letter]]
    tell: Callable[[str | None], None]


def minutes_job(app: Flask, meeting: Meeting, report: Report) -> Job:
    """The sending of a meeting's minutes, telling the facilitator through `report`."""
    meeting_id = meeting.id

    def tell(message: str | None) -> None:
        found = get_session().get(Meeting, meeting_id)
        if found is not None:
            report(found, message)

    return Job(mailing_of(meeting), meeting.language, lambda db: _minutes_letters(app, db, meeting_id), tell)


def start_sending(app: Flask, meeting: Meeting, report: Report) -> bool:
    """Send the meeting's waiting messages in the background; False when this process already does."""
    return start_job(app, minutes_job(app, meeting, report))


def start_job(app: Flask, job: Job) -> bool:
    with _running_lock:
        if job.key in _running:
            return False
        _running.add(job.key)
    socketio.start_background_task(_send_all, app, job)
    return True


def _send_all(app: Flask, job: Job) -> None:
    try:
        with app.app_context():
            _rounds(app, job)
    except Exception:  # the sender must never take the server down; what is left stays waiting
        log.exception("sending the mailing %s failed", job.key)
    finally:
        with _running_lock:
            _running.discard(job.key)
        try:
            with app.app_context():
                job.tell(None)
        except Exception:
            log.exception("reporting the end of a mailing failed")


def send_now(app: Flask, job: Job) -> None:
    """Send a mailing's waiting messages in this thread (the background task does the same)."""
    _rounds(app, job)


def _rounds(app: Flask, job: Job) -> None:
    config = app.config
    pause = float(config.get("MAIL_RETRY_SECONDS") or 30)
    max_attempts = int(config.get("MAIL_MAX_ATTEMPTS") or 5)
    account = Account(config)
    try:
        while True:
            db = get_session()
            waiting = db.scalars(
                select(MailDelivery.id)
                .where(MailDelivery.mailing == job.key, MailDelivery.status == "waiting")
                .order_by(MailDelivery.id)
            ).all()
            if not waiting:
                return
            if _one_round(app, db, job, waiting, account, max_attempts) == "stop":
                return
            db.expire_all()
            socketio.sleep(pause)
    finally:
        account.close()


def _one_round(app: Flask, db: Session, job: Job, waiting: Sequence[int], account: Account, max_attempts: int) -> str:
    """Try each waiting message once; "stop" when nothing more can be done, "again" otherwise."""
    sender = sender_address(app.config)
    letter_for = job.letters(db)
    for delivery_id in waiting:
        # claimed before it is sent: a second sender (another process) skips it
        claim = (
            update(MailDelivery)
            .where(MailDelivery.id == delivery_id, MailDelivery.status == "waiting")
            .values(status="sending", attempts=MailDelivery.attempts + 1)
        )
        claimed = cast(CursorResult[Any], db.execute(claim)).rowcount
        db.commit()
        if not claimed:
            continue
        delivery = db.get(MailDelivery, delivery_id)
        assert delivery is not None
        try:
            account.send(compose(letter_for(delivery), sender, domain_of(sender)))
        except MailError as error:
            return_to = _after_refusal(db, job, delivery, error, max_attempts)
            if return_to:
                return return_to
            continue
        delivery.status = "sent"
        delivery.sent_at = utcnow()
        delivery.last_error = ""
        db.commit()
        job.tell(None)
    return "again"


def _after_refusal(db: Session, job: Job, delivery: MailDelivery, error: MailError, max_attempts: int) -> str | None:
    """Record what the server said; "stop" or "again" to end the round, None to go on with the next."""
    log.warning("the mailing %s to %s was not sent: %s", job.key, delivery.address, error.detail)
    delivery.last_error = error.detail[:500]
    with force_locale(job.language):
        if error.kind == "connection":
            delivery.status = "waiting"
            delivery.attempts -= 1  # not the address's fault: it keeps its tries
            db.commit()
            job.tell(_("No connection to the mail server: the messages wait and will leave when it is back."))
            return "again"
        if error.kind == "authentication":
            delivery.status = "waiting"
            db.commit()
            job.tell(
                _(
                    "The mail server refused kit's user name or password: check SMTP_USER and SMTP_PASSWORD, then"
                    " send again. Nothing was sent twice. (%(detail)s)",
                    detail=error.detail,
                )
            )
            return "stop"
        if error.kind == "server" and error.permanent:
            delivery.status = "waiting"
            db.commit()
            job.tell(_("The mail server refuses to send for kit (%(detail)s).", detail=error.detail))
            return "stop"
        if error.permanent:
            delivery.status = "refused"
            db.commit()
            job.tell(
                _("The mail server refused %(address)s (%(detail)s).", address=delivery.address, detail=error.detail)
            )
            return None
        # refused for now (4xx): tried again in the next round, up to MAIL_MAX_ATTEMPTS times
        delivery.status = "refused" if delivery.attempts >= max_attempts else "waiting"
        db.commit()
        if delivery.status == "refused":
            job.tell(
                _(
                    "The mail server still refuses %(address)s after %(count)d tries (%(detail)s).",
                    address=delivery.address,
                    count=delivery.attempts,
                    detail=error.detail,
                )
            )
        return None


def _reader_letter(
    app: Flask, language: str, delivery: MailDelivery, subject: str, intro: str, markdown: str, **page: Any
) -> Letter:
    """One reader's message: the intro, the Markdown as text and as a page, their own link to stop."""
    # rendering needs a request context for url_for; this one is the server's own
    with server_context(app), force_locale(language):
        stop_url = links.external("public.mail_stop", token=delivery.stop_token)
        footer = _("You receive this email because you asked for the minutes, or as a list of the network.")
        text = "\n\n".join(
            (intro, markdown.rstrip(), "-- \n" + footer + "\n" + _("To receive no more: %(url)s", url=stop_url))
        )
        html = render_template(
            "mail/minutes.html",
            language=language,
            body=to_safe_html(markdown),
            intro=intro,
            stop_url=stop_url,
            subject=subject,
            **page,
        )
    return Letter(delivery.address, subject, text, html, stop_url, page.get("attachments", ()))


def _minutes_letters(app: Flask, db: Session, meeting_id: int) -> Callable[[MailDelivery], Letter]:
    """The minutes as each reader receives them: what is the same for all is built once."""
    meeting = db.get(Meeting, meeting_id)
    assert meeting is not None
    with server_context(app), force_locale(meeting.language):
        url = links.minutes_url(meeting)
        when = meeting.meeting_date or (meeting.started_at.date() if meeting.started_at else None)
        subject = _("Minutes: %(title)s", title=meeting.title + (f" ({format_date(when, 'long')})" if when else ""))
        intro = _("The minutes of the meeting are online: %(url)s", url=url)
        # the dates, for a calendar, when the minutes have any (None otherwise)
        ics = calendar.minutes_calendar(db, meeting)
    attachments = (("minutes.ics", "text/calendar", ics),) if ics else ()
    markdown = meeting.minutes_md or ""
    return lambda delivery: _reader_letter(
        app, meeting.language, delivery, subject, intro, markdown, url=url, attachments=attachments
    )


# -- the newsletter, to the network's list -------------------------------------------------------------
def newsletter_mailing(network: Network, day: date) -> str:
    """One newsletter a day at most reaches a list: sending again the same day sends nothing twice."""
    return f"newsletter-{network.id}-{day.isoformat()}"


def queue_newsletter(db: Session, network: Network, day: date) -> int:
    """Record a message of today's newsletter draft for each of the network's list addresses (the
    people who asked for the minutes asked for nothing else); return how many are new."""
    if not is_set_up(current_app.config):
        raise KitError(
            "mail_not_set_up",
            _l("Sending by email is not set up on this kit: the guide says how (your mail account's SMTP settings)."),
        )
    stopped = set(db.scalars(select(func.lower(MailOptOut.address)).where(MailOptOut.network_id == network.id)))
    wanted = [a for a in network.mailing_list.split() if a.casefold() not in stopped]
    if not wanted:
        raise KitError("no_list", _l("Give the network's list address first, under \u201cThe minutes by email\u201d."))
    key = newsletter_mailing(network, day)
    known = {a.casefold() for a in db.scalars(select(MailDelivery.address).where(MailDelivery.mailing == key))}
    added = 0
    for address in wanted:
        if address.casefold() not in known:
            db.add(MailDelivery(mailing=key, network_id=network.id, address=address))
            added += 1
    return _recorded(db, added)


def newsletter_progress(db: Session, network: Network, day: date) -> dict[str, Any]:
    key = newsletter_mailing(network, day)
    deliveries = db.scalars(select(MailDelivery).where(MailDelivery.mailing == key)).all()
    return {
        "total": len(deliveries),
        "sent": sum(d.status == "sent" for d in deliveries),
        "waiting": sum(d.status in ("waiting", "sending") for d in deliveries),
        "refused": [(d.address, d.last_error) for d in deliveries if d.status == "refused"],
        "running": key in _running,
    }


def start_newsletter(app: Flask, network: Network, day: date, language: str) -> bool:
    """Send today's newsletter draft to the network's list in the background."""
    network_id = network.id

    def letters(db: Session) -> Callable[[MailDelivery], Letter]:
        found = db.get(Network, network_id)
        assert found is not None
        # the draft links to the minutes: url_for needs a request context, this one is the server's own
        with server_context(app), force_locale(language):
            subject = _("Newsletter: %(network)s (%(month)s)", network=found.name, month=format_date(day, "MMMM y"))
            intro = _("The newsletter of %(network)s.", network=found.name)
            markdown = newsletter.build(db, found, language)
        return lambda delivery: _reader_letter(app, language, delivery, subject, intro, markdown)

    def tell(message: str | None) -> None:
        if message:
            log.warning("newsletter of network %s: %s", network_id, message)

    return start_job(app, Job(newsletter_mailing(network, day), language, letters, tell))


# -- stopping ----------------------------------------------------------------------------------------
def delivery_by_stop_token(db: Session, token: object) -> MailDelivery | None:
    if not isinstance(token, str) or not 10 <= len(token) <= 64:
        return None
    return db.scalar(select(MailDelivery).where(MailDelivery.stop_token == token))


def stop(db: Session, delivery: MailDelivery) -> None:
    """This address receives no more of the network's mailings (of this kit's, without a network)."""
    address = delivery.address
    exists = db.scalar(
        select(MailOptOut.id).where(
            MailOptOut.network_id.is_(None)
            if delivery.network_id is None
            else MailOptOut.network_id == delivery.network_id,
            func.lower(MailOptOut.address) == address.casefold(),
        )
    )
    if exists is None:
        db.add(MailOptOut(network_id=delivery.network_id, address=address.casefold()))
    for person in db.scalars(select(Participant).where(func.lower(Participant.email) == address.casefold())):
        person.wants_minutes = False
    try:
        db.commit()
    except IntegrityError:
        db.rollback()


def forget_person(db: Session, person: Participant) -> None:
    """At the person's own request: nothing more is sent to them, and their address is forgotten
    (what was already sent keeps only a fingerprint, so it is not sent again)."""
    address = person.email
    person.email = ""
    person.wants_minutes = False
    if address:
        for delivery in db.scalars(select(MailDelivery).where(MailDelivery.participant_id == person.id)):
            if delivery.status in ("waiting", "refused"):
                db.delete(delivery)
            elif not delivery.address.startswith("erased:"):
                delivery.address = erased_form(delivery.address)
    db.commit()


def erase_addresses(db: Session, meeting: Meeting) -> None:
    """The retention period: a meeting's people keep no email, its records no address (only a
    fingerprint, so the same minutes still never go twice to one address)."""
    for person in db.scalars(select(Participant).where(Participant.meeting_id == meeting.id)):
        person.email = ""
        person.wants_minutes = False
    for delivery in db.scalars(select(MailDelivery).where(MailDelivery.meeting_id == meeting.id)):
        if not delivery.address.startswith("erased:"):
            delivery.address = erased_form(delivery.address)


def sent_summary(result: Mapping[str, Any]) -> str:
    """ "12 / 30 sent", for the console."""
    return ngettext("%(sent)d / %(num)d sent", "%(sent)d / %(num)d sent", result["total"], sent=result["sent"])

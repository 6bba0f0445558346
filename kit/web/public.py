"""Pages anyone with a code or a link may open: home, join, phone, published minutes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select

from kit.activities import activity_for
from kit.core import uploads
from kit.core.db import get_session
from kit.core.errors import InvalidInput, KitError
from kit.core.markdown_text import says, to_safe_html
from kit.core.models import Meeting, Network, Status
from kit.live import broadcast
from kit.meeting import lifecycle, privacy
from kit.network import networks
from kit.publishing import calendar, feeds, links, mailing, public_kit, showcase, standalone, yeswiki
from kit.publishing import minutes as minutes_content
from kit.publishing.calendar import dated_events
from kit.publishing.calendar import minutes_calendar as build_calendar
from kit.web import qr
from kit.web.downloads import file_response

bp = Blueprint("public", __name__)


def _tokens() -> dict[str, str]:
    """The participant tokens this browser holds, by meeting code (kept in the signed session cookie)."""
    return dict(session.get("participants", {}))


@bp.get("/")
def home() -> str:
    return render_template("home.html")


@bp.get("/go")
def go() -> ResponseReturnValue:
    """The home page's code form: on to the join page, or the form again with a clear message."""
    typed = request.args.get("code", "")
    try:
        meeting = lifecycle.get_meeting(get_session(), typed)
    except KitError as error:
        return render_template("home.html", error=str(error.message), typed=typed[:20]), 404
    return redirect(url_for("public.phone", code=meeting.code))


@bp.route("/j/<code>", methods=["GET", "POST"])
def phone(code: str) -> ResponseReturnValue:
    """Where the QR code leads: the join form, then the participant's live page."""
    db = get_session()
    meeting = lifecycle.get_meeting(db, code)
    if meeting.code != code:
        return redirect(url_for("public.phone", code=meeting.code))
    tokens = _tokens()
    participant = lifecycle.get_participant(db, meeting, tokens.get(meeting.code))
    if participant is not None:
        return render_template("phone.html", meeting=meeting, participant=participant)
    if meeting.code in tokens:
        # an identity this meeting no longer knows (a restore, `kit forget`): forgotten here too
        del tokens[meeting.code]
        session["participants"] = tokens
    if meeting.state in (Status.CLOSED, Status.PUBLISHED):
        return render_template("over.html", meeting=meeting), 410
    if request.method == "GET":
        return render_template("join.html", meeting=meeting, form={})
    if not links.same_origin():
        abort(403)
    config = current_app.config
    try:
        participant = lifecycle.join(
            db,
            meeting,
            request.form.get("name"),
            request.form.get("structure"),
            request.form.get("territory"),
            str(get_locale()),
            max_name=config["MAX_NAME_LENGTH"],
            max_field=config["MAX_FIELD_LENGTH"],
        )
    except InvalidInput as error:
        return render_template(
            "join.html", meeting=meeting, form=request.form, error=str(error.message), field=error.field
        ), 400
    except KitError as error:
        return render_template("join.html", meeting=meeting, form=request.form, error=str(error.message)), 400
    current_app.extensions["kit.counts"].mark(meeting.id)
    tokens = _tokens()
    tokens[meeting.code] = participant.token
    session["participants"] = tokens
    session.permanent = True
    return redirect(url_for("public.phone", code=meeting.code), code=303)


@bp.get("/j/<code>/qr.svg")
def join_qr(code: str) -> Response:
    """The QR code of the join link (anyone who has the code may see where it leads)."""
    meeting = lifecycle.get_meeting(get_session(), code)
    response = Response(qr.svg(links.join_url(meeting)), mimetype="image/svg+xml")
    response.cache_control.max_age = 3600
    return response


def _published(token: str) -> Meeting:
    meeting = get_session().scalar(select(Meeting).where(Meeting.share_token == token))
    if meeting is None or meeting.state is not Status.PUBLISHED or not meeting.minutes_md:
        abort(404)
    return meeting


@bp.get("/minutes/<token>", endpoint="minutes")
def minutes_page(token: str) -> str:
    """The share link: the published minutes as a page anyone with the link can read."""
    meeting = _published(token)
    body = to_safe_html(meeting.minutes_md or "")
    network = meeting.network.name if meeting.network is not None else ""
    return render_template(
        "minutes.html",
        meeting=meeting,
        body=body,
        # minutes written before they named the network, or edited without it, still say whose they are
        network=network if network and not says(body, network) else "",
        has_dates=bool(dated_events(get_session(), meeting)),
    )


@bp.get("/minutes/<token>/qr.svg")
def minutes_qr(token: str) -> Response:
    """The QR code of the minutes' address that works for everyone (the end screen shows it): the
    network's public kit's, once it holds them."""
    meeting = _published(token)
    response = Response(qr.svg(links.minutes_url(meeting)), mimetype="image/svg+xml")
    response.cache_control.no_cache = True
    return response


@bp.get("/minutes/<token>.md")
def minutes_markdown(token: str) -> Response:
    meeting = _published(token)
    return file_response(meeting.minutes_md or "", "text/markdown; charset=utf-8", f"{meeting.code.lower()}-minutes.md")


@bp.get("/minutes/<token>.html")
def minutes_file(token: str) -> Response:
    """The published minutes as one HTML file to keep, attach to an email or print (opens offline)."""
    meeting = _published(token)
    photo = standalone.venue_photo(meeting, Path(current_app.instance_path) / "uploads")
    body = standalone.minutes_file(meeting, source_url=links.minutes_url(meeting), photo=photo)
    return standalone_download(body, standalone.file_name(meeting.title, standalone.meeting_day(meeting)))


def standalone_download(body: str, name: str) -> Response:
    """One HTML file to save, not a page to show; should a browser show it, it runs and loads nothing."""
    response = file_response(body, "text/html; charset=utf-8", name, attachment=True)
    response.headers["Content-Security-Policy"] = standalone.RESPONSE_POLICY
    return response


@bp.get("/minutes/<token>.yeswiki.txt")
def minutes_yeswiki(token: str) -> Response:
    """The published minutes in YesWiki's syntax, to copy into a network's wiki page."""
    meeting = _published(token)
    body = yeswiki.from_markdown(meeting.minutes_md or "")
    return file_response(body, "text/plain; charset=utf-8", f"{meeting.code.lower()}-minutes-yeswiki.txt")


@bp.get("/minutes/<token>.json")
def minutes_json(token: str) -> Response:
    meeting = _published(token)
    return jsonify(minutes_content.as_data(get_session(), meeting))


@bp.get("/uploads/<name>")
def upload(name: str) -> Response:
    """A photo the facilitator uploaded (the host venue), by its random name."""
    if not uploads.is_photo_name(name):
        abort(404)
    folder = Path(current_app.instance_path) / "uploads"
    response = send_from_directory(folder, name, mimetype=uploads.MIMETYPES[name.rsplit(".", 1)[1]])
    response.cache_control.max_age = 86400
    return response


@bp.get("/minutes/<token>.ics")
def minutes_calendar(token: str) -> Response:
    """The minutes' deadlines, events and the network's next meeting, for a calendar."""
    meeting = _published(token)
    body = build_calendar(get_session(), meeting)
    if body is None:
        abort(404)  # nothing dated in these minutes: no empty calendar
    return file_response(body, "text/calendar; charset=utf-8", f"{meeting.code.lower()}.ics", attachment=True)


@bp.get("/feeds/<token>.atom")
def network_feed(token: str) -> Response:
    """A network's published minutes, for feed readers (the address is shared, not guessed)."""
    network = get_session().scalar(select(Network).where(Network.feed_token == token))
    if network is None:
        abort(404)
    feed_url = links.external("public.network_feed", token=token)
    body = feeds.atom(get_session(), network, feed_url, str(get_locale() or "fr"))
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@bp.get("/feeds/<token>.ics")
def network_calendar(token: str) -> Response:
    """A network's next meetings and its news' dates, for a calendar to subscribe to (the address
    is shared, not guessed, like the feed's)."""
    network = get_session().scalar(select(Network).where(Network.feed_token == token))
    if network is None:
        abort(404)
    body = calendar.network_calendar(
        get_session(), network, calendar.network_page_url(network), str(get_locale() or "fr")
    )
    # shown inline: a browser given the address hands it to the calendar app, which reads it again
    response = file_response(body, "text/calendar; charset=utf-8", "calendar.ics")
    response.cache_control.max_age = 3600
    return response


@bp.route("/directory/<token>", methods=["GET", "POST"])
def own_entry(token: str) -> ResponseReturnValue:
    """A member's own entry in the network directory: correct it, or take it out."""
    db = get_session()
    check_in = networks.own_check_in(db, token)
    error = None
    if request.method == "POST":
        if not links.same_origin():
            abort(403)
        form: dict[str, Any] = dict(request.form.to_dict())
        form["offers"] = [s for s in request.form.getlist("offers") if s]
        form["seeks"] = [s for s in request.form.getlist("seeks") if s]
        if request.form.get("action") == "remove":
            form = {**check_in.data, "share": False}
        try:
            networks.update_own_entry(db, check_in, form)
            return redirect(url_for("public.own_entry", token=token, saved=1), code=303)
        except KitError as failure:
            db.rollback()
            error = str(failure.message)
    return render_template(
        "own_entry.html", entry=check_in.data, token=token, error=error, saved=request.args.get("saved")
    ), (400 if error else 200)


# -- what a participant sent: seen, and deleted, by its author ------------------------------------
def _own_list(token: str) -> tuple[Any, list[Any]]:
    db = get_session()
    person = privacy.participant_by_token(db, token)
    rows = []
    for contribution in lifecycle.own_contributions(db, person):
        activity = activity_for(contribution.step)
        rows.append(
            {
                "id": contribution.id,
                "step": contribution.step.title,
                "summary": activity.summary(contribution.data),
                "withdrawn": contribution.withdrawn,
                "hidden": contribution.hidden_at is not None,
            }
        )
    return person, rows


@bp.get("/mine/<token>")
def mine(token: str) -> ResponseReturnValue:
    """A participant's personal page: everything they sent in one meeting, each with a delete button.

    The link holds the phone's secret: the phone shows it so the person can keep it after the meeting."""
    try:
        person, rows = _own_list(token)
    except KitError as error:
        return render_template("error.html", message=str(error.message)), 404
    meeting = get_session().get(Meeting, person.meeting_id)
    return render_template(
        "mine.html",
        person=person,
        meeting=meeting,
        rows=rows,
        token=token,
        deleted=request.args.get("deleted"),
        email_forgotten=request.args.get("email_forgotten"),
    )


@bp.post("/mine/<token>/email")
def forget_email(token: str) -> ResponseReturnValue:
    """At one's personal link: no more minutes by email, and the address forgotten."""
    db = get_session()
    try:
        person = privacy.participant_by_token(db, token)
    except KitError as error:
        return render_template("error.html", message=str(error.message)), error.status
    if not links.same_origin():
        abort(403)
    mailing.forget_person(db, person)
    return redirect(url_for("public.mine", token=token, email_forgotten=1), code=303)


@bp.route("/mine/<token>/<int:contribution_id>", methods=["GET", "POST"])
def delete_own(token: str, contribution_id: int) -> ResponseReturnValue:
    """Ask once (GET shows the words and two big buttons), then delete for good (POST)."""
    db = get_session()
    try:
        person = privacy.participant_by_token(db, token)
        contribution = privacy.own_contribution(db, person, contribution_id)
    except KitError as error:
        return render_template("error.html", message=str(error.message)), error.status
    meeting = db.get(Meeting, person.meeting_id)
    assert meeting is not None
    if request.method == "GET":
        summary = activity_for(contribution.step).summary(contribution.data)
        return render_template(
            "mine_confirm.html",
            token=token,
            contribution=contribution,
            summary=summary,
            withdrawn=contribution.withdrawn,
            meeting=meeting,
        )
    if not links.same_origin():
        abort(403)
    _, changed = privacy.withdraw(db, person, contribution_id)
    if changed:
        broadcast.meeting_changed(db, meeting)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        public_kit.send_network_if_needed(app, meeting, broadcast.public_kit_changed)
    return redirect(url_for("public.mine", token=token, deleted=1), code=303)


@bp.route("/mail/stop/<token>", methods=["GET", "POST"])
def mail_stop(token: str) -> ResponseReturnValue:
    """The link in every email: GET asks once, POST stops. A mail program's one-click unsubscribe
    (RFC 8058) posts here from elsewhere, so no same-origin check: the token is the whole right,
    and all it can do is stop messages to its own address."""
    db = get_session()
    delivery = mailing.delivery_by_stop_token(db, token)
    if delivery is None:
        abort(404)
    if request.method == "POST":
        mailing.stop(db, delivery)
        return render_template("mail_stop.html", delivery=delivery, stopped=True)
    return render_template("mail_stop.html", delivery=delivery, stopped=False)


@bp.get("/n/<token>")
def network_page(token: str) -> str:
    """A network's public page (its address is the feed's token: shared, not guessed)."""
    db = get_session()
    network = db.scalar(select(Network).where(Network.feed_token == token))
    if network is None:
        abort(404)
    address = calendar.calendar_url(network)
    return render_template(
        "network_public.html",
        page=showcase.showcase(db, network),
        calendar_url=address,
        webcal_url="webcal://" + address.split("://", 1)[1],
    )

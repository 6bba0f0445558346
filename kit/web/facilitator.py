"""The facilitator's pages: admin (meetings and templates), console and screen of a meeting.

No accounts: the admin link printed by `kit serve` carries a secret token, and each meeting's
console and screen links carry their own secrets. The token is checked once and remembered in
the signed session cookie, so it leaves the address bar.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from kit import places
from kit.activities import ACTIVITIES
from kit.activities import options as option_fields
from kit.activities.roadmap import PROGRESS
from kit.core import uploads
from kit.core.access import same_secret
from kit.core.db import get_session
from kit.core.errors import KitError
from kit.core.markdown_text import to_safe_html
from kit.core.models import Meeting, Network, Step, utcnow
from kit.live import broadcast
from kit.meeting import lifecycle, preparation
from kit.meeting.templates import MeetingTemplate, find_template, list_templates
from kit.network import accounts, keys, networks, transfer
from kit.publishing import exports, links, mailing, public_kit, standalone, webhook, yeswiki
from kit.publishing import newsletter as newsletter_content
from kit.publishing.minutes import build_markdown
from kit.web.accounts import accounts_on, signed_in
from kit.web.downloads import file_response
from kit.web.public import standalone_download

bp = Blueprint("facilitator", __name__)


@bp.after_request
def not_kept(response: Response) -> Response:
    # every page here carries a secret (a key in its links, the admin's list of them): no cache, no
    # disk copy for the back button on a shared laptop
    response.headers["Cache-Control"] = "no-store"
    return response


def is_admin() -> bool:
    """The installation's administrator: on a laptop whoever opened the admin link `kit serve`
    printed; on a server (ACCOUNTS) a signed-in administrator."""
    if accounts_on():
        user = signed_in()
        return user is not None and user.is_admin
    return same_secret(session.get("admin"), current_app.config["ADMIN_TOKEN"])


def _require_admin() -> None:
    if not is_admin():
        abort(403)


def may_in_network(network_id: int | None, role: str = "coordinator") -> bool:
    """Whether whoever asks may act in this network with this role (on a laptop: the admin link)."""
    if accounts_on():
        return accounts.may(signed_in(), network_id, role)
    return is_admin()


def require_network(network_id: int, role: str = "coordinator") -> None:
    if not may_in_network(network_id, role):
        abort(403)


def _posted_network(network_id: int) -> Network:
    """The network a form of its page posts to: for its coordinators, from kit's own pages."""
    require_network(network_id)
    if not links.same_origin():
        abort(403)
    return networks.get_network(get_session(), network_id)


@bp.get("/admin")
def admin() -> ResponseReturnValue:
    token = request.args.get("token")
    if accounts_on():
        if token is not None:
            message = _("On this kit, people sign in with their email address, not with an admin link.")
            return render_template("error.html", message=message), 403
        if signed_in() is None:
            return redirect(url_for("accounts.sign_in"))
        return _admin_page()
    if token is not None:
        if not same_secret(token, current_app.config["ADMIN_TOKEN"]):
            return render_template(
                "error.html", message=_("This admin link is not valid. Use the one kit serve printed.")
            ), 403
        session["admin"] = token
        session.permanent = True
        return redirect(url_for("facilitator.admin"))
    if not is_admin():
        return render_template(
            "error.html", message=_("This page is for the facilitator: open the admin link that kit serve printed.")
        ), 403
    return _admin_page()


def _admin_page(form: Any = None, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The meetings and networks whoever asks may see: all of them for the administrator, on a
    server those of the networks the signed-in person has a role in."""
    db = get_session()
    user = signed_in()
    query = select(Meeting).order_by(Meeting.created_at.desc())
    if user is not None and not user.is_admin:
        shown = accounts.networks_of(db, user)
        query = query.where(Meeting.network_id.in_([n.id for n in shown]))
    else:
        shown = networks.all_networks(db)
    templates = list_templates(current_app.config["SESSIONS_DIRS"])
    own = Path(current_app.instance_path) / "sessions"
    return render_template(
        "admin.html",
        networks=shown,
        scales=networks.SCALES,
        meetings=db.scalars(query).all(),
        templates=templates,
        own_templates={t.name for t in templates if isinstance(t, MeetingTemplate) and t.path.parent == own},
        chosen=request.args.get("template"),
        activities=ACTIVITIES,
        links=links,
        form=form,
        error=error or request.args.get("error"),
        user=user,
        coordinates=lambda network_id: may_in_network(network_id, "coordinator"),
        may_create_network=is_admin(),
    ), status


@bp.get("/admin/templates/<name>/steps/<int:number>/screen")
def template_preview(name: str, number: int) -> ResponseReturnValue:
    """One step of a template as the screen shows it with nothing sent yet: the gallery's preview."""
    if not (is_admin() or signed_in() is not None):
        abort(403)
    template = find_template(current_app.config["SESSIONS_DIRS"], name)
    if not 1 <= number <= len(template.steps):
        abort(404)
    chosen = template.steps[number - 1]
    meeting = Meeting(code="APERCU", title=template.title, status="live", host="", place="", language=template.language)
    step = Step(
        activity=chosen.activity, title=chosen.title, prompt=chosen.prompt, options=dict(chosen.options), state={}
    )
    step.position = number - 1
    step.id = 0
    step.meeting = meeting
    activity = ACTIVITIES[chosen.activity](step)
    try:
        drawn = Markup(
            render_template(
                activity.template("screen"),
                meeting=meeting,
                step=step,
                activity=activity,
                items=[],
                votes={},
                view="screen",
                now=utcnow(),
                counts={},
                links=links,
                connected=[],
                preview=True,
            )
        )
    except Exception:  # noqa: BLE001 - a preview never keeps the gallery from showing
        current_app.logger.exception("no preview for %s, step %d", name, number)
        drawn = None
    response = make_response(
        render_template("template_preview.html", step=step, number=number, total=len(template.steps), drawn=drawn)
    )
    # the only page kit lets a page of its own frame (the policy follows): the gallery shows it scaled down
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/admin/meetings")
def create() -> ResponseReturnValue:
    """A meeting prepared from a template: in a network one facilitates, or (administrators) in none."""
    if not (is_admin() or signed_in() is not None):
        abort(403)
    if not links.same_origin():
        abort(403)
    form = request.form
    db = get_session()
    try:
        template = find_template(current_app.config["SESSIONS_DIRS"], form.get("template", ""))
        meeting_date = _date(form.get("date", ""))
        chosen = form.get("network", "")
        network_id = networks.get_network(db, int(chosen)).id if chosen.isdigit() else None
        if not (is_admin() or may_in_network(network_id, "facilitator")):
            abort(403)
        meeting = lifecycle.create_meeting(
            db,
            template,
            title=form.get("title"),
            meeting_date=meeting_date,
            place=form.get("place", ""),
            host=form.get("host", ""),
            network_id=network_id,
        )
    except KitError as error:
        db.rollback()
        return _admin_page(form, str(error.message), 400)
    return redirect(url_for("facilitator.console", code=meeting.code, key=meeting.facilitator_key), code=303)


def _date(typed: str) -> date | None:
    if not typed.strip():
        return None
    try:
        return date.fromisoformat(typed.strip())
    except ValueError:
        raise KitError("invalid", _("The date is not valid: use the calendar or write it as 2026-03-31.")) from None


def _runs(meeting: Meeting) -> bool:
    """Whether whoever asks runs this meeting without its key in hand: the administrator, or on a
    server one of its network's facilitators (the key is for sharing the console with someone else)."""
    return is_admin() or (accounts_on() and may_in_network(meeting.network_id, "facilitator"))


def _meeting_with_key(code: str, expected: str) -> Meeting:
    meeting = lifecycle.get_meeting(get_session(), code)
    key = request.values.get("key")
    if not (same_secret(key, getattr(meeting, expected)) or (key is None and _runs(meeting))):
        abort(403)
    return meeting


# the meetings whose keys one browser keeps in its session at most: the cookie stays small
KEPT_MEETINGS = 20


def _keep_key(code: str, key: str) -> None:
    """Remember a console or screen key in the signed session, newest last (a browser may hold both)."""
    kept = dict(session.get("keys", {}))
    held = [other for other in kept.pop(code, []) if other != key][-1:] + [key]
    kept[code] = held
    session["keys"] = dict(list(kept.items())[-KEPT_MEETINGS:])
    session.permanent = True


def _kept_key(code: str, *expected: str) -> str | None:
    """The key this browser keeps for the meeting that matches `expected`, in that order of preference
    (the screen takes its own key before the console's, which it must not show), if any."""
    kept = session.get("keys", {}).get(code, [])
    for secret in expected:
        for key in kept:
            if same_secret(key, secret):
                return str(key)
    return None


def _key_out_of_the_address(code: str, key: str) -> ResponseReturnValue:
    """The key is checked, kept in the session, and the page loads again without it: it does not stay
    in the address bar, the history, a screenshot of the projector or a photo of the laptop."""
    _keep_key(code, key)
    others: dict[str, Any] = {name: value for name, value in request.args.items() if name != "key"}
    return redirect(url_for(str(request.endpoint), code=code, **others), code=303)


@bp.get("/m/<code>/console")
def console(code: str) -> ResponseReturnValue:
    meeting = lifecycle.get_meeting(get_session(), code)
    key = request.args.get("key")
    if key is not None:
        if not same_secret(key, meeting.facilitator_key):
            abort(403)
        return _key_out_of_the_address(meeting.code, key)
    if not (_kept_key(meeting.code, meeting.facilitator_key) or _runs(meeting)):
        abort(403)
    return render_template("console.html", meeting=meeting, links=links)


@bp.get("/m/<code>/screen")
def screen(code: str) -> ResponseReturnValue:
    meeting = lifecycle.get_meeting(get_session(), code)
    key = request.args.get("key")
    if key is not None:
        if not (same_secret(key, meeting.screen_key) or same_secret(key, meeting.facilitator_key)):
            abort(403)
        return _key_out_of_the_address(meeting.code, key)
    # the page hands its key to the live connection (data-key): the one this browser keeps
    kept = _kept_key(meeting.code, meeting.screen_key, meeting.facilitator_key)
    if kept is None:
        abort(403)
    return render_template("screen.html", meeting=meeting, key=kept, links=links)


def _prepare_page(meeting: Meeting, status: int = 200, **extra: Any) -> ResponseReturnValue:
    return render_template(
        "prepare.html",
        meeting=meeting,
        links=links,
        activities=ACTIVITIES,
        preparation=preparation,
        option_ids=option_fields.field_id,
        **extra,
    ), status


def _where_it_went_wrong(meeting: Meeting, step_id: int | None, error: KitError) -> dict[str, Any]:
    """What the page shows of a refusal: the message, the field it names (marked, with the message
    beside it, and linked from the step's alert), and the step's options as they were typed."""
    form = request.form
    action = form.get("action")
    field = getattr(error, "field", None) or ""
    shown: dict[str, Any] = {
        "error": str(error.message),
        "error_target": None,
        "field_errors": {},
        "posted_options": None,
    }
    found = next((s for s in meeting.steps if s.id == step_id), None)
    if found is not None and action == "step" and "options" not in form:
        fields = ACTIVITIES[found.activity].option_fields
        shown["posted_options"] = option_fields.from_form(fields, form.items(multi=True))
        if field.startswith(option_fields.PREFIX + "."):
            shown["field_errors"] = {field: str(error.message)}
        if field.startswith(option_fields.PREFIX + ".") or field in ("title", "prompt"):
            shown["error_target"] = option_fields.field_id(f"s{step_id}-", field)
    elif found is not None and action == "options_toml":
        shown["error_target"] = f"s{step_id}-options"
    return shown


def _wants_json() -> bool:
    """A request from prepare.js (moving a step without reloading the page), not a form post."""
    return request.accept_mimetypes.best == "application/json"


@bp.route("/m/<code>/prepare", methods=["GET", "POST"])
def prepare(code: str) -> ResponseReturnValue:
    """Edit a meeting's details and steps before it starts; save them as a template."""
    meeting = _meeting_with_key(code, "facilitator_key")
    if request.method == "GET":
        return _prepare_page(meeting)
    if not links.same_origin():
        abort(403)
    db = get_session()
    form = request.form
    action = form.get("action", "")
    step = form.get("step", "")
    step_id = int(step) if step.isdigit() else None
    notice = None
    try:
        if action == "details":
            preparation.update_details(
                db, meeting, form.get("title"), _date(form.get("date", "")), form.get("place"), form.get("host")
            )
        elif action == "step" and "options" in form:
            # the options typed as TOML (an older page, or a script)
            preparation.update_step(db, meeting, step_id, form.get("title"), form.get("prompt"), form.get("options"))
        elif action == "step":
            fields = list(form.items(multi=True))
            preparation.update_step_fields(db, meeting, step_id, form.get("title"), form.get("prompt"), fields)
        elif action == "options_toml":
            current = lifecycle.get_step(db, meeting, step_id)
            preparation.update_step(db, meeting, step_id, current.title, current.prompt, form.get("options"))
        elif action == "add":
            added = preparation.add_step(db, meeting, form.get("activity"), form.get("title"), form.get("prompt"))
            step_id = added.id
        elif action == "remove":
            preparation.remove_step(db, meeting, step_id)
        elif action in ("up", "down"):
            preparation.move_step(db, meeting, step_id, -1 if action == "up" else +1)
        elif action in ("photo", "remove_photo"):
            upload = request.files.get("photo") if action == "photo" else None
            data = upload.read(uploads.MAX_BYTES + 1) if upload else (b"" if action == "photo" else None)
            preparation.set_photo(db, meeting, step_id, Path(current_app.instance_path) / "uploads", data)
        elif action == "save_template":
            path = preparation.save_as_template(meeting, Path(current_app.instance_path) / "sessions", form.get("name"))
            notice = _("Saved as the template %(name)s: it is now offered in the admin page.", name=path.stem)
        else:
            abort(400)
    except KitError as error:
        db.rollback()
        db.expire_all()
        if _wants_json():
            return jsonify(error.as_ack()), 400
        return _prepare_page(
            meeting, 400, form=form, error_step=step_id, **_where_it_went_wrong(meeting, step_id, error)
        )
    if _wants_json():
        db.expire(meeting, ["steps"])
        return jsonify({"ok": True, "order": [s.id for s in meeting.steps]})
    if notice:
        return _prepare_page(meeting, notice=notice)
    anchor = f"#step-{step_id}" if step_id and action not in ("remove",) else ""
    return redirect(url_for("facilitator.prepare", code=meeting.code, key=meeting.facilitator_key) + anchor, code=303)


@bp.get("/m/<code>/template.toml")
def download_template(code: str) -> Response:
    """The meeting's steps as a template file to keep or share."""
    meeting = _meeting_with_key(code, "facilitator_key")
    name = preparation.template_name(meeting.title)
    return file_response(preparation.as_template(meeting), "application/toml", f"{name}.toml", attachment=True)


@bp.get("/m/<code>/export.csv")
def export(code: str) -> Response:
    """The meeting's contributions as CSV, at any moment; ?step=ID for one step, ?format=fr for semicolons."""
    meeting = _meeting_with_key(code, "facilitator_key")
    db = get_session()
    step_id = request.args.get("step", "")
    steps = [lifecycle.get_step(db, meeting, int(step_id))] if step_id.isdigit() else list(meeting.steps)
    french = request.args.get("format") == "fr"
    body = exports.to_csv(db, meeting, steps, french_spreadsheet=french)
    name = preparation.template_name(meeting.title if not step_id.isdigit() else f"{meeting.title} {steps[0].title}")
    return file_response(body, "text/csv; charset=utf-8", f"{name}.csv", attachment=True)


@bp.post("/m/<code>/duplicate")
def duplicate(code: str) -> ResponseReturnValue:
    """A new meeting prepared like this one, to start the next meeting from it."""
    meeting = _meeting_with_key(code, "facilitator_key")
    if not links.same_origin():
        abort(403)
    copy = preparation.duplicate(get_session(), meeting)
    return redirect(url_for("facilitator.prepare", code=copy.code, key=copy.facilitator_key), code=303)


@bp.post("/admin/networks")
def create_network() -> ResponseReturnValue:
    """A new network, so its meetings remember each other."""
    _require_admin()
    if not links.same_origin():
        abort(403)
    db = get_session()
    form = request.form
    try:
        networks.create_network(db, form.get("name"), form.get("territory"), form.get("scale", ""))
    except KitError as error:
        db.rollback()
        return redirect(url_for("facilitator.admin", error=str(error.message)), code=303)
    return redirect(url_for("facilitator.admin") + "#networks", code=303)


@bp.get("/networks/<int:network_id>")
def network(network_id: int) -> ResponseReturnValue:
    """A network's meetings, the needs waiting for its next meeting, and its members' directory."""
    require_network(network_id)
    return _network_page(networks.get_network(get_session(), network_id))


def _network_page(found: Network, status: int = 200, **extra: object) -> ResponseReturnValue:
    db = get_session()
    return render_template(
        "network.html",
        network=found,
        waiting=networks.waiting_needs(db, found.id),
        need_text=networks.need_text,
        directory=networks.directory(db, found.id, request.args.get("q", "")[:100]),
        search=request.args.get("q", "")[:100],
        hosts=networks.hosts(found),
        roadmap=networks.roadmap_as_it_stands(db, found.id),
        roadmap_progress=PROGRESS,
        next_host=networks.next_host(db, found),
        scales=networks.SCALES,
        links=links,
        places=_places_of(found),
        mail_error=request.args.get("mail_error", "")[:300],
        mail_saved=request.args.get("mail_saved") == "1",
        newsletter_mail=mailing.newsletter_progress(get_session(), found, utcnow().date()),
        mail_ready=mailing.is_set_up(current_app.config),
        publishing_keys=keys.network_keys(db, found),
        masked_key=keys.masked(found.publish_key),
        public_saved=request.args.get("public_saved") == "1",
        chat_choices=webhook.CHOICES,
        masked_chat=webhook.masked_address(found.chat_webhook_url),
        chat_saved=request.args.get("chat_saved") == "1",
        **extra,
    ), status


@bp.post("/networks/<int:network_id>/public-kit")
def public_kit_target(network_id: int) -> ResponseReturnValue:
    """On a laptop: the network's public kit (its address) and the publishing key it gave."""
    db = get_session()
    found = _posted_network(network_id)
    try:
        public_kit.set_target(db, found, request.form.get("publish_url", ""), request.form.get("publish_key", ""))
    except KitError as error:
        db.rollback()
        db.expire_all()
        return _network_page(found, 400, public_error=str(error.message), public_form=request.form)
    target = url_for("facilitator.network", network_id=network_id, public_saved=1)
    return redirect(target + "#public-kit-title", code=303)


@bp.post("/networks/<int:network_id>/chat")
def network_chat(network_id: int) -> ResponseReturnValue:
    """The network's own chat channel: its webhook address and the payload it reads."""
    db = get_session()
    found = _posted_network(network_id)
    form = request.form
    try:
        webhook.set_network_chat(
            db, found, form.get("chat_webhook_url", ""), form.get("chat_format", ""), remove=form.get("remove") == "yes"
        )
    except KitError as error:
        db.rollback()
        db.expire_all()
        field = getattr(error, "field", None)
        return _network_page(found, 400, chat_error=str(error.message), chat_error_field=field, chat_form=form)
    return redirect(url_for("facilitator.network", network_id=network_id, chat_saved=1) + "#chat-title", code=303)


@bp.post("/networks/<int:network_id>/publishing-keys")
def create_publishing_key(network_id: int) -> ResponseReturnValue:
    """On a public kit: a new key for the network's laptops, shown this once."""
    db = get_session()
    found = _posted_network(network_id)
    new_key = keys.create_key(db, found)
    response = _network_page(found, new_key=new_key)
    return response


@bp.post("/networks/<int:network_id>/publishing-keys/<int:key_id>/revoke")
def revoke_publishing_key(network_id: int, key_id: int) -> ResponseReturnValue:
    """On a public kit: the laptops that hold this key can no longer publish."""
    db = get_session()
    found = _posted_network(network_id)
    keys.revoke(db, found, key_id)
    return redirect(url_for("facilitator.network", network_id=network_id) + "#keys-title", code=303)


@bp.post("/networks/<int:network_id>/mailing-list")
def mailing_list(network_id: int) -> ResponseReturnValue:
    """The network's own list address(es): the minutes sent by email go there too."""
    db = get_session()
    found = _posted_network(network_id)
    try:
        mailing.set_list_addresses(db, found, request.form.get("mailing_list", "")[:20_000])
    except KitError as error:
        db.rollback()
        target = url_for("facilitator.network", network_id=network_id, mail_error=str(error.message))
        return redirect(target + "#mailing-title", code=303)
    return redirect(url_for("facilitator.network", network_id=network_id, mail_saved=1) + "#mailing-title", code=303)


def _places_of(found: Network) -> dict[str, object]:
    """The network page's places: filtered by commune, service and public, with counts by service."""
    args = request.args
    selection = places.select_places(
        places.network_places(get_session(), found.id),
        args.get("commune", "")[:200],
        args.get("service", "")[:200],
        args.get("public", "")[:200],
    )
    return {
        "selection": selection,
        "notice": args.get("places_notice", "")[:300],
        "error": args.get("places_error", "")[:300],
    }


@bp.route("/m/<code>/minutes", methods=["GET", "POST"])
def edit_minutes(code: str) -> ResponseReturnValue:
    """Review and edit the draft minutes (Markdown, with a preview), then publish them from here."""
    meeting = _meeting_with_key(code, "facilitator_key")
    db = get_session()
    if request.method == "POST":
        if not links.same_origin():
            abort(403)
        try:
            lifecycle.edit_minutes(db, meeting, request.form.get("minutes"))
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            if request.form.get("action") == "publish" and meeting.status == "closed":
                lifecycle.publish(db, meeting)
                broadcast_after_publish(meeting)
                public_kit.announce_when_published(app, meeting, broadcast.public_kit_changed)
            else:
                # edited after publishing: the network's public kit gets the new text
                public_kit.send_if_needed(app, meeting, broadcast.public_kit_changed)
        except KitError as error:
            db.rollback()
            return render_template(
                "minutes_edit.html",
                meeting=meeting,
                links=links,
                draft=request.form.get("minutes", ""),
                preview=to_safe_html(request.form.get("minutes", "") or ""),
                error=str(error.message),
            ), 400
        return redirect(
            url_for("facilitator.edit_minutes", code=meeting.code, key=meeting.facilitator_key, saved=1), code=303
        )
    draft = meeting.minutes_md or ""
    return render_template(
        "minutes_edit.html",
        meeting=meeting,
        links=links,
        draft=draft,
        preview=to_safe_html(draft),
        saved=request.args.get("saved"),
    )


def _draft(meeting: Meeting) -> str:
    """The minutes as they stand: written from what was sent so far while the meeting is prepared or
    live (it may end early: nothing is left empty), the reviewed minutes once it is closed."""
    if meeting.minutes_md and meeting.status in ("closed", "published"):
        return meeting.minutes_md
    return build_markdown(get_session(), meeting)


@bp.get("/m/<code>/minutes/draft")
def draft_minutes(code: str) -> str:
    """The draft minutes at any moment, as the published page would show them (made safe)."""
    meeting = _meeting_with_key(code, "facilitator_key")
    return render_template("minutes_draft.html", meeting=meeting, links=links, preview=to_safe_html(_draft(meeting)))


@bp.get("/m/<code>/minutes/draft.md")
def draft_minutes_markdown(code: str) -> Response:
    """The draft minutes at any moment, as a Markdown file."""
    meeting = _meeting_with_key(code, "facilitator_key")
    name = preparation.template_name(meeting.title)
    return file_response(_draft(meeting), "text/markdown; charset=utf-8", f"{name}-brouillon.md", attachment=True)


@bp.get("/m/<code>/minutes/draft.yeswiki.txt")
def draft_minutes_yeswiki(code: str) -> Response:
    """The draft minutes at any moment, in YesWiki's syntax (to paste into a wiki page)."""
    meeting = _meeting_with_key(code, "facilitator_key")
    name = preparation.template_name(meeting.title)
    return file_response(
        yeswiki.from_markdown(_draft(meeting)), "text/plain; charset=utf-8", f"{name}-brouillon-yeswiki.txt"
    )


@bp.post("/m/<code>/minutes/preview")
def preview_minutes(code: str) -> Response:
    """The Markdown being edited, as the published page will show it (already made safe)."""
    _meeting_with_key(code, "facilitator_key")
    if not links.same_origin():
        abort(403)
    source = request.form.get("minutes", "")
    return Response(to_safe_html(source[:200_000]), content_type="text/html; charset=utf-8")


def broadcast_after_publish(meeting: Meeting) -> None:
    """Phones and the screen hear the minutes are out, as when the console publishes."""
    broadcast.meeting_changed(get_session(), meeting)


@bp.post("/networks/<int:network_id>/newsletter/send")
def send_newsletter(network_id: int) -> ResponseReturnValue:
    """Today's newsletter draft to the network's list address(es), in the background, once a day."""
    db = get_session()
    found = _posted_network(network_id)
    today = utcnow().date()
    try:
        mailing.queue_newsletter(db, found, today)
    except KitError as error:
        db.rollback()
        target = url_for("facilitator.network", network_id=network_id, mail_error=str(error.message))
        return redirect(target + "#mailing-title", code=303)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mailing.start_newsletter(app, found, today, str(get_locale() or "fr"))
    return redirect(url_for("facilitator.network", network_id=network_id) + "#mailing-title", code=303)


@bp.get("/networks/<int:network_id>/newsletter.md")
def newsletter(network_id: int) -> Response:
    """A draft newsletter for the months without a meeting, to copy or download."""
    require_network(network_id)
    db = get_session()
    found = networks.get_network(db, network_id)
    body = newsletter_content.build(db, found, str(get_locale() or "fr"))
    return file_response(body, "text/markdown; charset=utf-8", f"{preparation.template_name(found.name)}-lettre.md")


@bp.get("/networks/<int:network_id>/newsletter.yeswiki.txt")
def newsletter_yeswiki(network_id: int) -> Response:
    """The newsletter draft in YesWiki's syntax, to paste into the network's wiki."""
    require_network(network_id)
    db = get_session()
    found = networks.get_network(db, network_id)
    body = yeswiki.from_markdown(newsletter_content.build(db, found, str(get_locale() or "fr")))
    return file_response(
        body, "text/plain; charset=utf-8", f"{preparation.template_name(found.name)}-lettre-yeswiki.txt"
    )


@bp.get("/networks/<int:network_id>/newsletter.html")
def newsletter_file(network_id: int) -> Response:
    """The newsletter draft as one HTML file, to send or put on a shared drive as it is."""
    require_network(network_id)
    db = get_session()
    found = networks.get_network(db, network_id)
    body = standalone.newsletter_file(db, found, language=str(get_locale() or "fr"))
    name = standalone.file_name(f"{found.name} lettre", utcnow().date())
    return standalone_download(body, name)


@bp.get("/networks/<int:network_id>/export.json")
def export_network(network_id: int) -> Response:
    """The whole network as one JSON file, to move it to another kit server (keep it private)."""
    require_network(network_id)
    db = get_session()
    found = networks.get_network(db, network_id)
    response = jsonify(transfer.export_network(db, found))
    response.headers["Content-Disposition"] = f'attachment; filename="{preparation.template_name(found.name)}.json"'
    return response


@bp.post("/admin/networks/import")
def import_network() -> ResponseReturnValue:
    """A network exported from another kit server, all or nothing."""
    _require_admin()
    if not links.same_origin():
        abort(403)
    upload = request.files.get("file")
    db = get_session()
    try:
        try:
            data = json.loads(upload.read()) if upload else None
        except (ValueError, UnicodeDecodeError):
            data = None
        network = transfer.import_network(db, data)
    except KitError as error:
        return redirect(url_for("facilitator.admin", error=str(error.message)), code=303)
    return redirect(url_for("facilitator.network", network_id=network.id), code=303)

"""Signing in to a kit on a server, and a network's members (accounts are off on a laptop).

Every page here answers 404 on a laptop (`ACCOUNTS` off): there, the admin link rules.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from kit.core.db import get_session
from kit.core.errors import KitError
from kit.core.extensions import socketio
from kit.core.models import User
from kit.network import accounts, networks
from kit.publishing import links
from kit.publishing.mail import Letter, MailError, send_one

log = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__)


def accounts_on() -> bool:
    return bool(current_app.config.get("ACCOUNTS"))


def signed_in() -> User | None:
    """The signed-in account, when accounts are on."""
    if not accounts_on() or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.before_request
def only_on_a_server() -> None:
    if not accounts_on():
        abort(404)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Ask for a link: the same answer whether the address has an account or not."""
    if request.method == "GET":
        return render_template("sign_in.html", sent=False, email="")
    if not links.same_origin():
        abort(403)
    db = get_session()
    typed = request.form.get("email", "")[:320]
    try:
        made = accounts.new_sign_in_link(db, typed)
    except KitError as error:
        return render_template("sign_in.html", sent=False, email=typed, error=str(error.message)), 400
    if made is not None:
        user, token = made
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        letter = _sign_in_letter(user, links.external("accounts.use_link", token=token))
        socketio.start_background_task(_send, app, letter)
    return render_template("sign_in.html", sent=True, email=typed)


def _sign_in_letter(user: User, url: str) -> Letter:
    with force_locale(current_app.config["DEFAULT_LANGUAGE"]):
        subject = _("Your link to sign in to kit")
        text = "\n\n".join(
            (
                _("To sign in to kit, open this link within 15 minutes. It works once."),
                url,
                _("If you did not ask for it, ignore this email: nobody can sign in without the link."),
            )
        )
        html = render_template("mail/sign_in.html", url=url, subject=subject)
    return Letter(user.email, subject, text, html, url)


def _send(app: Flask, letter: Letter) -> None:
    try:
        send_one(app.config, letter)
    except MailError as error:
        log.warning("the sign-in link to %s was not sent: %s", letter.to, error.detail)


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def use_link(token: str) -> ResponseReturnValue:
    """GET asks once (mail programs open links to check them: that must not spend it); POST signs in."""
    db = get_session()
    if request.method == "GET":
        if not accounts.link_is_valid(db, token):
            message = _("This sign-in link has expired or was already used. Ask for a new one.")
            return render_template("error.html", message=message), 404
        return render_template("sign_in_confirm.html")
    if not links.same_origin():
        abort(403)
    try:
        user = accounts.use_sign_in_link(db, token)
    except KitError as error:
        return render_template("error.html", message=str(error.message)), error.status
    login_user(user, remember=True)
    return redirect(url_for("facilitator.admin"), code=303)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    if not links.same_origin():
        abort(403)
    logout_user()
    return redirect(url_for("accounts.sign_in"), code=303)


# -- a network's members ----------------------------------------------------------------------------
def _coordinated(network_id: int):  # type: ignore[no-untyped-def]
    """The network, for its coordinators and the administrators; anyone else is refused."""
    user = signed_in()
    if user is None or not accounts.may(user, network_id, "coordinator"):
        abort(403)
    return user, networks.get_network(get_session(), network_id)


@bp.get("/networks/<int:network_id>/members")
def members(network_id: int) -> ResponseReturnValue:
    user, network = _coordinated(network_id)
    return render_template(
        "members.html",
        network=network,
        members=accounts.members(get_session(), network),
        roles=accounts.ROLES,
        me=user,
        error=request.args.get("error", "")[:300],
    )


@bp.post("/networks/<int:network_id>/members")
def change_members(network_id: int) -> ResponseReturnValue:
    """Invite someone (their sign-in is by the usual link), change a role, or remove a member."""
    user, network = _coordinated(network_id)
    if not links.same_origin():
        abort(403)
    db = get_session()
    form = request.form
    try:
        action = form.get("action")
        chosen = int(form["id"]) if form.get("id", "").isdigit() else None
        if action == "invite":
            accounts.invite(db, network, form.get("email", "")[:320], form.get("role"))
        elif action == "role":
            accounts.set_role(db, network, chosen, form.get("role"), user)
        elif action == "remove":
            accounts.remove_member(db, network, chosen, user)
        else:
            abort(400)
    except KitError as error:
        db.rollback()
        return redirect(url_for("accounts.members", network_id=network_id, error=str(error.message)), code=303)
    return redirect(url_for("accounts.members", network_id=network_id), code=303)

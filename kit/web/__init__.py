"""The pages: public ones (home, join, phone, minutes) and the facilitator's (admin, console, screen)."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from kit.core.errors import KitError
from kit.core.i18n import content_lang
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import to_safe_html, web_address
from kit.web import accounts, api, facilitator, places, public


def register_web(app: Flask) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(facilitator.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(api.bp)
    register_template_helpers(app)

    @app.errorhandler(KitError)
    def refused(error: KitError):  # type: ignore[no-untyped-def]
        return render_template("error.html", message=str(error.message)), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        messages = {
            404: _("This page does not exist. Check the address, or type the meeting code on the home page."),
            403: _("This page is not open to you."),
            413: _("What you sent is too big."),
        }
        message = messages.get(error.code or 500, _("The request could not be handled."))
        return render_template("error.html", message=message), error.code

    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        # no inline script, style or plug-in anywhere: text people typed can never run as code
        # a page that lets kit's own pages frame it (a template's preview) says so with X-Frame-Options
        framed = response.headers.get("X-Frame-Options") == "SAMEORIGIN"
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host, framed))
        # links carry secrets: never leak them to another site through Referer
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint in PERSONAL_PAGES:
            response.headers["Cache-Control"] = "no-store"
        return response


# pages that carry someone's own secret (a participant's token, a member's personal link) in their
# body or links; the facilitator's pages all do, and say so in their blueprint
PERSONAL_PAGES = frozenset(
    {"public.phone", "public.mine", "public.delete_own", "public.own_entry", "public.mail_stop", "places.edit_sheet"}
)


_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def content_security_policy(host: str, framed: bool = False) -> str:
    """kit's pages load only kit's own files, talk only to kit, and may not be framed or re-based.

    The live pages' WebSocket is named with the page's own host: some browsers do not count
    ws:// and wss:// as 'self'.
    """
    # the Host header is the client's to write: only a plain host[:port] goes into the policy
    sockets = f" ws://{host} wss://{host}" if _PLAIN_HOST.fullmatch(host) else ""
    return "; ".join(
        (
            "default-src 'self'",
            f"connect-src 'self'{sockets}",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'" if framed else "frame-ancestors 'none'",
            "form-action 'self'",
        )
    )


STATUS_LABELS = {
    "prepared": _l("In preparation"),
    "live": _l("In progress"),
    "closed": _l("Closed"),
    "published": _l("Minutes published"),
}


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def helpers() -> dict[str, object]:
        return {
            "current_lang": lambda: str(get_locale() or "fr"),
            "content_lang": content_lang,
            "status_label": lambda status: str(STATUS_LABELS.get(status, status)),
        }

    @app.template_filter("format_date_long")
    def format_date_long(value: date) -> str:
        return format_date(value, "long")

    @app.template_filter("web_address")
    def web_address_filter(value: object) -> str | None:
        # a link is checked where it is shown too: None when it is not an http(s) address
        return web_address(value)

    @app.template_filter("safe_markdown")
    def safe_markdown(source: str) -> Markup:
        # to_safe_html keeps only plain structure: the result may be inserted as is
        return Markup(to_safe_html(source))

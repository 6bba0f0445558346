"""kit behind a reverse proxy: which forwarded headers to believe, which host names to answer.

Applied around the whole application, the live layer's Socket.IO handshake included, once
create_app has bound everything: outermost Werkzeug's ProxyFix (PROXY_HOPS trusted proxies),
then the host check (ALLOWED_HOSTS), then Socket.IO, then the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# a year: a browser that once reached kit over HTTPS never tries plain HTTP for it again
HSTS = "max-age=31536000"


def allowed_hosts(app: Flask) -> list[str] | None:
    """ALLOWED_HOSTS as a list (KIT_ALLOWED_HOSTS may be JSON or "a.org,b.org"); None: any host."""
    hosts = app.config.get("ALLOWED_HOSTS")
    if not hosts:
        return None
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    return [host.strip() for host in hosts if host.strip()]


def behind_proxy(app: Flask) -> None:
    """Wrap the application: trusted proxies first, then the host check; cookies and HSTS per request."""
    hosts = allowed_hosts(app)
    app.session_interface = HttpsAwareSessionInterface()
    wrapped: WSGIApp = app.wsgi_app
    if hosts is not None:
        wrapped = HostCheck(wrapped, hosts, "socket.io")
    hops = int(app.config.get("PROXY_HOPS") or 0)
    wrapped = forwarded_headers_consumed(wrapped)
    if hops > 0:
        # the client's address, scheme, host and port as the last `hops` proxies saw them; with 0,
        # whatever X-Forwarded-* a client writes is ignored
        wrapped = ProxyFix(wrapped, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.wsgi_app = wrapped  # type: ignore[method-assign, assignment]

    @app.before_request
    def refuse_host():  # type: ignore[no-untyped-def]
        if request.environ.get(REFUSED_HOST):
            message = _("This address is not served here. Open the link the organiser gave you.")
            return render_template("error.html", message=message), 400
        return None

    @app.after_request
    def strict_transport(response):  # type: ignore[no-untyped-def]
        # only over HTTPS (as the trusted proxy says): on the laptop's plain HTTP it would be ignored at
        # best, and a browser told so for a LAN address could not reach the next room's kit
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def forwarded_headers_consumed(wsgi_app: WSGIApp) -> WSGIApp:
    """WSGI middleware: drop the X-Forwarded-* headers once ProxyFix has read what it trusts of them.

    The Socket.IO server otherwise reads X-Forwarded-Proto and X-Forwarded-Host itself in its
    origin check, whoever wrote them; past this point the scheme and host are ProxyFix's answer.

    A function, not a callable object: every websocket's reader waits inside this call for as long
    as the phone is connected, and Python calls an object's `__call__` through C, which keeps that
    reader's saved stack deeper (about 1 KB a phone, docs/performance.md)."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for name in [name for name in environ if name.startswith("HTTP_X_FORWARDED_")]:
            del environ[name]
        return wsgi_app(environ, start_response)

    return middleware


REFUSED_HOST = "kit.refused_host"


class HostCheck:
    """Refuse a Host header outside ALLOWED_HOSTS (another name pointed at this server: DNS rebinding).

    The Socket.IO handshake is refused here, with a plain 400: it answers before Flask routes
    anything. A page request goes on with the first allowed host in its place and a mark, so that
    Flask answers with its error page (Flask's own TRUSTED_HOSTS refuses before it can build the
    page's links).
    """

    def __init__(self, wsgi_app: WSGIApp, hosts: list[str], socketio_path: str) -> None:
        self.wsgi_app = wsgi_app
        self.hosts = hosts
        self.prefix = "/" + socketio_path.strip("/") + "/"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not host_is_trusted(environ.get("HTTP_HOST"), self.hosts):
            if (environ.get("PATH_INFO", "") + "/").startswith(self.prefix):
                start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"This host name is not served here.\n"]
            environ[REFUSED_HOST] = environ.get("HTTP_HOST") or "-"
            environ["HTTP_HOST"] = self.hosts[0].lstrip(".")
        return self.wsgi_app(environ, start_response)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the page came over HTTPS (through the proxy), or when
    SESSION_COOKIE_SECURE says so; on the laptop's plain HTTP it must not be, or phones lose it."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

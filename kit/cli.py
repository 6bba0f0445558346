"""The `kit` command: serve, prepare a meeting from a template, print the version.

This module imports nothing heavy at the top: `kit serve` must choose the async server (and let
it patch the standard library, for eventlet and gevent) before Flask and its friends are imported.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8000
# eventlet's server serves at most 1,024 connections at once unless told otherwise (each phone's
# websocket holds one until it leaves); KIT_MAX_CONNECTIONS or kit.toml's MAX_CONNECTIONS change it
DEFAULT_MAX_CONNECTIONS = 10_000


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        # late: `kit --version` loads nothing else of kit
        from kit import __version__

        print(f"kit {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "database", None):
        os.environ["KIT_DATABASE_URL"] = args.database
    return int(args.handler(args) or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kit", description="Run the live meetings of a local network.")
    parser.add_argument("--version", action="store_true", help="print the version and stop")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="start the server")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all, so phones can join)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    serve.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in the instance folder)")
    serve.set_defaults(handler=serve_command)

    meeting = commands.add_parser("meeting", help="work with meetings")
    meeting_commands = meeting.add_subparsers(dest="meeting_command", required=True)
    new = meeting_commands.add_parser("new", help="prepare a meeting from a template file and print its links")
    new.add_argument("template", type=Path, help="a meeting template, e.g. sessions/rencontre-mensuelle.toml")
    new.add_argument("--title")
    new.add_argument("--date", help="YYYY-MM-DD")
    new.add_argument("--place", default="")
    new.add_argument("--host", default="0.0.0.0", help="the address kit serve listens on (for the links)")
    new.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    new.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in the instance folder)")
    new.set_defaults(handler=meeting_new_command)

    backup = commands.add_parser("backup", help="copy the SQLite database to FILE, even while kit runs")
    backup.add_argument("file", type=Path)
    backup.add_argument("--database", help="SQLAlchemy URL (default: the SQLite file in the instance folder)")
    backup.set_defaults(handler=backup_command)
    restore = commands.add_parser(
        "restore", help="put a backup FILE in place of the database (refused while kit serve runs on it)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--database", help="SQLAlchemy URL (default: the SQLite file in the instance folder)")
    restore.set_defaults(handler=restore_command)
    forget = commands.add_parser(
        "forget", help="erase who came and who said what in meetings closed more than N days ago (safe from cron)"
    )
    forget.add_argument("--days", type=int, help="default: KIT_RETENTION_DAYS")
    forget.add_argument("--database", help="SQLAlchemy URL (default: the SQLite file in the instance folder)")
    forget.set_defaults(handler=forget_command)

    user = commands.add_parser("user", help="accounts on a server (ACCOUNTS = true): add or remove someone")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="an account for EMAIL (they sign in by a link sent there)")
    add.add_argument("email")
    add.add_argument("--admin", action="store_true", help="an administrator of the whole installation")
    add.add_argument("--network", type=int, help="a network's id, with --role")
    add.add_argument("--role", choices=("coordinator", "facilitator"), default="coordinator")
    add.add_argument("--database", help="SQLAlchemy URL (default: the SQLite file in the instance folder)")
    add.set_defaults(handler=user_add_command)
    remove = user_commands.add_parser("remove", help="delete EMAIL's account (never the last administrator)")
    remove.add_argument("email")
    remove.add_argument("--database", help="SQLAlchemy URL (default: the SQLite file in the instance folder)")
    remove.set_defaults(handler=user_remove_command)
    return parser


def _patch_for_async_mode() -> str:
    """Let eventlet or gevent patch the standard library before anything else is imported.

    The mode stays a setting (KIT_ASYNC_MODE); kit's own code never imports either library.
    """
    mode = os.environ.get("KIT_ASYNC_MODE", "eventlet")
    if mode == "eventlet":
        # kit knows eventlet is in maintenance mode; the setting offers gevent and threading
        warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")
        importlib.import_module("eventlet").monkey_patch()
    elif mode == "gevent":
        importlib.import_module("gevent.monkey").patch_all()
    return mode


def serve_command(args: argparse.Namespace) -> int:
    _patch_for_async_mode()
    # late, as the module docstring says: the async server patches the standard library first
    from kit import create_app
    from kit.core import backup
    from kit.core.extensions import socketio
    from kit.web.lan import public_url
    from kit.web.serving import websockets_wait

    base = os.environ.get("KIT_PUBLIC_URL") or public_url(args.host, args.port)
    app = create_app({"PUBLIC_URL": base})
    # held until the process ends: `kit restore` refuses while it is
    serving = backup.hold_while_serving(app.config["DATABASE_URL"])  # noqa: F841
    local = f"http://127.0.0.1:{args.port}"
    with app.test_request_context(base_url=local):
        print(_banner(app, local), flush=True)
    _tune_garbage_collector()
    connections = int(app.config.get("MAX_CONNECTIONS") or DEFAULT_MAX_CONNECTIONS)
    server_options = _server_options(socketio.async_mode, float(app.config["REQUEST_TIMEOUT"]))
    app.wsgi_app = websockets_wait(app.wsgi_app)  # type: ignore[method-assign, assignment]
    if socketio.async_mode == "eventlet":
        server_options["max_size"] = connections
    _raise_file_limit(connections + 100)
    try:
        socketio.run(
            app, host=args.host, port=args.port, log_output=False, allow_unsafe_werkzeug=True, **server_options
        )
    except OSError as error:
        from flask_babel import gettext as _

        with app.test_request_context():
            print(
                _(
                    "kit cannot listen on %(address)s: %(reason)s. Is another program using this port? "
                    "Try --port %(other)d.",
                    address=f"{args.host}:{args.port}",
                    reason=error.strerror or error,
                    other=args.port + 1,
                ),
                file=sys.stderr,
            )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _server_options(mode: str, timeout: float) -> dict[str, object]:
    """The server's options, spelt its own way by each server: a connection silent for `timeout`
    seconds before its request is read is closed, its buffers are small, as each websocket keeps
    them while it stays open, and what is written to it leaves at once (kit.web.serving)."""
    # late, as the module docstring says: the async server patches the standard library first
    from kit.web.serving import CONNECTION_BUFFER, send_at_once, werkzeug_handler

    if mode == "eventlet":
        wsgi = importlib.import_module("eventlet.wsgi")

        class Protocol(wsgi.HttpProtocol):  # type: ignore[misc, name-defined]
            rbufsize = wbufsize = CONNECTION_BUFFER

            def setup(self) -> None:
                send_at_once(self.request)
                super().setup()

        # the request line, each header read and each body read; keepalive: the wait for the next request
        return {"socket_timeout": timeout, "keepalive": timeout, "protocol": Protocol}
    if mode == "gevent":
        pywsgi = importlib.import_module("gevent.pywsgi")

        class TimedHandler(pywsgi.WSGIHandler):  # type: ignore[misc, name-defined]
            def __init__(self, sock: Any, address: Any, server: Any) -> None:
                # gevent writes to the socket itself; only its reads are buffered
                super().__init__(sock, address, server, rfile=sock.makefile("rb", CONNECTION_BUFFER))
                send_at_once(sock)

            def handle(self) -> None:
                self.socket.settimeout(timeout)
                super().handle()

        return {"handler_class": TimedHandler}
    return {"request_handler": werkzeug_handler(timeout)}


def _tune_garbage_collector() -> None:
    """Fewer, shorter pauses of Python's cycle collector while a big room is live.

    Everything loaded at start-up (Flask, SQLAlchemy, templates) is frozen out of the collector's
    scans, and the youngest generation is collected every 50,000 allocations instead of 700: with
    1,000 phones connected, full collections otherwise paused the server for tens of ms at a time
    (docs/performance.md). Reference counting still frees almost everything at once.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)


def _raise_file_limit(wanted: int) -> None:
    """Let the process hold one file descriptor per connection (the soft limit is often 1,024).

    Raised up to the hard limit only; past that the system's administrator decides (docs/deployment.md).
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def _banner(app, local: str) -> str:  # type: ignore[no-untyped-def]
    """What `kit serve` prints: the admin link, where phones join, and the join QR code."""
    from flask_babel import gettext as _
    from sqlalchemy import select

    # late, as the module docstring says: the async server patches the standard library first
    from kit.core.db import get_session
    from kit.core.models import Meeting, Status
    from kit.publishing import links
    from kit.web import qr

    # the meeting people are most likely about to join: the newest one not yet closed
    upcoming = (
        get_session()
        .scalars(
            select(Meeting)
            .where(Meeting.status.in_([Status.PREPARED.value, Status.LIVE.value]))
            .order_by(Meeting.created_at.desc())
        )
        .first()
    )
    join = links.join_url(upcoming) if upcoming else links.home_url()
    if app.config.get("ACCOUNTS"):
        # on a server, people sign in with their address; the admin link opens nothing there
        lines = [_("kit is running. Sign in at:"), "", f"    {local}/sign-in", ""]
    else:
        admin = f"{local}/admin?token={app.config['ADMIN_TOKEN']}"
        lines = [_("kit is running. Facilitator, open this admin link (keep it private):"), "", f"    {admin}", ""]
    if upcoming:
        lines.append(
            _(
                'Phones join "%(title)s" at %(url)s (code %(code)s)',
                title=upcoming.title,
                url=join,
                code=upcoming.display_code,
            )
        )
    else:
        lines.append(_("Phones join at %(url)s", url=join))
    lines.append(qr.terminal(join))
    lines.append(
        _(
            "Database: %(url)s   Instance folder: %(folder)s",
            url=_safe_url(app.config["DATABASE_URL"]),
            folder=app.instance_path,
        )
    )
    lines.append(_("Stop with Ctrl+C."))
    return "\n".join(lines)


def meeting_new_command(args: argparse.Namespace) -> int:
    from datetime import date

    # late, as the module docstring says: the async server patches the standard library first
    from kit import create_app
    from kit.core.db import get_session
    from kit.core.errors import KitError
    from kit.core.extensions import server_context
    from kit.meeting import lifecycle
    from kit.meeting.templates import load_template
    from kit.publishing import links
    from kit.web.lan import public_url

    base = os.environ.get("KIT_PUBLIC_URL") or public_url(args.host, args.port)
    app = create_app({"PUBLIC_URL": base, "ASYNC_MODE": "threading"})
    with server_context(app):
        try:
            template = load_template(args.template)
            meeting_date = date.fromisoformat(args.date) if args.date else None
            meeting = lifecycle.create_meeting(
                get_session(), template, title=args.title, meeting_date=meeting_date, place=args.place
            )
        except KitError as error:
            print(f"kit: {error.message}", file=sys.stderr)
            return 1
        except ValueError:
            print(f"kit: the date {args.date!r} is not valid; write it as YYYY-MM-DD.", file=sys.stderr)
            return 1
        print(f"meeting: {meeting.title}")
        print(f"code:    {meeting.display_code}")
        print(f"console: {links.console_url(meeting)}")
        print(f"screen:  {links.screen_url(meeting)}")
        print(f"join:    {links.join_url(meeting)}")
    return 0


def _cli_app():  # type: ignore[no-untyped-def]
    """The settings and translations of `kit serve`, without the database or the live layer."""
    from flask import Flask
    from flask_babel import Babel

    # late, as the module docstring says: the async server patches the standard library first
    from kit.core import settings

    app = Flask("kit", instance_path=settings.instance_path(None), root_path=str(settings.PACKAGE_ROOT))
    settings.configure(app, None)
    Babel(app, default_locale=app.config["DEFAULT_LANGUAGE"])
    return app


def _in_default_language(work: Callable[[str], list[str]]) -> int:
    """Run `work(database_url)` speaking kit's default language; print its lines, or its refusal."""
    from flask_babel import force_locale

    # late, as the module docstring says: the async server patches the standard library first
    from kit.core.errors import KitError

    app = _cli_app()
    with app.app_context(), force_locale(app.config["DEFAULT_LANGUAGE"]):
        try:
            lines = work(app.config["DATABASE_URL"])
        except KitError as error:
            print(f"kit: {error.message}", file=sys.stderr)
            return 1
        for line in lines:
            print(line)
    return 0


def backup_command(args: argparse.Namespace) -> int:
    from flask_babel import gettext as _

    # late, as the module docstring says: the async server patches the standard library first
    from kit.core import backup

    def work(database_url: str) -> list[str]:
        written = backup.backup(database_url, args.file)
        return [_("Backup written to %(path)s.", path=str(written))]

    return _in_default_language(work)


def restore_command(args: argparse.Namespace) -> int:
    from flask_babel import gettext as _

    # late, as the module docstring says: the async server patches the standard library first
    from kit.core import backup

    def work(database_url: str) -> list[str]:
        kept = backup.restore(database_url, args.file)
        lines = [_("Restored from %(path)s.", path=str(args.file))]
        if kept:
            lines.append(_("The database it replaced is kept at %(path)s.", path=str(kept)))
        return lines

    return _in_default_language(work)


def forget_command(args: argparse.Namespace) -> int:
    from flask_babel import ngettext

    # late, as the module docstring says: the async server patches the standard library first
    from kit import create_app
    from kit.core.db import get_session
    from kit.meeting.privacy import forget_old_meetings

    app = create_app({"ASYNC_MODE": "threading"})
    with app.test_request_context():
        days = args.days if args.days is not None else app.config["RETENTION_DAYS"]
        if not isinstance(days, int) or days < 1:
            from flask_babel import gettext as _

            print(
                "kit: " + _("Say after how many days: kit forget --days 365, or set KIT_RETENTION_DAYS."),
                file=sys.stderr,
            )
            return 1
        erased = forget_old_meetings(get_session(), days)
        print(ngettext("%(num)d meeting made anonymous.", "%(num)d meetings made anonymous.", len(erased)))
    return 0


def user_add_command(args: argparse.Namespace) -> int:
    # late, as the module docstring says: the async server patches the standard library first
    from kit import create_app
    from kit.core.db import get_session
    from kit.core.errors import KitError
    from kit.network import accounts, networks

    app = create_app(_database_config(args))
    with app.test_request_context():
        db = get_session()
        try:
            added = accounts.add_user(db, args.email, admin=args.admin)
            if args.network is not None:
                accounts.invite(db, networks.get_network(db, args.network), added.email, args.role)
        except KitError as error:
            print("kit: " + str(error.message), file=sys.stderr)
            return 1
        print(added.email)
    return 0


def user_remove_command(args: argparse.Namespace) -> int:
    # late, as the module docstring says: the async server patches the standard library first
    from kit import create_app
    from kit.core.db import get_session
    from kit.core.errors import KitError
    from kit.network import accounts

    app = create_app(_database_config(args))
    with app.test_request_context():
        db = get_session()
        found = accounts.user_by_email(db, args.email)
        if found is None:
            from flask_babel import gettext as _

            print("kit: " + _("No account has this address."), file=sys.stderr)
            return 1
        try:
            accounts.remove_user(db, found)
        except KitError as error:
            print("kit: " + str(error.message), file=sys.stderr)
            return 1
    return 0


def _database_config(args: argparse.Namespace) -> dict[str, object]:
    config: dict[str, object] = {"ASYNC_MODE": "threading"}
    if getattr(args, "database", None):
        config["DATABASE_URL"] = args.database
    return config


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())

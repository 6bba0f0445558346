"""Settings: defaults, then the instance folder's kit.toml, then KIT_* environment variables,
then the mapping given to create_app.

Secrets that must survive a restart (the cookie key, the admin token) live in the instance
folder, created on first start.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

# kit/ (this file is kit/core/settings.py)
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PROJECT_ROOT = PACKAGE_ROOT.parent
# the meeting templates kit ships: kit/sessions/ once installed from a wheel (pyproject's
# force-include), sessions/ at the top of a clone or an editable install
BUNDLED_SESSIONS = next(
    (folder for folder in (PACKAGE_ROOT / "sessions", PROJECT_ROOT / "sessions") if folder.is_dir()),
    PACKAGE_ROOT / "sessions",
)

DEFAULTS: dict[str, Any] = {
    # where the SQLite file and the secrets live; None means the instance folder
    "DATABASE_URL": None,
    "ASYNC_MODE": "eventlet",
    "MESSAGE_QUEUE": None,
    # the queue's channel; None means one derived from the secret key, so two installations
    # sharing one Redis never hear each other, and the processes of one installation do
    "MESSAGE_QUEUE_CHANNEL": None,
    # e.g. "http://192.168.1.20:8000"; None means work it out from the address served on
    "PUBLIC_URL": None,
    "SESSIONS_DIRS": None,
    # reverse proxies in front of kit whose X-Forwarded-For/-Proto/-Host/-Port are believed (Caddy or
    # nginx on the same server: 1); 0 believes none, so a client cannot pass itself off as HTTPS
    "PROXY_HOPS": 0,
    # host names kit answers to (e.g. ["kit.example.org"]); None answers any: on the laptop the LAN
    # address changes with the room. A server sets it, against DNS rebinding
    "ALLOWED_HOSTS": None,
    "DEFAULT_LANGUAGE": "fr",
    "MAX_TEXT_LENGTH": 1000,
    "MAX_NAME_LENGTH": 60,
    "MAX_FIELD_LENGTH": 120,
    # contributions a participant may send per RATE_WINDOW seconds
    "RATE_LIMIT": 20,
    "RATE_WINDOW": 30.0,
    # fair share of the live layer (docs/protocol.md, "Fair share"): for each kind of event, how many
    # one connection may send at once, then how many more a second; a participant's phones share
    # the same budget. Beyond it an event is answered `rate_limited` and not handled. A kind left
    # out of KIT_LIVE_BUDGETS keeps its default; "other" covers the events not named.
    "LIVE_BUDGETS": {
        "sync": [5, 0.5],
        "vote": [40, 4.0],
        "contribute": [30, 2.0],
        "withdraw": [20, 1.0],
        "join": [3, 0.1],
        "give_name": [5, 0.2],
        "console": [120, 20.0],
        "other": [10, 1.0],
    },
    # a phone that has not joined yet: all its events together, on top of the above
    "LIVE_UNJOINED_BUDGET": [4, 0.2],
    # events of one connection waiting while it is handled one at a time; beyond, `rate_limited`
    "LIVE_BACKLOG": 8,
    # refusals within about ten seconds after which a connection is closed (a client that never waits); 0: never
    "LIVE_CLOSE_AFTER": 200,
    # events admitted on all connections together beyond which phones' events are answered
    # `rate_limited` at once, so the screen's and the console's (and their pings) never wait long; 0: never
    "LIVE_SATURATED_AT": 300,
    # an incoming webhook of the network's chat (Mattermost, Slack): published minutes are posted there
    "WEBHOOK_URL": None,
    # the payload that chat reads: auto (guessed from the address), mattermost, slack, rocketchat,
    # matrix (hookshot), discord or tchap (its webhook bot); see kit.publishing.webhook
    "WEBHOOK_FORMAT": "auto",
    # accounts, for a kit on a server shared by several networks (docs/deployment.md): people sign
    # in by a link sent by email and act in the networks they have a role in. Off on a laptop,
    # where the admin link `kit serve` prints rules.
    "ACCOUNTS": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    # sending the minutes by email, through the facilitator's own mail account (docs/guide.md);
    # kept in kit.toml or KIT_* variables, never in the database or an export
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    # "starttls" (port 587), "tls" (port 465) or "none" (a relay on this machine only)
    "SMTP_SECURITY": "starttls",
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    # the sender's address; None means SMTP_USER
    "MAIL_FROM": None,
    # a certificate authority to trust besides the system's (a mail server with a private CA)
    "SMTP_CA_FILE": None,
    "SMTP_TIMEOUT": 20.0,
    # seconds between two tries while the mail server refuses for now (4xx) or cannot be reached
    "MAIL_RETRY_SECONDS": 30.0,
    # tries of one message refused for now before it is given up
    "MAIL_MAX_ATTEMPTS": 5,
    # recipients of one mailing at most: mail accounts cap what they send a day; beyond, a list address
    "MAIL_MAX_RECIPIENTS": 500,
    # sending published minutes to the network's public kit (kit.publishing.public_kit): a certificate
    # authority to trust besides the system's, seconds to wait for an answer, between tries, and tries
    "PUBLISH_CA_FILE": None,
    "PUBLISH_TIMEOUT": 20.0,
    "PUBLISH_RETRY_SECONDS": 30.0,
    "PUBLISH_MAX_ATTEMPTS": 5,
    # on a public kit: the biggest meeting it receives (the minutes, and the venue photo inline)
    "PUBLISH_MAX_BYTES": 8 * 1024 * 1024,
    # days after a meeting's close before `kit forget` erases who came and who said what (None: keep)
    "RETENTION_DAYS": None,
    # seconds between two coalesced count updates sent to phones (and redraws of live results)
    "COUNTS_INTERVAL": 1.0,
    # seconds between two count updates sent to the screen and the console: a vote shows soon
    "SCREEN_COUNTS_INTERVAL": 0.1,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 60,
    # seconds `kit serve` waits for each piece of a client's request (its request line, headers, body)
    # before closing the connection: a client that opens connections and sends nothing holds none for
    # long. A websocket, once open, is watched by Socket.IO's pings instead
    "REQUEST_TIMEOUT": 10.0,
    # a photo of the host venue is the biggest thing anyone sends (kit.core.uploads: 5 MB)
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
}


def instance_path(config: Mapping[str, Any] | None) -> str:
    """The instance folder: from the config mapping, KIT_INSTANCE_PATH, or ./instance."""
    chosen = (config or {}).get("INSTANCE_PATH") or os.environ.get("KIT_INSTANCE_PATH")
    return str(Path(chosen or Path.cwd() / "instance").resolve())


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    # kit.toml holds the same names as the environment, without the KIT_ prefix
    app.config.from_file("kit.toml", load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("KIT")
    if config:
        app.config.from_mapping(config)
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_or_create_secret(folder / "secret-key")
    if not app.config.get("ADMIN_TOKEN"):
        app.config["ADMIN_TOKEN"] = read_or_create_secret(folder / "admin-token")
    if not app.config.get("MESSAGE_QUEUE_CHANNEL"):
        app.config["MESSAGE_QUEUE_CHANNEL"] = queue_channel(app.config["SECRET_KEY"])
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{folder / 'kit.sqlite3'}"
    if not app.config["SESSIONS_DIRS"]:
        app.config["SESSIONS_DIRS"] = [str(BUNDLED_SESSIONS), str(folder / "sessions")]
    elif isinstance(app.config["SESSIONS_DIRS"], str):
        app.config["SESSIONS_DIRS"] = app.config["SESSIONS_DIRS"].split(os.pathsep)


def queue_channel(secret_key: str) -> str:
    """The message queue channel of an installation: its processes share the secret key (they
    must, for cookies), so they share the channel; another installation has another key. A hash,
    so the channel's name, visible to anyone on the Redis, says nothing of the key."""
    digest = hashlib.sha256(b"kit message queue channel\0" + secret_key.encode()).hexdigest()
    return f"kit-{digest[:16]}"


def read_or_create_secret(path: Path) -> str:
    """Read a secret from the instance folder, creating it (owner-readable only) the first time.

    Written aside then linked into place, so two processes starting together agree on one value.
    """
    if not path.exists():
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(24) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text(encoding="utf-8").strip()

"""kit: run the live meetings of a local network and publish their minutes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # nothing heavy at import time: `kit serve` may need to patch the standard library first
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, database, translations, pages and live layer."""
    # late: `import kit` stays light (`kit --version`), and `kit serve` patches the standard library first
    from kit.core import settings
    from kit.core.db import init_db
    from kit.core.extensions import KitFlask, init_extensions
    from kit.live import register_live
    from kit.web import register_web
    from kit.web.proxy import behind_proxy

    app = KitFlask(__name__, instance_path=settings.instance_path(config), instance_relative_config=True)
    settings.configure(app, config)
    init_db(app)
    register_web(app)
    # namespaces first: socketio.init_app binds the ones registered so far
    register_live(app)
    init_extensions(app)
    # last: the trusted proxies and the host check wrap Socket.IO's handshake too
    behind_proxy(app)
    return app

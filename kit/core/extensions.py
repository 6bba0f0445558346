"""The unbound extension objects, bound to the app in create_app."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_socketio import SocketIO

from kit.core.i18n import select_locale

socketio = SocketIO()
babel = Babel()


def init_extensions(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_locale=app.config["DEFAULT_LANGUAGE"],
        default_timezone="Europe/Paris",
    )
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        # one channel per installation (see settings.queue_channel)
        channel=app.config["MESSAGE_QUEUE_CHANNEL"],
        # a contribution is a few KB at most; refuse anything far bigger before parsing it
        max_http_buffer_size=64 * 1024,
        ping_interval=10,
        ping_timeout=20,
    )

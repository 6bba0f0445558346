"""Which language a person sees: French first, English second."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    """A ?lang= choice (remembered), else the browser's preference, else French."""
    if not has_request_context():
        return current_app.config["DEFAULT_LANGUAGE"]
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["DEFAULT_LANGUAGE"]

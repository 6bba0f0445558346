"""Which language a person sees: French first, English second."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import LazyString, force_locale, get_locale, get_translations, gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

LANGUAGES = ("fr", "en")
# where Flask-SocketIO keeps a live connection's own session, in the connection's environ (read
# here and by kit.core.extensions)
SOCKETIO_SESSION = "saved_session"


def select_locale() -> str:
    """A ?lang= choice (remembered), else the browser's preference, else French."""
    if not has_request_context():
        return current_app.config["DEFAULT_LANGUAGE"]
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = _remembered().get("lang")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["DEFAULT_LANGUAGE"]


def _remembered() -> Any:
    """The session, to read: a live connection's own (Flask-SocketIO keeps it in the connection's
    environ) is read as the dict it is. Through `flask.session`, Flask marks it accessed, which
    gives each connection's session an attribute dict it keeps while the phone is connected
    (0.3 KB a phone, docs/performance.md); nothing is sent back to a live connection anyway."""
    saved = request.environ.get(SOCKETIO_SESSION)
    return saved if isinstance(saved, dict) else session


class LazyText(LazyString):
    """A translated message, turned into text when it is used, that is always text in a page.

    Flask-Babel's own lazy string hands Jinja the interpolated message as markup: whatever its
    values carried (a cell of an imported file, a template's step title) became elements. Here,
    as Jinja's own `_()` does, the catalogue's text is trusted and the values are escaped before
    they go in; `str()` still gives the plain text for acks, logs and the terminal.
    """

    def __html__(self) -> Markup:
        string, *rest = self._args
        translated = Markup(gettext(string, *rest))  # the catalogue's text, its placeholders kept
        return translated % self._kwargs if self._kwargs else translated


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """`_l()`: a message translated when used, in the language of whoever reads it."""
    return LazyText(gettext, string, **variables)


def _template_gettext(translate: Any) -> Any:
    """Jinja's "new style" gettext around `translate`: the message is trusted markup and the
    template's values are escaped into it (what `install_gettext_callables(newstyle=True)` does)."""

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        translated = translate(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables  # type: ignore[no-any-return]

    return gettext


def _template_ngettext(translate: Any) -> Any:
    @pass_context
    def ngettext(context: Context, singular: str, plural: str, number: int, **variables: Any) -> str:
        variables.setdefault("num", number)
        translated = translate(singular, plural, number)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables  # type: ignore[no-any-return]

    return ngettext


def template_translations(lang: str) -> dict[str, Any]:
    """The catalogue of `lang`, looked up once, as a template's `_`, `gettext` and `ngettext`:
    passed with a render of many small templates (a card per contribution), it spares each message
    Flask-Babel's search for the current context and locale.

    Kept per app and language: the catalogues are read once at start-up and never change while
    the app runs, and a busy room draws two cards per contribution (the lookup was 2 % of one)."""
    kept: dict[str, dict[str, Any]] = current_app.extensions.setdefault("kit.template_translations", {})
    callables = kept.get(lang)
    if callables is None:
        with force_locale(lang):  # whatever the caller's locale: kept, it is `lang`'s for good
            translations = get_translations()
        gettext = _template_gettext(translations.ugettext)
        callables = {"_": gettext, "gettext": gettext, "ngettext": _template_ngettext(translations.ungettext)}
        kept[lang] = callables
    return callables


def content_lang_for(meeting: object, page_lang: str) -> Callable[[object], Markup]:
    """`content_lang` for a fragment drawn in `page_lang` that shows only this meeting's content
    (a contribution's card): the attribute worked out once, not for each card and view."""
    attribute = _lang_attribute(meeting, page_lang)
    return lambda _source: attribute


def content_lang(source: object) -> Markup:
    """` lang="fr"` on what people and the facilitator wrote (titles, prompts, contributions) when
    the page speaks another language than the meeting, so a screen reader reads it as French;
    nothing when both agree. `source` is a meeting, a step or a contribution."""
    meeting = getattr(source, "meeting", None) or getattr(getattr(source, "step", None), "meeting", None) or source
    return _lang_attribute(meeting, str(get_locale() or "fr"))


def _lang_attribute(meeting: object, page_lang: str) -> Markup:
    language = getattr(meeting, "language", None) or "fr"
    return Markup("") if language == page_lang else Markup(' lang="%s"') % language

"""Meeting templates: the TOML files in sessions/ that a facilitator copies and edits.

title = "Rencontre mensuelle du réseau"
description = "…"

[[steps]]
activity = "board"
title = "Point d'actualité"
prompt = "Quelles nouvelles ?"
[steps.options]
exemplier = ["…"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.activities import ACTIVITIES
from kit.core.errors import KitError, OptionError
from kit.core.i18n import lazy_gettext as _l

TOP_KEYS = {"title", "description", "language", "steps"}
STEP_KEYS = {"activity", "title", "prompt", "options"}
MAX_STEPS = 40


@dataclass(frozen=True)
class StepTemplate:
    activity: str
    title: str
    prompt: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MeetingTemplate:
    name: str
    path: Path
    title: str
    description: str
    language: str
    steps: tuple[StepTemplate, ...]


class TemplateError(KitError):
    """A template kit refuses, with the file, the step and the key at fault."""

    def __init__(
        self, path: Path, problem: Any, step: int | None = None, step_title: str = "", key: str | None = None
    ) -> None:
        where = str(path)
        if step is not None:
            where += str(_l(", step %(number)d", number=step))
            if step_title:
                where += f" ({step_title})"
        if key is not None:
            where += str(_l(', key "%(key)s"', key=key))
        super().__init__("bad_template", _l("%(where)s: %(problem)s", where=where, problem=problem))
        self.path, self.step, self.key = path, step, key


def _text(
    value: Any, path: Path, key: str, step: int | None = None, step_title: str = "", required: bool = True
) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise TemplateError(path, _l("expected a non-empty text."), step, step_title, key)
    return value.strip()


def parse_template(path: Path, source: str) -> MeetingTemplate:
    """Read one template from its text; raise TemplateError on the first problem."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(path, _l("this is not valid TOML (%(detail)s).", detail=str(error))) from None
    for key in sorted(set(data) - TOP_KEYS):
        raise TemplateError(path, _l("unknown key (known: title, description, language, steps)."), key=key)
    title = _text(data.get("title"), path, "title")
    description = _text(data.get("description"), path, "description", required=False)
    language = data.get("language", "fr")
    if language not in ("fr", "en"):
        raise TemplateError(path, _l('expected "fr" or "en".'), key="language")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise TemplateError(path, _l("a template needs at least one [[steps]] table."), key="steps")
    if len(raw_steps) > MAX_STEPS:
        raise TemplateError(path, _l("at most %(max)d steps.", max=MAX_STEPS), key="steps")
    steps = tuple(_parse_step(path, number, raw) for number, raw in enumerate(raw_steps, start=1))
    return MeetingTemplate(path.stem, path, title, description, language, steps)


def _parse_step(path: Path, number: int, raw: Any) -> StepTemplate:
    if not isinstance(raw, dict):
        raise TemplateError(path, _l("each step must be a [[steps]] table."), number)
    step_title = str(raw["title"]) if isinstance(raw.get("title"), str) else ""
    for key in sorted(set(raw) - STEP_KEYS):
        raise TemplateError(path, _l("unknown key (known: activity, title, prompt, options)."), number, step_title, key)
    title = _text(raw.get("title"), path, "title", number)
    activity = _text(raw.get("activity"), path, "activity", number, title)
    if activity not in ACTIVITIES:
        raise TemplateError(
            path,
            _l('unknown activity "%(name)s" (known: %(known)s).', name=activity, known=", ".join(sorted(ACTIVITIES))),
            number,
            title,
            "activity",
        )
    prompt = _text(raw.get("prompt"), path, "prompt", number, title, required=False)
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise TemplateError(path, _l("expected a table of options."), number, title, "options")
    try:
        options = ACTIVITIES[activity].validate_options(options)
    except OptionError as error:
        raise TemplateError(path, error.message, number, title, f"options.{error.key}") from None
    return StepTemplate(activity, title, prompt, options)


def load_template(path: Path) -> MeetingTemplate:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(path, _l("cannot be read (%(detail)s).", detail=str(error))) from None
    return parse_template(path, source)


def template_files(dirs: Iterable[str]) -> list[Path]:
    """Every *.toml in the template folders, sorted by name; a later folder's file wins."""
    found: dict[str, Path] = {}
    for folder in dirs:
        for path in sorted(Path(folder).glob("*.toml")):
            found[path.stem] = path
    return [found[name] for name in sorted(found)]


#: the template offered first: the meeting a network holds most often
FIRST_TEMPLATE = "rencontre-mensuelle"


def list_templates(dirs: Iterable[str]) -> list[MeetingTemplate | TemplateError]:
    """All templates, each loaded or with the error that keeps it from loading; the monthly
    meeting first, then by name."""
    result: list[MeetingTemplate | TemplateError] = []
    for path in sorted(template_files(dirs), key=lambda found: (found.stem != FIRST_TEMPLATE, found.stem)):
        try:
            result.append(load_template(path))
        except TemplateError as error:
            result.append(error)
    return result


def find_template(dirs: Iterable[str], name: str) -> MeetingTemplate:
    for path in template_files(dirs):
        if path.stem == name:
            return load_template(path)
    raise KitError("not_found", _l('No meeting template called "%(name)s".', name=name))

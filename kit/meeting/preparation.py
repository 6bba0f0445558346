"""Preparing a meeting before it starts: its details and its steps, edited in the browser, and
the result saved as a template of the facilitator's own or downloaded as a file.

During the meeting the console may still add a step at the end.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w
from sqlalchemy.orm import Session

from kit.activities import ACTIVITIES, activity_class
from kit.activities import options as option_fields
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Status, Step
from kit.core.uploads import save_photo
from kit.core.validation import clean_text
from kit.meeting.lifecycle import create_meeting, get_step, save_change
from kit.meeting.templates import MAX_STEPS, MeetingTemplate, StepTemplate, TemplateError, parse_template


def require_prepared(meeting: Meeting) -> None:
    if meeting.state is not Status.PREPARED:
        raise KitError("already_started", _l("The meeting has started: its steps can no longer be changed."))


def update_details(
    db: Session, meeting: Meeting, title: object, meeting_date: date | None, place: object, host: object
) -> None:
    """Title, date, place and host structure of a meeting not yet started."""
    require_prepared(meeting)
    meeting.title = clean_text(title, "title", 200, multiline=False)
    meeting.meeting_date = meeting_date
    meeting.place = clean_text(place, "place", 200, required=False, multiline=False)
    meeting.host = clean_text(host, "host", 200, required=False, multiline=False)
    save_change(db, meeting)


def tomlable(value: Any) -> Any:
    """Options as TOML can write them: TOML has no null, so an empty value (a news item's missing
    deadline) is left out, as a template would leave it out."""
    if isinstance(value, dict):
        return {key: tomlable(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [tomlable(item) for item in value if item is not None]
    return value


def options_text(step: Step) -> str:
    """A step's options as the TOML a facilitator edits."""
    return tomli_w.dumps(tomlable(step.options or {}))


def update_step(db: Session, meeting: Meeting, step_id: object, title: object, prompt: object, options: object) -> Step:
    """A step's title, prompt and options (TOML text, checked by its activity)."""
    require_prepared(meeting)
    step = get_step(db, meeting, step_id)
    step.title = clean_text(title, "title", 200, multiline=False)
    step.prompt = clean_text(prompt, "prompt", 2000, required=False)
    step.options = parse_options(step.activity, options)
    save_change(db, meeting)
    return step


def update_step_fields(
    db: Session, meeting: Meeting, step_id: object, title: object, prompt: object, form: Iterable[tuple[str, str]]
) -> Step:
    """A step's title, prompt and options as the prepare page's fields posted them; the options are
    checked by the activity as a template's are, and an error names the field at fault
    (``InvalidInput.field`` is the field's name in the form)."""
    require_prepared(meeting)
    step = get_step(db, meeting, step_id)
    step.title = clean_text(title, "title", 200, multiline=False)
    step.prompt = clean_text(prompt, "prompt", 2000, required=False)
    step.options = options_from_form(step, form)
    save_change(db, meeting)
    return step


def options_from_form(step: Step, form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The options a step's form posted, checked by its activity; what the form does not show
    (the venue's photo, an option of a newer kit) is kept as it was."""
    activity = activity_class(step.activity)
    shown = {field.name for field in activity.option_fields}
    raw = {key: value for key, value in (step.options or {}).items() if key not in shown}
    raw.update(option_fields.from_form(activity.option_fields, form))
    try:
        return activity.validate_options(raw)
    except OptionError as error:
        raise InvalidInput(error.message, option_fields.error_field(error.key)) from None


def parse_options(activity: str, source: object) -> dict[str, Any]:
    """Options typed as TOML, checked by the activity; InvalidInput names the option at fault."""
    if source is None:
        source = ""
    if not isinstance(source, str) or len(source) > 20_000:
        raise InvalidInput(_l("The options are not understood."), "options")
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(_l("The options are not valid TOML (%(detail)s).", detail=str(error)), "options") from None

    try:
        return activity_class(activity).validate_options(raw)
    except OptionError as error:
        raise InvalidInput(_l("Option %(key)s: %(problem)s", key=error.key, problem=error.message), "options") from None


def set_photo(db: Session, meeting: Meeting, step_id: object, folder: Path, data: bytes | None) -> Step:
    """Show a photo of the host venue on a check-in step (None takes it away)."""
    require_prepared(meeting)
    step = get_step(db, meeting, step_id)
    if not activity_class(step.activity).takes_photo:
        raise InvalidInput(_l("This kind of step has no photo."), "photo")
    options = {k: v for k, v in (step.options or {}).items() if k != "photo"}
    if data is not None:
        options["photo"] = save_photo(folder, data)
    step.options = options
    save_change(db, meeting)
    return step


def add_step(db: Session, meeting: Meeting, activity: object, title: object, prompt: object = "") -> Step:
    """A new step at the end, with the activity's default options; also while the meeting is live."""
    if meeting.state not in (Status.PREPARED, Status.LIVE):
        raise KitError("closed", _l("This meeting is over: nothing more can be sent."))
    if not isinstance(activity, str) or activity not in ACTIVITIES:
        raise InvalidInput(_l("Choose what kind of step to add."), "activity")
    if len(meeting.steps) >= MAX_STEPS:
        raise InvalidInput(_l("At most %(max)d steps.", max=MAX_STEPS), "activity")
    # activities that need content (topics, polls) start with an example to edit
    options = activity_class(activity).validate_options(STARTERS.get(activity, {}))
    step = Step(
        position=max((s.position for s in meeting.steps), default=-1) + 1,
        activity=activity,
        title=clean_text(title, "title", 200, multiline=False),
        prompt=clean_text(prompt, "prompt", 2000, required=False),
        options=options,
    )
    meeting.steps.append(step)
    save_change(db, meeting)
    return step


#: what a new step of an activity that cannot be empty starts with
STARTERS: dict[str, dict[str, Any]] = {
    "topics": {"topics": [{"title": "Thème 1", "description": "", "exemplier": []}]},
    "animation": {},
    "poll": {"questions": [{"type": "rating", "text": "Cette rencontre vous a-t-elle été utile ?", "scale": 5}]},
}


def remove_step(db: Session, meeting: Meeting, step_id: object) -> None:
    require_prepared(meeting)
    step = get_step(db, meeting, step_id)
    if len(meeting.steps) == 1:
        raise InvalidInput(_l("A meeting needs at least one step."), "step")
    meeting.steps.remove(step)
    db.flush()
    _renumber(db, meeting, list(meeting.steps))
    save_change(db, meeting)


def move_step(db: Session, meeting: Meeting, step_id: object, offset: int) -> None:
    """Move a step up (-1) or down (+1) in the order."""
    require_prepared(meeting)
    step = get_step(db, meeting, step_id)
    order = list(meeting.steps)
    index = order.index(step)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    _renumber(db, meeting, order)
    save_change(db, meeting)


def _renumber(db: Session, meeting: Meeting, order: list[Step]) -> None:
    # positions are unique per meeting: step aside first, then take the new places
    for offset, step in enumerate(order):
        step.position = -1 - offset
    db.flush()
    for position, step in enumerate(order):
        step.position = position
    db.flush()
    db.expire(meeting, ["steps"])


def duplicate(db: Session, meeting: Meeting) -> Meeting:
    """A new prepared meeting with the same details and steps (prepared content, no contributions),
    to start the next meeting from this one."""
    steps = tuple(StepTemplate(s.activity, s.title, s.prompt, dict(s.options or {})) for s in meeting.steps)
    template = MeetingTemplate(meeting.template_name, Path(), meeting.title, "", meeting.language, steps)
    return create_meeting(db, template, title=meeting.title, place=meeting.place, network_id=meeting.network_id)


# -- as a template ---------------------------------------------------------------------------
def as_template(meeting: Meeting) -> str:
    """The meeting's steps as a template file (TOML) that kit reads back the same.

    Photos stay out: they live in this server's instance folder, a template elsewhere could not
    show them.
    """
    document = {
        "title": meeting.title,
        "language": meeting.language,
        "steps": [
            {
                "activity": s.activity,
                "title": s.title,
                **({"prompt": s.prompt} if s.prompt else {}),
                **({"options": tomlable({k: v for k, v in s.options.items() if k != "photo"})} if s.options else {}),
            }
            for s in meeting.steps
        ],
    }
    header = "# " + str(_l('Meeting template made with kit from "%(title)s".', title=meeting.title)) + "\n\n"
    return header + tomli_w.dumps(document)


def template_name(title: str) -> str:
    """A file name for a template: lower case, dashes, no accents."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:60] or "modele"


def save_as_template(meeting: Meeting, folder: Path, name: object) -> Path:
    """Write the meeting's steps as a new template in the facilitator's own folder."""
    chosen = clean_text(name, "name", 100, multiline=False)
    path = folder / f"{template_name(chosen)}.toml"
    if path.exists():
        raise InvalidInput(_l("A template with this name already exists: choose another name."), "name")
    source = as_template(meeting)
    try:
        parse_template(path, source)
    except TemplateError as error:  # pragma: no cover - the steps were checked as they were edited
        raise InvalidInput(error.message, "name") from None
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path

"""The minutes: what the room produced, for those who could not come.

Markdown is the reference text (written at close, later editable); the HTML page is that
Markdown made safe; the JSON export carries the same content as data.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import force_locale, format_date, format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.activities import Activity, activity_for
from kit.core import queries
from kit.core.markdown_text import escape, escape_as_before, escape_block
from kit.core.models import Contribution, Meeting, Status, utcnow


def build_markdown(db: Session, meeting: Meeting) -> str:
    """Title, date, place, who came, then each opened step's outcome in order, in the meeting's language."""
    with force_locale(meeting.language):
        return _markdown(db, meeting)


def _markdown(db: Session, meeting: Meeting) -> str:
    lines = [f"# {escape(meeting.title)}", ""]
    facts = []
    if meeting.network is not None:
        # whose meeting it was: the first thing a partner or a funder looks for
        facts.append(_("**Network**: %(network)s", network=escape(meeting.network.name)))
    when = meeting.meeting_date or (meeting.started_at.date() if meeting.started_at else None)
    if when:
        facts.append(_("**Date**: %(date)s", date=format_date(when, "long")))
    if meeting.place:
        facts.append(_("**Place**: %(place)s", place=escape(meeting.place)))
    if meeting.host:
        facts.append(_("**Hosted by**: %(host)s", host=escape(meeting.host)))
    if facts:
        lines += ["  \n".join(facts), ""]
    lines += _first_read(db, meeting)

    # those the facilitator removed are not among who came (what they sent stays, for moderation)
    people = queries.attendance(db, meeting)
    lines += ["## " + _("Who came (%(count)d)", count=len(people)), ""]
    if not people:
        lines.append(_("Nobody joined."))
    elif any(p.structure or p.territory for p in people):
        header = (_("Name"), _("Structure"), _("Territory"))
        lines += ["| " + " | ".join(header) + " |", "|---|---|---|"]
        lines += [f"| {escape(p.shown_name)} | {escape(p.structure)} | {escape(p.territory)} |" for p in people]
    else:
        lines += [f"- {escape(p.shown_name)}" for p in people]
    lines.append("")

    for step in meeting.steps:
        if step.opened_at is None:
            continue
        lines += [f"## {escape(step.title)}", ""]
        if step.prompt:
            lines += [f"> {escape(step.prompt)}".replace("\n", "\n> "), ""]
        section = activity_for(step).minutes_section(queries.contributions(db, step), queries.tallies(db, step.id))
        lines += [section, ""]
        removed = queries.withdrawn_count(db, step)
        if removed:
            lines += ["*" + escape(withdrawn_count_note(removed)) + "*", ""]

    skipped = [step for step in meeting.steps if step.opened_at is None]
    if skipped:
        names = ", ".join(escape(step.title) for step in skipped)
        if meeting.closed_at:
            lines += ["*" + _("Steps not reached in this meeting: %(steps)s", steps=names) + "*", ""]
        else:
            lines += ["*" + _("Steps not reached yet: %(steps)s", steps=names) + "*", ""]
    if meeting.closed_at:
        when = format_datetime(meeting.closed_at, "short")
        lines.append("*" + _("Minutes written by kit at the close of the meeting, %(when)s.", when=when) + "*")
    else:
        when = format_datetime(utcnow(), "short")
        lines.append("*" + _("Draft written by kit while the meeting goes on, %(when)s.", when=when) + "*")
    return "\n".join(lines).rstrip() + "\n"


def _first_read(db: Session, meeting: Meeting) -> list[str]:
    """What the minutes open with, when the facilitator wrote it from the console: each step's
    summary ("En bref"), then the contributions marked as decisions, with their step."""
    lines: list[str] = []
    summaries = [step for step in meeting.steps if step.summary]
    if summaries:
        lines += ["## " + _("In brief"), ""]
        lines += [f"- **{escape(step.title)}** — {escape_block(step.summary)}" for step in summaries]
        lines.append("")
    decided = [(c, activity_for(c.step).decision_text(c)) for c in queries.decisions(db, meeting)]
    decided = [(c, text) for c, text in decided if text]
    if decided:
        lines += ["## " + _("Decisions"), ""]
        lines += [f"- {escape_block(text)} *({escape(c.step.title)})*" for c, text in decided]
        lines.append("")
    return lines


def withdrawn_count_note(count: int) -> str:
    """What a step's section says of the contributions their authors withdrew."""
    return ngettext(
        "%(num)d contribution was removed at the participant's request.",
        "%(num)d contributions were removed at their authors' request.",
        count,
    )


def as_data(db: Session, meeting: Meeting) -> dict[str, Any]:
    """The minutes' content as data: the meeting, who came, each opened step and its contributions.

    A meeting received from a laptop (kit.publishing.received) has no steps here: its data came with it."""
    if meeting.received is not None:
        return dict(meeting.received.get("minutes") or {})
    # once written, the minutes are the one source: what the facilitator took out of them (a
    # contribution's words, a name in the list of who came) is not given here either
    written = meeting.minutes_md if meeting.state in (Status.CLOSED, Status.PUBLISHED) else None
    steps = []
    for step in meeting.steps:
        if step.opened_at is None:
            continue
        activity = activity_for(step)
        kept = [c for c in queries.contributions(db, step) if written is None or _still_in(written, activity, c)]
        steps.append(
            {
                "title": step.title,
                "activity": step.activity,
                "prompt": step.prompt,
                "summary": step.summary if not step.summary or written is None or _says(written, step.summary) else "",
                "options": dict(step.options),
                "contributions": [activity.item_data(c) for c in kept],
            }
        )
    people = [p for p in queries.attendance(db, meeting) if written is None or _says(written, p.shown_name)]
    data = {
        "format": "kit-minutes/1",
        "title": meeting.title,
        "date": meeting.meeting_date.isoformat() if meeting.meeting_date else None,
        "place": meeting.place,
        "started_at": meeting.started_at.isoformat() if meeting.started_at else None,
        "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
        "participants": [{"name": p.shown_name, "structure": p.structure, "territory": p.territory} for p in people],
        "steps": steps,
        "decisions": [
            {"id": c.id, "step": c.step.title, "text": activity_for(c.step).decision_text(c)}
            for c in queries.decisions(db, meeting)
            if written is None or _still_in(written, activity_for(c.step), c)
        ],
    }
    if written is not None:
        data["markdown"] = written
    return data


def _says(written: str, text: str) -> bool:
    """Whether the written minutes still hold `text`, as kit escapes it now or as it did before."""
    lines = [line.strip() for line in text.split("\n") if len(line.strip()) >= 3]
    forms = {form for line in lines for form in (escape(line), escape_as_before(line))}
    # whole words only: "Participant 2" is not in "Participant 21"
    return not lines or any(re.search(rf"(?<!\w){re.escape(form)}(?!\w)", written) for form in forms)


def _still_in(written: str, activity: Activity, contribution: Contribution) -> bool:
    """Whether a contribution's words are still in the written minutes (the facilitator may have
    taken them out); a contribution without words of its own (a mark, a vote) always is."""
    words = contribution.data.get(activity.editable_field) if activity.editable_field else None
    return not isinstance(words, str) or _says(written, words)

"""The newsletter draft for the months without a meeting: what the last meeting produced, the
deadlines to come, the needs still open, the roadmap — Markdown the coordinator copies or edits."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.activities.news import News
from kit.activities.roadmap import Roadmap
from kit.core import queries
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Meeting, Network, Status, utcnow
from kit.network.networks import need_text, waiting_needs
from kit.publishing import links


def _closed(network: Network) -> list[Meeting]:
    return [m for m in network.meetings if m.state in (Status.CLOSED, Status.PUBLISHED)]


def build(db: Session, network: Network, language: str = "fr") -> str:
    with force_locale(language):
        return _build(db, network)


def _build(db: Session, network: Network) -> str:
    today = utcnow().date()
    lines = ["# " + _("News of %(network)s", network=escape(network.name)), ""]
    closed = _closed(network)
    last = closed[-1] if closed else None
    lines += ["## " + _("Our last meeting"), ""]
    if last is None:
        lines.append(_("No meeting yet."))
    else:
        when = last.meeting_date or (last.started_at.date() if last.started_at else None)
        heading = escape(last.title) + (f" — {format_date(when, 'long')}" if when else "")
        people = queries.attendance(db, last)
        block = [f"**{heading}**", _("%(count)d people came.", count=len(people))]
        if last.state is Status.PUBLISHED:
            # <…>: a link wherever the Markdown becomes HTML (the one-file newsletter, an email)
            block.append(_("Read the minutes: %(url)s", url=f"<{links.minutes_url(last)}>"))
        # one line each, not one run-on paragraph, once the Markdown is read
        lines.append("  \n".join(block))
    lines.append("")

    deadlines = []
    for meeting in network.meetings:
        for step in meeting.steps:
            if step.activity != "news" or step.opened_at is None:
                continue
            activity = activity_for(step)
            assert isinstance(activity, News)
            deadlines += [
                e for e in activity.dated(queries.contributions(db, step)) if date.fromisoformat(e["when"]) >= today
            ]
    lines += ["## " + _("Dates and deadlines to come"), ""]
    if deadlines:
        for entry in sorted(deadlines, key=lambda e: e["when"]):
            what = _("deadline") if entry["is_deadline"] else _("date")
            lines.append(f"- {News.when(entry['when'])} — {what} : {escape(entry['title'])}")
    else:
        lines.append(_("None for now."))
    lines.append("")

    lines += ["## " + _("Needs waiting for the next meeting"), ""]
    waiting = waiting_needs(db, network.id)
    lines += [f"- {escape_block(need_text(need))}" for need in waiting] or [_("None.")]
    lines.append("")

    validated = []
    for meeting in network.meetings:
        for step in meeting.steps:
            if step.activity == "roadmap" and step.opened_at is not None:
                activity = activity_for(step)
                assert isinstance(activity, Roadmap)
                for _key, title, items in activity.by_section(queries.contributions(db, step)):
                    validated += [(str(title), c) for c in items if c.status == "validated"]
    lines += ["## " + _("Our roadmap"), ""]
    lines += [f"- **{escape(title)}** : {escape_block(c.data['text'])}" for title, c in validated] or [
        _("Nothing validated yet.")
    ]
    return "\n".join(lines).rstrip() + "\n"

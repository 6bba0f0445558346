"""Personal data kept no longer than needed, and in the hands of the person it is about.

- After the retention period, who came and who said what are erased from a meeting, and what was
  said stays (the minutes are rebuilt without names). `kit forget` runs it; safe to run from cron.
- A participant withdraws one of their own contributions (their directory entry too), during the
  meeting or after it, from their phone or their personal link: its words are erased for good, it
  leaves the screen, the minutes, the exports and the feed; published minutes say a contribution
  was removed at the participant's request where it stood.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.core import queries
from kit.core.db import checkpoint
from kit.core.errors import Forbidden, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_as_before
from kit.core.models import WITHDRAWN_BY_AUTHOR, Contribution, Meeting, Participant, Status, Step, Vote, utcnow
from kit.meeting import lifecycle
from kit.publishing import mailing
from kit.publishing.minutes import build_markdown

# what a check-in or a signature says about a person, beyond the name
PERSONAL_FIELDS = ("structure", "territory", "role")


def erase_personal_data(db: Session, meeting: Meeting) -> None:
    """Replace each person of a meeting by an anonymous label; keep their contributions' content.

    Minutes kit wrote and nobody edited are written again; minutes the facilitator edited keep
    their edits, with each name replaced by its label and, where a person is named, their
    structure and territory taken out."""
    as_built = _minutes_as_built(db, meeting)
    with force_locale(meeting.language):
        labels = {}
        # who each label stands for, and what else names them, for minutes the facilitator edited
        named: list[tuple[str, str, list[str]]] = []
        contributions = list(db.scalars(select(Contribution).where(Contribution.meeting_id == meeting.id)))
        for number, person in enumerate(queries.participants(db, meeting), start=1):
            labels[person.id] = _("Participant %(number)d", number=number)
            if person.display_name:
                details = [person.structure, person.territory]
                for contribution in contributions:
                    if contribution.participant_id == person.id and "name" in contribution.data:
                        details += [str(contribution.data.get(field) or "") for field in PERSONAL_FIELDS]
                named.append((person.display_name, labels[person.id], details))
            person.display_name = labels[person.id]
            person.structure = ""
            person.territory = ""
            # the phone that held the old token is no longer anyone
            person.token = secrets.token_urlsafe(24)
        for contribution in contributions:
            if "name" not in contribution.data:
                continue  # a card, a need, an answer: content, kept as written
            data = {**contribution.data, "name": labels.get(contribution.participant_id or 0, "")}
            data.update({field: "" for field in PERSONAL_FIELDS if field in data})
            contribution.data = data
        # the addresses given to receive the minutes go too
        mailing.erase_addresses(db, meeting)
        meeting.personal_data_erased_at = utcnow()
        if meeting.state in (Status.CLOSED, Status.PUBLISHED):
            db.flush()
            if as_built is not None or meeting.minutes_md is None:
                meeting.write_minutes(build_markdown(db, meeting))
            else:
                meeting.write_minutes(_without_names(meeting.minutes_md, named))
    lifecycle.save_change(db, meeting)
    checkpoint(db)  # the erased names leave the WAL file too


def forget_old_meetings(db: Session, days: int, now: datetime | None = None) -> list[Meeting]:
    """Erase the personal data of every meeting closed more than `days` days ago; return them."""
    if days < 1:
        raise ValueError(days)
    limit = (now or utcnow()) - timedelta(days=days)
    due = db.scalars(
        select(Meeting).where(
            Meeting.closed_at.is_not(None), Meeting.closed_at < limit, Meeting.personal_data_erased_at.is_(None)
        )
    ).all()
    for meeting in due:
        erase_personal_data(db, meeting)
    return list(due)


# -- a participant withdraws what they sent --------------------------------------------------------
#: what a contribution keeps once withdrawn: where it stood, never what it said
KEPT_KEYS = ("kind", "section", "topic", "type")


def removed_note() -> str:
    """What the minutes say where a withdrawn contribution stood (in the current locale)."""
    return _("(removed at the participant's request)")


def own_contribution(db: Session, participant: Participant, contribution_id: object) -> Contribution:
    """One of this participant's own contributions; anyone else's is refused, as if it did not exist."""
    found = db.get(Contribution, contribution_id) if queries.is_row_id(contribution_id) else None
    if found is None or found.meeting_id != participant.meeting_id:
        raise NotFound(queries.NO_SUCH_CONTRIBUTION)
    if found.participant_id != participant.id:
        raise Forbidden(_l("You can only delete what you sent yourself."))
    return found


def participant_by_token(db: Session, token: object) -> Participant:
    """The participant a personal link names (any meeting); the same refusal for every wrong link."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound(_l("This link is not valid, or it has expired."))
    person = db.scalar(select(Participant).where(Participant.token == token))
    if person is None:
        raise NotFound(_l("This link is not valid, or it has expired."))
    return person


def withdraw(db: Session, participant: Participant, contribution_id: object) -> tuple[Contribution, bool]:
    """Erase one of the participant's own contributions; return it and whether anything changed.

    Safe to repeat (a phone resending after a lost ack). Its words are gone from the database
    (the facilitator's edit and the original too); it is hidden everywhere; what other people did
    with it stays consistent: duplicates merged into it come back, the first one taking its place
    and its supporters; copies carried over to later meetings are erased too.
    """
    contribution = own_contribution(db, participant, contribution_id)
    if contribution.withdrawn:
        return contribution, False
    meeting = db.get(Meeting, contribution.meeting_id)
    assert meeting is not None
    # the words, and the minutes as kit wrote them, of every meeting that holds them, before erasing
    found = [contribution, *_carried_copies(db, contribution)]
    touched: dict[int, tuple[Meeting, str | None, list[str]]] = {}
    for each in found:
        holder = db.get(Meeting, each.meeting_id)
        assert holder is not None
        if holder.id not in touched:
            touched[holder.id] = (holder, _minutes_as_built(db, holder), [])
        touched[holder.id][2].extend(_texts(each.data))
    for holder, step in _carried_news(db, contribution):
        if holder.id not in touched:
            touched[holder.id] = (holder, _minutes_as_built(db, holder), [])
        touched[holder.id][2].extend(_texts(contribution.data))
        key = _news_key(contribution.data)
        items = [item for item in (step.options or {}).get("items", []) if _news_key(item) != key]
        step.options = {**(step.options or {}), "items": items}
    for each in found:
        _erase(db, each)
        _release_duplicates(db, each)
    db.flush()
    for holder, as_built, texts in touched.values():
        _update_minutes(db, holder, as_built, texts)
        if holder.id != meeting.id:
            lifecycle.bump_version(db, holder)
    lifecycle.save_change(db, meeting)
    checkpoint(db)  # the withdrawn words leave the WAL file too
    return contribution, True


def _news_key(item: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (item.get("title"), item.get("deadline"), item.get("date"))


def _carried_news(db: Session, contribution: Contribution) -> list[tuple[Meeting, Step]]:
    """The news steps of the network's other meetings that list this accepted news item: its
    deadline or date was still to come when they were prepared (kit.network.networks.carry_news copies it
    there as a prepared item, without a link back)."""
    step = db.get(Step, contribution.step_id)
    meeting = db.get(Meeting, contribution.meeting_id)
    if step is None or step.activity != "news" or meeting is None or meeting.network_id is None:
        return []
    key = _news_key(contribution.data)
    others = select(Meeting).where(Meeting.network_id == meeting.network_id, Meeting.id != meeting.id)
    return [
        (other, news)
        for other in db.scalars(others)
        for news in other.steps
        if news.activity == "news" and any(_news_key(i) == key for i in (news.options or {}).get("items", []))
    ]


def _carried_copies(db: Session, contribution: Contribution) -> list[Contribution]:
    """The copies later meetings of the network carried over from it (a need deferred again and again)."""
    copies: list[Contribution] = []
    sources = [contribution.id]
    while sources:
        found = list(db.scalars(select(Contribution).where(Contribution.origin_id.in_(sources))))
        found = [c for c in found if not c.withdrawn and c not in copies]
        copies += found
        sources = [c.id for c in found]
    return copies


def _erase(db: Session, contribution: Contribution) -> None:
    data: dict[str, Any] = {key: contribution.data[key] for key in KEPT_KEYS if key in contribution.data}
    if "name" in contribution.data and "share" in contribution.data:
        # a check-in: the name stays only so that the directory knows this entry was taken out
        data.update(name=contribution.data["name"], share=False)
    data["withdrawn"] = True
    contribution.data = data
    contribution.original = None
    contribution.outcome = {}
    contribution.decision = False  # its words leave the minutes' decisions too
    contribution.hidden_at = utcnow()
    contribution.hidden_by = WITHDRAWN_BY_AUTHOR
    contribution.updated_at = utcnow()


def _release_duplicates(db: Session, contribution: Contribution) -> None:
    """Others' duplicates merged into a withdrawn contribution are shown again: the oldest takes its
    place, the others stay merged into it, and its supporters now support that one."""
    duplicates = list(
        db.scalars(select(Contribution).where(Contribution.merged_into_id == contribution.id).order_by(Contribution.id))
    )
    votes = list(contribution.votes)
    if not duplicates:
        for vote in votes:
            db.delete(vote)  # support for words that no longer exist
        return
    heir, *others = duplicates
    heir.merged_into_id = None
    for other in others:
        other.merged_into_id = heir.id
    supporters = set(db.scalars(select(Vote.participant_id).where(Vote.contribution_id == heir.id)))
    for vote in votes:
        if vote.participant_id not in supporters:
            db.add(Vote(contribution_id=heir.id, participant_id=vote.participant_id))
        db.delete(vote)


def _texts(data: dict[str, Any]) -> list[str]:
    """The words a contribution holds (what must leave the minutes with it)."""
    found: list[str] = []
    for key, value in data.items():
        if key in KEPT_KEYS:
            continue
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list | dict):
            values = value.values() if isinstance(value, dict) else value
            found += [v for v in values if isinstance(v, str)]
    return [text.strip() for text in found if len(text.strip()) >= 3]


def _minutes_as_built(db: Session, meeting: Meeting) -> str | None:
    """The minutes as kit would write them now, when the stored ones are exactly that (not edited)."""
    if meeting.minutes_md is None:
        return None
    return meeting.minutes_md if build_markdown(db, meeting) == meeting.minutes_md else None


def _forms(text: str) -> list[str]:
    """The ways a text may stand in the minutes: as kit escapes it now, as earlier versions did, as typed."""
    return sorted({escape(text), escape_as_before(text), text}, key=len, reverse=True)


def _without_names(text: str, named: list[tuple[str, str, list[str]]]) -> str:
    """Edited minutes with each person's name replaced by their label, and their other details
    (structure, territory) taken out of the lines that name them."""
    for name, label, details in sorted(named, key=lambda entry: len(entry[0]), reverse=True):
        said = escape(label)
        lines = []
        for line in text.split("\n"):
            changed = line
            for form in _forms(name):
                changed = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", lambda _m: said, changed)  # noqa: B023
            if changed != line:
                for detail in (d for d in details if len(d.strip()) >= 2):
                    for form in _forms(detail):
                        changed = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", "", changed)
            lines.append(changed)
        text = "\n".join(lines)
    return text


def _update_minutes(db: Session, meeting: Meeting | None, as_built: str | None, texts: list[str]) -> None:
    """Take a withdrawn contribution's words out of a meeting's written minutes.

    Minutes kit wrote and nobody edited are written again (the step then says how many
    contributions were removed); minutes the facilitator edited keep their edits, and each place
    the words appear now says they were removed at the participant's request."""
    if meeting is None or meeting.minutes_md is None:
        return
    if as_built is not None:
        meeting.write_minutes(build_markdown(db, meeting))
        return
    with force_locale(meeting.language):
        note = escape(removed_note())
    text = meeting.minutes_md
    for words in sorted(set(texts), key=len, reverse=True):
        # as kit writes them now, as earlier versions wrote them (minutes published before), as typed
        forms = (escape(words), escape_as_before(words), words)
        for form in (*forms, *escape(words).split("\n"), *escape_as_before(words).split("\n")):
            if len(form.strip()) >= 3:
                text = text.replace(form, note)
    meeting.write_minutes(text)

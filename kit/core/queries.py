"""Read-only look-ups on stored meetings that every layer above shares.

The meeting logic, the activities and publishing all read a step's contributions, a meeting's
people and a step's votes; keeping those reads here, below all three, is what lets an activity or
the minutes read a meeting without importing the logic that calls them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from kit.core.collation import sort_key
from kit.core.errors import NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import (
    WITHDRAWN_BY_AUTHOR,
    Contribution,
    Installation,
    Meeting,
    Participant,
    Status,
    Step,
    Vote,
    shown_name,
    utcnow,
)

# built once, like the meeting logic's hot statements: each count of votes runs it
_TALLIES = (
    select(Vote.contribution_id, func.count(Vote.id))
    .join(Contribution, Contribution.id == Vote.contribution_id)
    .where(Contribution.step_id == bindparam("step"))
    .group_by(Vote.contribution_id)
)
_VOTES_FOR = select(func.count(Vote.id)).where(Vote.contribution_id == bindparam("contribution"))
_REMOVED = select(Participant.id).where(
    Participant.meeting_id == bindparam("meeting"), Participant.removed_at.is_not(None)
)
_PEOPLE = (
    select(Participant.id, Participant.display_name, Participant.structure, Participant.removed_at)
    .where(Participant.meeting_id == bindparam("meeting"))
    .order_by(Participant.id)
)


class Named(Protocol):
    @property
    def shown_name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=Named)


class Person(NamedTuple):
    """Who joined, as the console's list of people shows them: four columns, not a Participant.

    A join storm draws that list for 1,000 people every interval or few; a tuple holds a person
    in a tenth of the memory an ORM entity takes and costs no entity loading (docs/performance.md)."""

    id: int
    display_name: str
    structure: str
    removed_at: datetime | None

    @property
    def shown_name(self) -> str:
        return shown_name(self.display_name)


def installation_uid(db: Session) -> str:
    """This installation's own id, made once by its first migration: what names the records that
    leave the room (feed entries, calendar events, messages), whatever address the laptop has."""
    return db.execute(select(Installation.uid).order_by(Installation.id)).scalar_one()


def is_row_id(value: object) -> bool:
    """A whole number a database row id can be (JSON allows far bigger ones, and booleans)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


# -- one meeting -------------------------------------------------------------------------------
# what an id that names no contribution of this meeting is told (any view, any event)
NO_SUCH_CONTRIBUTION = _l("This contribution does not exist in this meeting.")


def get_contribution(db: Session, meeting: Meeting, contribution_id: object) -> Contribution:
    """A contribution of this meeting, or a clear refusal (never one of another meeting)."""
    found = db.get(Contribution, contribution_id) if is_row_id(contribution_id) else None
    if found is None or found.meeting_id != meeting.id:
        raise NotFound(NO_SUCH_CONTRIBUTION)
    return found


def contributions(db: Session, step: Step, *, visible_only: bool = True) -> list[Contribution]:
    """A step's contributions in the order they arrived; hidden and merged ones only when asked."""
    query = select(Contribution).where(Contribution.step_id == step.id)
    if visible_only:
        query = query.where(Contribution.hidden_at.is_(None), Contribution.merged_into_id.is_(None))
    return list(db.scalars(query.order_by(Contribution.id)))


def participants(db: Session, meeting: Meeting) -> list[Participant]:
    """Everyone who joined, removed or not, in the order they joined (for erasing, for the console)."""
    return list(db.scalars(select(Participant).where(Participant.meeting_id == meeting.id).order_by(Participant.id)))


def attendance(db: Session, meeting: Meeting) -> list[Participant]:
    """Who came: everyone who joined but those the facilitator removed, by name in French order."""
    query = select(Participant).where(Participant.meeting_id == meeting.id, Participant.removed_at.is_(None))
    return by_name(db.scalars(query))


def people(db: Session, meeting: Meeting) -> list[Person]:
    """Everyone who joined, removed or not, in the order they joined, as light rows (the console's list)."""
    return [Person(*row) for row in db.execute(_PEOPLE, {"meeting": meeting.id})]


def by_name(people: Iterable[NamedT]) -> list[NamedT]:
    """People in the order of their names as shown, in French."""
    return sorted(people, key=lambda person: sort_key(person.shown_name))


def removed_ids(db: Session, meeting_id: int) -> set[int]:
    """The participants the facilitator removed from the meeting with this id (read every tick of
    the counts: on the session's connection, as the plain statement it is)."""
    return set(db.connection().execute(_REMOVED, {"meeting": meeting_id}).scalars())


def tallies(db: Session, step_id: int) -> dict[int, int]:
    """Votes per contribution of a step, those with at least one, hidden ones included: each view
    shows the counts of the items it lists, and a card shown again has its count at once."""
    return {contribution_id: count for contribution_id, count in db.execute(_TALLIES, {"step": step_id})}


def votes_for(db: Session, contribution_id: int) -> int:
    """How many people support one contribution (what tallies gives it, read alone)."""
    return int(db.execute(_VOTES_FOR, {"contribution": contribution_id}).scalar_one())


def withdrawn_count(db: Session, step: Step) -> int:
    """How many of a step's contributions their authors withdrew."""
    query = select(func.count(Contribution.id)).where(
        Contribution.step_id == step.id, Contribution.hidden_by == WITHDRAWN_BY_AUTHOR
    )
    return int(db.scalar(query) or 0)


def decisions(db: Session, meeting: Meeting) -> list[Contribution]:
    """The contributions the facilitator marked as decisions, step by step, in the order they
    arrived; never one hidden, merged or withdrawn by its author (its words are gone)."""
    query = (
        select(Contribution)
        .join(Step, Step.id == Contribution.step_id)
        .where(
            Contribution.meeting_id == meeting.id,
            Contribution.decision.is_(True),
            Contribution.hidden_at.is_(None),
            Contribution.merged_into_id.is_(None),
        )
        .order_by(Step.position, Contribution.id)
    )
    return list(db.scalars(query))


# -- a network's meetings ----------------------------------------------------------------------
def not_yet_carried(db: Session, network_id: int, *where: Any, before: Meeting | None = None) -> list[Contribution]:
    """Visible contributions of the network's meetings (other than `before`) matching `where` that
    no later meeting has carried over yet: what a next meeting may still take up."""
    carried = aliased(Contribution)
    query = (
        select(Contribution)
        .join(Step, Step.id == Contribution.step_id)
        .join(Meeting, Meeting.id == Contribution.meeting_id)
        .where(
            Meeting.network_id == network_id,
            Contribution.hidden_at.is_(None),
            Contribution.merged_into_id.is_(None),
            ~select(carried.id).where(carried.origin_id == Contribution.id).exists(),
            *where,
        )
        .order_by(Contribution.id)
    )
    if before is not None:
        query = query.where(Meeting.id != before.id)
    return list(db.scalars(query))


def check_ins(db: Session, network_id: int) -> list[Contribution]:
    """Every check-in of the network's meetings, oldest first."""
    query = (
        select(Contribution)
        .join(Step, Step.id == Contribution.step_id)
        .join(Meeting, Meeting.id == Contribution.meeting_id)
        .where(
            Meeting.network_id == network_id,
            Step.activity == "checkin",
            # an entry its member withdrew still counts as their latest: it says "not listed"
            or_(Contribution.hidden_at.is_(None), Contribution.hidden_by == WITHDRAWN_BY_AUTHOR),
        )
        .order_by(Contribution.id)
    )
    return list(db.scalars(query))


def known_skills(db: Session, network_id: int) -> list[str]:
    """Every skill named at the network's check-ins, offered or sought."""
    found: dict[str, str] = {}
    for contribution in check_ins(db, network_id):
        for skill in [*contribution.data.get("offers", []), *contribution.data.get("seeks", [])]:
            found.setdefault(skill.casefold(), skill)
    return sorted(found.values(), key=sort_key)


def upcoming_meetings(db: Session, network_id: int, limit: int | None = None) -> list[Meeting]:
    """A network's prepared meetings with a date still to come, soonest first (the public page
    shows the first, the network's calendar them all)."""
    query = (
        select(Meeting)
        .where(
            Meeting.network_id == network_id,
            Meeting.status == Status.PREPARED.value,
            Meeting.meeting_date >= utcnow().date(),
        )
        .order_by(Meeting.meeting_date)
        .limit(limit)
    )
    return list(db.scalars(query))

"""Networks: the meetings of one local network remember each other.

A need deferred to "the next meeting" comes back at the start of the next meeting's needs step,
marked as carried over, with where it came from; the skills people named at check-in make the
network's directory and grow the list the next check-in offers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.activities import activity_for
from kit.activities.diagnosis import Diagnosis, gaps_to_follow
from kit.activities.diagnosis import need_text as gap_text
from kit.activities.news import News
from kit.core.collation import sort_key
from kit.core.errors import InvalidInput, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Network, Participant, Step, utcnow
from kit.core.queries import check_ins, not_yet_carried
from kit.core.validation import clean_text

#: the scales of a network, as stored → as read
SCALES: dict[str, Any] = {
    "epci": _l("Intercommunality (EPCI)"),
    "departement": _l("Département"),
    "region": _l("Région"),
}


def create_network(db: Session, name: object, territory: object = "", scale: object = "") -> Network:
    if scale not in ("", *SCALES):
        raise InvalidInput(_l("Choose the scale of the network."), "scale")
    network = Network(
        name=clean_text(name, "name", 200, multiline=False),
        territory=clean_text(territory, "territory", 200, required=False, multiline=False),
        scale=str(scale),
    )
    db.add(network)
    db.commit()
    return network


def get_network(db: Session, network_id: object) -> Network:
    network = db.get(Network, network_id) if isinstance(network_id, int) and 0 < network_id < 2**63 else None
    if network is None:
        raise NotFound(_l("This network does not exist."))
    return network


def all_networks(db: Session) -> list[Network]:
    return list(db.scalars(select(Network).order_by(Network.name)))


def waiting_needs(db: Session, network_id: int, *, before: Meeting | None = None) -> list[Contribution]:
    """Needs deferred to the next meeting in the network's meetings, not yet taken up by a later one."""
    found = not_yet_carried(db, network_id, Contribution.status == "deferred", before=before)
    deferred = [c for c in found if c.outcome.get("channel") == "next_meeting"]
    # the gaps a territorial diagnosis named are needs to follow up, too
    return sorted([*deferred, *gaps_to_follow(db, network_id, before=before)], key=lambda c: c.id)


def need_text(need: Contribution) -> str:
    """What a waiting need says, as the next meeting shows it."""
    if need.step.activity == Diagnosis.name:
        return gap_text(need)
    return str(need.data.get("text", ""))


def carry_over(db: Session, meeting: Meeting) -> list[Contribution]:
    """Start the meeting's first needs step with the needs its network deferred to this meeting."""
    if meeting.network_id is None:
        return []
    step = next((s for s in meeting.steps if s.activity == "needs"), None)
    if step is None:
        return []
    carried = []
    for source in waiting_needs(db, meeting.network_id, before=meeting):
        origin = db.get(Meeting, source.meeting_id)
        assert origin is not None
        when = origin.meeting_date or (origin.started_at.date() if origin.started_at else None)
        carried.append(
            Contribution(
                meeting_id=meeting.id,
                step_id=step.id,
                participant_id=None,
                client_id=f"carried-{source.id}",
                data={
                    "text": need_text(source),
                    "carried_from": {"title": origin.title, "date": when.isoformat() if when else None},
                },
                origin_id=source.id,
            )
        )
    db.add_all(carried)
    db.commit()
    return carried


def roadmap_as_it_stands(db: Session, network_id: int, *, before: Meeting | None = None) -> list[Contribution]:
    """The validated items of the network's latest roadmap step that was worked on."""
    query = (
        select(Step)
        .join(Meeting, Meeting.id == Step.meeting_id)
        .where(Meeting.network_id == network_id, Step.activity == "roadmap", Step.opened_at.is_not(None))
        .order_by(Meeting.created_at.desc(), Step.position.desc())
    )
    if before is not None:
        query = query.where(Meeting.id != before.id)
    latest = db.scalars(query).first()
    if latest is None:
        return []
    items = db.scalars(
        select(Contribution)
        .where(
            Contribution.step_id == latest.id,
            Contribution.status == "validated",
            Contribution.hidden_at.is_(None),
            Contribution.merged_into_id.is_(None),
        )
        .order_by(Contribution.id)
    )
    return [c for c in items if c.data.get("kind") == "item"]


def carry_roadmap(db: Session, meeting: Meeting) -> list[Contribution]:
    """Start the meeting's roadmap step with the network's roadmap as it stands, progress included."""
    if meeting.network_id is None:
        return []
    step = next((s for s in meeting.steps if s.activity == "roadmap"), None)
    if step is None:
        return []
    carried = [
        Contribution(
            meeting_id=meeting.id,
            step_id=step.id,
            participant_id=None,
            client_id=f"roadmap-{source.id}",
            data={"kind": "item", "section": source.data.get("section"), "text": source.data.get("text", "")},
            status="validated",
            outcome={"progress": source.outcome.get("progress", "todo")},
            origin_id=source.id,
        )
        for source in roadmap_as_it_stands(db, meeting.network_id, before=meeting)
    ]
    db.add_all(carried)
    db.commit()
    return carried


def upcoming_news(db: Session, network_id: int, *, before: Meeting | None = None) -> list[dict[str, Any]]:
    """News of the network's earlier meetings whose deadline or date is still to come."""
    today = utcnow().date().isoformat()
    query = select(Meeting).where(Meeting.network_id == network_id).order_by(Meeting.created_at)
    if before is not None:
        query = query.where(Meeting.id != before.id)
    found: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for meeting in db.scalars(query):
        for step in meeting.steps:
            if step.activity != "news" or step.opened_at is None:
                continue
            activity = activity_for(step)
            assert isinstance(activity, News)
            shown = activity.shown_items(
                list(
                    db.scalars(
                        select(Contribution).where(Contribution.step_id == step.id, Contribution.hidden_at.is_(None))
                    )
                )
            )
            for item in shown:
                if max(item.get("deadline") or "", item.get("date") or "") >= today:
                    clean = {k: item.get(k) for k in ("type", "title", "date", "deadline", "link", "description")}
                    found[(clean["title"], clean["deadline"], clean["date"])] = clean
    return list(found.values())


def carry_news(db: Session, meeting: Meeting) -> None:
    """The meeting's first news step also lists the network's deadlines and dates still to come."""
    if meeting.network_id is None:
        return
    step = next((s for s in meeting.steps if s.activity == "news"), None)
    if step is None:
        return
    items = list((step.options or {}).get("items", []))
    known = {(i.get("title"), i.get("deadline"), i.get("date")) for i in items}
    for item in upcoming_news(db, meeting.network_id, before=meeting):
        if (item["title"], item["deadline"], item["date"]) not in known:
            items.append(item)
    step.options = {**(step.options or {}), "items": items}
    db.commit()


def directory(db: Session, network_id: int, search: str = "") -> list[dict[str, Any]]:
    """The network's members who agreed to be listed, as their latest check-in describes them;
    with `search`, those whose entry mentions it (name, structure, territory, role or skill)."""
    latest: dict[str, dict[str, Any]] = {}
    for contribution in check_ins(db, network_id):
        data = contribution.data
        if data.get("name"):
            latest[data["name"].casefold()] = dict(data)
    shared = [entry for entry in latest.values() if entry.get("share")]
    wanted = search.casefold().strip()
    if wanted:

        def mentions(entry: dict[str, Any]) -> bool:
            words = [entry.get(k, "") for k in ("name", "structure", "territory", "role")]
            return any(wanted in str(w).casefold() for w in [*words, *entry.get("offers", []), *entry.get("seeks", [])])

        shared = [entry for entry in shared if mentions(entry)]
    return sorted(shared, key=lambda entry: sort_key(entry["name"]))


def hosts(network: Network) -> list[tuple[str, Meeting]]:
    """Who hosted which meeting, most recent first."""
    return [(m.host, m) for m in reversed(network.meetings) if m.host]


def next_host(db: Session, network: Network) -> str | None:
    """A structure to propose as the next host: among the members' structures, one that has never
    hosted, else the one that hosted longest ago — hosts rotate."""
    # organisations, not people: every structure named at a check-in may be proposed
    structures = {c.data["structure"] for c in check_ins(db, network.id) if c.data.get("structure")}
    structures |= {m.host for m in network.meetings if m.host}
    if not structures:
        return None
    last_hosted: dict[str, int] = {}
    for position, meeting in enumerate(network.meetings):
        if meeting.host:
            last_hosted[meeting.host.casefold()] = position
    return min(sorted(structures, key=sort_key), key=lambda s: last_hosted.get(s.casefold(), -1))


def own_check_in(db: Session, token: object) -> Contribution:
    """A person's latest check-in in a network meeting, found by their phone's token."""
    person = db.scalar(select(Participant).where(Participant.token == token)) if isinstance(token, str) else None
    check_in = None
    if person is not None:
        check_in = db.scalars(
            select(Contribution)
            .join(Step, Step.id == Contribution.step_id)
            .join(Meeting, Meeting.id == Contribution.meeting_id)
            .where(
                Contribution.participant_id == person.id, Step.activity == "checkin", Meeting.network_id.is_not(None)
            )
            .order_by(Contribution.id.desc())
        ).first()
    if check_in is None:
        raise NotFound(_l("This link is not valid, or it has expired: check in at a meeting of the network first."))
    return check_in


def update_own_entry(db: Session, check_in: Contribution, form: Any) -> None:
    """A member corrects their directory entry, or takes it out (share = no)."""
    activity = activity_for(check_in.step)
    assert check_in.participant is not None
    # the directory entry only: what a member keeps private is set from their phone, not here
    clean, _private = activity.split_private(activity.validate_submission(form, check_in.participant))
    check_in.data = {**check_in.data, **clean}
    db.commit()

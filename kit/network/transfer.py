"""A whole network as one JSON file, and back: to move it to another kit server.

The file holds everything kit keeps about the network — meetings with their links' secrets, who
came, what they sent, votes — so it is to be kept like the database itself. Phones' tokens stay
behind: they only ever meant something to this server. Rows refer to each other
by their place in the file, not by database ids, so exporting what was imported gives the same
file. An import happens in one transaction: a file that is malformed, or from a newer kit,
is refused plainly and writes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from kit.activities import ACTIVITIES, activity_for
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Base, Contribution, Meeting, Network, Participant, Place, PlaceMember, Step, Vote
from kit.places import csv_io

FORMAT = "kit-network"
# 2: the network's places and the members linked to them
VERSION = 2
# columns that are references, rebuilt from places in the file; and the participants' phone
# tokens, which identify a phone on this server only (new ones are drawn on import)
SKIPPED = {
    "token",
    "id",
    "network_id",
    "meeting_id",
    "step_id",
    "participant_id",
    "contribution_id",
    "current_step_id",
    "merged_into_id",
    "origin_id",
    "place_id",
    # the key a public kit gave this network to publish there: a credential of this server, like the tokens
    "publish_key",
    # the network's chat webhook: whoever has the address may post in its channel
    "chat_webhook_url",
}


def _columns(model: type[Base]) -> list[str]:
    return [c.key for c in model.__table__.columns if c.key not in SKIPPED]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Base) -> dict[str, Any]:
    return {key: _plain(getattr(obj, key)) for key in _columns(type(obj))}


def export_network(db: Session, network: Network) -> dict[str, Any]:
    meetings_out = []
    refs: dict[int, str] = {}
    for m_index, meeting in enumerate(network.meetings):
        steps = list(meeting.steps)
        people = list(
            db.scalars(select(Participant).where(Participant.meeting_id == meeting.id).order_by(Participant.id))
        )
        contributions = list(
            db.scalars(select(Contribution).where(Contribution.meeting_id == meeting.id).order_by(Contribution.id))
        )
        for c_index, contribution in enumerate(contributions):
            refs[contribution.id] = f"{m_index}.{c_index}"
        meetings_out.append((meeting, steps, people, contributions))
    out_meetings = []
    for meeting, steps, people, contributions in meetings_out:
        step_place = {s.id: i for i, s in enumerate(steps)}
        person_place = {p.id: i for i, p in enumerate(people)}
        out_meetings.append(
            {
                **_row(meeting),
                "current_step": step_place.get(meeting.current_step_id) if meeting.current_step_id else None,
                "steps": [_row(s) for s in steps],
                "participants": [_row(p) for p in people],
                "contributions": [
                    {
                        **_row(c),
                        "step": step_place[c.step_id],
                        "participant": person_place.get(c.participant_id) if c.participant_id else None,
                        "merged_into": refs.get(c.merged_into_id) if c.merged_into_id else None,
                        "origin": refs.get(c.origin_id) if c.origin_id else None,
                        "votes": [person_place[v.participant_id] for v in sorted(c.votes, key=lambda v: v.id)],
                    }
                    for c in contributions
                ],
            }
        )
    places = db.scalars(select(Place).where(Place.network_id == network.id).order_by(Place.id))
    out_places = [{**_row(p), "members": [_row(m) for m in p.members]} for p in places]
    return {
        "format": FORMAT,
        "version": VERSION,
        "network": _row(network),
        "meetings": out_meetings,
        "places": out_places,
    }


def _bad(detail: str) -> KitError:
    return KitError("bad_import", _l("This file cannot be imported: %(detail)s", detail=detail))


def _build(model: type[Base], row: Any, where: str) -> Any:
    if not isinstance(row, dict):
        raise _bad(f"{where} is not an object")
    values = {}
    for column in model.__table__.columns:
        if column.key in SKIPPED or column.key not in row:
            continue
        value = row[column.key]
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            python_type = None
        if value is not None and python_type is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and python_type is date:
            value = date.fromisoformat(value)
        values[column.key] = value
    return model(**values)


# An import runs the checks the forms run: a file edited by hand (or by someone else) must not
# bring what no form would have taken, such as a javascript: link, into the pages. What passes is
# kept as exported (the checks complete and reshape a form's answer; the file holds the result).
def _checked_options(step: Step, where: str) -> None:
    if step.activity not in ACTIVITIES:
        raise _bad(f"{where}: unknown activity")
    try:
        ACTIVITIES[step.activity].validate_options(step.options or {})
    except OptionError as error:
        raise _bad(f"{where}, option {error.key}: {error.message}") from None


def _checked_data(contribution: Contribution, step: Step, person: Participant | None, where: str) -> None:
    data = contribution.data if isinstance(contribution.data, dict) else {}
    try:
        activity_for(step).validate_submission(data, person)  # type: ignore[arg-type]
    except InvalidInput as error:
        raise _bad(f"{where}, field {error.field}: {error.message}") from None


def _checked_place(place: Place, where: str) -> None:
    data = place.data if isinstance(place.data, dict) else {}
    cells = dict(zip(csv_io.standard.FIELDS, csv_io.as_row(place.ref or "", data), strict=True))
    errors: list[csv_io.Problem] = []
    csv_io.clean_place(cells, 0, errors, [])
    # a place made in kit may still lack the standard's required values: only wrong values are refused
    wrong = [problem for problem in errors if cells.get(problem.column)]
    if wrong:
        raise _bad(f"{where}, {wrong[0].column}: {wrong[0].message}")


def import_network(db: Session, data: Any) -> Network:
    """Recreate a network from its exported JSON, all or nothing."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _bad("it is not a kit network export")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise KitError("newer_import", _l("This file comes from a newer version of kit: update kit, then import it."))
    try:
        network = _build(Network, data.get("network"), "the network")
        db.add(network)
        refs: dict[str, Contribution] = {}
        links: list[tuple[Contribution, str | None, str | None]] = []
        meetings_in = data.get("meetings")
        if not isinstance(meetings_in, list):
            raise _bad("the meetings are missing")
        for m_index, raw in enumerate(meetings_in):
            meeting = _build(Meeting, raw, f"meeting {m_index + 1}")
            meeting.network = network
            steps = [_build(Step, s, f"a step of meeting {m_index + 1}") for s in raw.get("steps", [])]
            for s_index, step in enumerate(steps):
                _checked_options(step, f"step {s_index + 1} of meeting {m_index + 1}")
            meeting.steps = steps
            people = [
                _build(Participant, p, f"a participant of meeting {m_index + 1}") for p in raw.get("participants", [])
            ]
            db.add(meeting)
            db.flush()
            for person in people:
                person.meeting_id = meeting.id
                person.token = secrets.token_urlsafe(24)
                db.add(person)
            db.flush()
            if raw.get("current_step") is not None:
                meeting.current_step_id = steps[raw["current_step"]].id
            for c_index, row in enumerate(raw.get("contributions", [])):
                contribution = _build(Contribution, row, f"a contribution of meeting {m_index + 1}")
                contribution.meeting_id = meeting.id
                contribution.step_id = steps[row["step"]].id
                person = people[row["participant"]] if row.get("participant") is not None else None
                contribution.participant_id = person.id if person is not None else None
                _checked_data(
                    contribution, steps[row["step"]], person, f"contribution {c_index + 1} of meeting {m_index + 1}"
                )
                db.add(contribution)
                db.flush()
                for voter in row.get("votes", []):
                    db.add(Vote(contribution_id=contribution.id, participant_id=people[voter].id))
                refs[f"{m_index}.{c_index}"] = contribution
                links.append((contribution, row.get("merged_into"), row.get("origin")))
        places_in = data.get("places", [])
        if not isinstance(places_in, list):
            raise _bad("the places are not a list")
        for p_index, raw in enumerate(places_in):
            place = _build(Place, raw, f"place {p_index + 1}")
            _checked_place(place, f"place {p_index + 1}")
            place.network = network
            place.members = [_build(PlaceMember, m, f"a member of place {p_index + 1}") for m in raw.get("members", [])]
            db.add(place)
        for contribution, merged_into, origin in links:
            contribution.merged_into_id = refs[merged_into].id if merged_into else None
            contribution.origin_id = refs[origin].id if origin else None
        db.commit()
    except KitError:
        db.rollback()
        raise
    except IntegrityError as error:
        db.rollback()
        if "unique" in str(error.orig).lower():
            raise KitError(
                "import_conflict", _l("This network, or one of its meetings, is already on this server.")
            ) from None
        raise _bad("a required value is missing") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, SQLAlchemyError) as error:
        db.rollback()
        raise _bad(f"{type(error).__name__}: {error}"[:300]) from None
    return network

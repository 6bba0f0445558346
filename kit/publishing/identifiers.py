"""The names of what leaves the room: the Atom feed's and entries' ids, the calendar's event UIDs.

A feed reader or a calendar recognises an entry or an event by its id alone. Built from the
address kit answers at (PUBLIC_URL, the room's LAN address), ids changed whenever the laptop
joined another network; built from a position in a list, an id named another event once an item
was withdrawn. So each one comes from this installation's own uid (made once by a migration, kept
by backups) and the record's own id: `uuid5(installation uid, "<kind>-<id>")`, the same wherever
kit runs, and unlike any other installation's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from kit.core import queries
from kit.core.models import Meeting, Network


class Identifiers:
    """The ids of one installation's feeds and calendars (reads its uid once)."""

    def __init__(self, db: Session) -> None:
        self.installation = uuid.UUID(queries.installation_uid(db))

    def _name(self, *parts: Any) -> uuid.UUID:
        return uuid.uuid5(self.installation, "-".join(str(part) for part in parts))

    # -- Atom (RFC 4287 asks for an IRI that never changes: a urn:uuid is one) -------------------
    def network_feed(self, network: Network) -> str:
        return f"urn:uuid:{self._name('network', network.id)}"

    def minutes_entry(self, meeting: Meeting) -> str:
        return f"urn:uuid:{self._name('minutes', meeting.id)}"

    # -- iCalendar (RFC 7986 recommends a UUID as UID) -------------------------------------------
    def meeting_event(self, meeting: Meeting) -> str:
        """The event of a meeting itself (the network's next meeting, in earlier minutes' calendars)."""
        return str(self._name("meeting", meeting.id))

    def news_event(self, step_id: int, entry: dict[str, Any]) -> str:
        """The event of one dated entry of a news step (`News.dated`): a proposal is named by its
        contribution's id, an item of the step's options by its step and what it says (title, kind
        and day of the date) — never by its place in the list, which a withdrawal changes."""
        field = "deadline" if entry["is_deadline"] else "date"
        if entry.get("contribution_id") is not None:
            return str(self._name("contribution", entry["contribution_id"], field))
        return str(self._name("news", step_id, field, entry["when"], entry["title"]))

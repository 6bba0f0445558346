"""A network's public page: what a partner or someone who missed a meeting looks for, on a phone.

The published minutes, newest first; the next meeting with a date; how to follow the network;
its places of digital mediation. Nothing personal: no attendance, no directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kit.core import queries
from kit.core.models import Meeting, Network, Place
from kit.places import network_places
from kit.publishing.feeds import published


@dataclass(frozen=True)
class Showcase:
    network: Network
    minutes: list[Meeting]
    next_meeting: Meeting | None
    places: list[Place]


def next_meeting(db: Session, network: Network) -> Meeting | None:
    """The network's next prepared meeting with a date still to come."""
    return next(iter(queries.upcoming_meetings(db, network.id, limit=1)), None)


def showcase(db: Session, network: Network) -> Showcase:
    return Showcase(network, published(network), next_meeting(db, network), network_places(db, network.id))

"""Publishing keys: what a public kit gives a network so that the facilitator's laptop can send
the network's minutes to it. A key is shown once when it is made; only its hash is kept, and it
can be revoked at any time (the laptops that hold it are then refused)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.core.errors import KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Network, PublishingKey, utcnow

#: every key starts so, to be recognised in a settings file or a leaked log
PREFIX = "kitpub_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Session, network: Network) -> str:
    """A new key for the network; the only time it is seen whole is this return value."""
    key = PREFIX + secrets.token_urlsafe(32)
    db.add(PublishingKey(network_id=network.id, key_hash=_hash(key), hint=key[-4:]))
    db.commit()
    return key


def network_keys(db: Session, network: Network) -> list[PublishingKey]:
    return list(
        db.scalars(select(PublishingKey).where(PublishingKey.network_id == network.id).order_by(PublishingKey.id))
    )


def revoke(db: Session, network: Network, key_id: object) -> None:
    found = db.get(PublishingKey, key_id) if isinstance(key_id, int) else None
    if found is None or found.network_id != network.id:
        raise NotFound(_l("This publishing key does not exist."))
    if found.revoked_at is None:
        found.revoked_at = utcnow()
        db.commit()


class KeyRefused(KitError):
    """A request to the publishing API whose key is missing (401), unknown (401) or revoked (403)."""

    def __init__(self, code: str, status: int, message: object) -> None:
        super().__init__(code, message)  # type: ignore[arg-type]
        self.status = status


def network_of_key(db: Session, key: object) -> tuple[Network, PublishingKey]:
    """The network a key publishes to; KeyRefused when the key is missing, unknown or revoked."""
    if not isinstance(key, str) or not key:
        raise KeyRefused("no_key", 401, _l("The publishing key is missing."))
    found = db.scalar(select(PublishingKey).where(PublishingKey.key_hash == _hash(key.strip())))
    if found is None:
        raise KeyRefused(
            "unknown_key", 401, _l("This publishing key is not known to this kit: check it on the network's page.")
        )
    if found.revoked_at is not None:
        raise KeyRefused(
            "revoked_key",
            403,
            _l("This publishing key was revoked: ask the public kit's administrator for a new one."),
        )
    network = db.get(Network, found.network_id)
    assert network is not None
    return network, found


def masked(key: str) -> str:
    """A key as the network's page shows it back: enough to recognise it, not to use it."""
    if not key:
        return ""
    return f"{key[: len(PREFIX)]}…{key[-4:]}" if key.startswith(PREFIX) else f"…{key[-4:]}"

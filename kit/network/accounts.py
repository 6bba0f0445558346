"""Accounts on a server that serves several networks: who may do what, and signing in by a link.

Off on a laptop (the admin link `kit serve` prints rules there). On a server (`ACCOUNTS = true`):
- an installation **administrator** (`kit user add --admin EMAIL`) does everything;
- a network's **coordinator** keeps the network: its page, members, places, keys, invitations;
- a network's **facilitator** prepares, runs and publishes its meetings;
- nobody may do anything in a network they have no role in.

People sign in with a one-time link sent to their address: valid 15 minutes, used once, and
asking for one never tells whether the address has an account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.core.errors import Forbidden, InvalidInput, KitError, NotFound
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Meeting, Membership, Network, SignInLink, User, utcnow
from kit.core.validation import email_address

#: a role and what it reads as, weakest first: a stronger role may do what a weaker one may
ROLES = {"facilitator": _l("Facilitator"), "coordinator": _l("Coordinator")}
_RANK = {"facilitator": 1, "coordinator": 2}

LINK_LIFETIME = timedelta(minutes=15)
#: links one address may ask for per LINK_LIFETIME: more are not sent (and nothing says so)
LINKS_PER_WINDOW = 3


def _address(value: object) -> str:
    address = email_address(value, "email")
    if not address:
        raise InvalidInput(_l("Write an email address."), "email", code="empty")
    return address.lower()


# -- people ---------------------------------------------------------------------------------------
def user_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email.lower()))


def add_user(db: Session, email: object, *, admin: bool = False) -> User:
    """An account for this address (the same one if it exists: then made an administrator if asked)."""
    address = _address(email)
    user = user_by_email(db, address)
    if user is None:
        user = User(email=address, is_admin=admin)
        db.add(user)
    elif admin:
        user.is_admin = True
    db.commit()
    return user


def remove_user(db: Session, user: User) -> None:
    """Delete an account; the last administrator cannot be removed (nobody could manage the kit)."""
    if user.is_admin and admin_count(db) <= 1:
        raise KitError("last_admin", _l("This is the last administrator: add another one before removing this one."))
    db.delete(user)
    db.commit()


def admin_count(db: Session) -> int:
    return int(db.scalar(select(func.count(User.id)).where(User.is_admin)) or 0)


# -- roles ----------------------------------------------------------------------------------------
def role_in(user: User, network_id: int | None) -> str | None:
    """The user's role in a network, if any (an administrator's is none: they need none)."""
    return next((m.role for m in user.memberships if m.network_id == network_id), None)


def may(user: User | None, network_id: int | None, role: str = "facilitator") -> bool:
    """Whether this user may act in this network with at least `role` (meetings without a network
    are the administrators' alone)."""
    if user is None:
        return False
    if user.is_admin:
        return True
    held = role_in(user, network_id) if network_id is not None else None
    return held is not None and _RANK[held] >= _RANK[role]


def may_run(user: User | None, meeting: Meeting) -> bool:
    return may(user, meeting.network_id, "facilitator")


def networks_of(db: Session, user: User) -> list[Network]:
    """The networks a user may see: all for an administrator, else those they have a role in."""
    query = select(Network).order_by(Network.name)
    if not user.is_admin:
        query = query.join(Membership, Membership.network_id == Network.id).where(Membership.user_id == user.id)
    return list(db.scalars(query))


def members(db: Session, network: Network) -> list[Membership]:
    return list(
        db.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.network_id == network.id)
            .order_by(User.email)
        )
    )


def invite(db: Session, network: Network, email: object, role: object) -> Membership:
    """Give someone a role in the network (their account is made if needed)."""
    if role not in ROLES:
        raise InvalidInput(_l("Choose a role: coordinator or facilitator."), "role")
    address = _address(email)
    user = user_by_email(db, address) or User(email=address)
    if user.id is not None and role_in(user, network.id) is not None:
        raise InvalidInput(
            _l("%(email)s is already a member of this network: change their role in the list instead.", email=address),
            "email",
            code="already_member",
        )
    membership = Membership(user=user, network_id=network.id, role=str(role))
    db.add(membership)
    db.commit()
    return membership


def set_role(db: Session, network: Network, membership_id: object, role: object, by: User) -> Membership:
    membership = _membership(db, network, membership_id)
    if role not in ROLES:
        raise InvalidInput(_l("Choose a role: coordinator or facilitator."), "role")
    if membership.user_id == by.id and role != membership.role and not by.is_admin:
        raise Forbidden(_l("You cannot change your own role: ask another coordinator."))
    membership.role = str(role)
    db.commit()
    return membership


def remove_member(db: Session, network: Network, membership_id: object, by: User) -> None:
    membership = _membership(db, network, membership_id)
    if membership.user_id == by.id and not by.is_admin:
        raise Forbidden(_l("You cannot remove yourself from the network: ask another coordinator."))
    db.delete(membership)
    db.commit()


def _membership(db: Session, network: Network, membership_id: object) -> Membership:
    found = db.get(Membership, membership_id) if isinstance(membership_id, int) else None
    if found is None or found.network_id != network.id:
        raise NotFound(_l("This person is not a member of this network."))
    return found


# -- signing in -----------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_sign_in_link(db: Session, email: object, now: datetime | None = None) -> tuple[User, str] | None:
    """A fresh link's secret for this address, or None when none is to be sent (no such account,
    or too many asked lately): the caller says the same thing in every case."""
    address = _address(email)
    user = user_by_email(db, address)
    if user is None:
        return None
    now = now or utcnow()
    recent = db.scalar(
        select(func.count(SignInLink.id)).where(
            SignInLink.user_id == user.id, SignInLink.created_at > now - LINK_LIFETIME
        )
    )
    if (recent or 0) >= LINKS_PER_WINDOW:
        return None
    token = secrets.token_urlsafe(32)
    db.add(SignInLink(user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=now + LINK_LIFETIME))
    db.commit()
    return user, token


def link_is_valid(db: Session, token: object, now: datetime | None = None) -> bool:
    return _live_link(db, token, now or utcnow()) is not None


def use_sign_in_link(db: Session, token: object, now: datetime | None = None) -> User:
    """The account a link signs in, once: the link is spent; expired, used or unknown ones are refused."""
    now = now or utcnow()
    link = _live_link(db, token, now)
    if link is None:
        raise NotFound(_l("This sign-in link has expired or was already used. Ask for a new one."))
    link.used_at = now
    user = db.get(User, link.user_id)
    assert user is not None
    user.signed_in_at = now
    db.commit()
    return user


def _live_link(db: Session, token: object, now: datetime) -> SignInLink | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    link = db.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link

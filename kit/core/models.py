"""What kit stores: meetings, their steps, participants and their contributions."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Times stored in UTC and always read back as aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Status(enum.StrEnum):
    PREPARED = "prepared"
    LIVE = "live"
    CLOSED = "closed"
    PUBLISHED = "published"


class Network(Base):
    """A local network of the field: its meetings follow one another and remember each other."""

    __tablename__ = "network"
    __table_args__ = (UniqueConstraint("feed_token", name="uq_network_feed_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(200), default="")
    # EPCI, département or région
    scale: Mapped[str] = mapped_column(String(20), default="")
    # the unguessable part of the network's public feed of published minutes
    feed_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(18))
    # the network's own mailing list address(es), one a line: the minutes are sent there too
    mailing_list: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the network's public kit (a kit on a public server) its published minutes are sent to, and the
    # publishing key that kit made for the network: a credential, never shown back whole or exported
    publish_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    publish_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # the network's places published as open data (public URLs, Licence Ouverte 2.0), by choice,
    # and the producer's SIRET or RNA number that the standard's file name carries
    open_data: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_data_producer: Mapped[str] = mapped_column(String(14), default="", server_default="")
    # the network's own chat: an incoming webhook its published minutes are posted to (a credential:
    # whoever has it may post there, so never shown back whole or exported) and the payload that chat
    # reads (kit.publishing.webhook.FORMATS or "auto"); None: the installation's WEBHOOK_URL and
    # WEBHOOK_FORMAT
    chat_webhook_url: Mapped[str | None] = mapped_column(String(500))
    chat_format: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meetings: Mapped[list[Meeting]] = relationship(back_populates="network", order_by="Meeting.created_at")


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("network_id", "received_from", name="uq_meeting_network_id_received_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    meeting_date: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    # the structure that hosts this meeting (hosts rotate among members)
    host: Mapped[str] = mapped_column(String(200), default="", server_default="")
    language: Mapped[str] = mapped_column(String(5), default="fr")
    template_name: Mapped[str] = mapped_column(String(200), default="")
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("network.id", ondelete="SET NULL", name="fk_meeting_network_id_network"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=Status.PREPARED.value)
    current_step_id: Mapped[int | None] = mapped_column(
        ForeignKey("step.id", use_alter=True, ondelete="SET NULL", name="fk_meeting_current_step_id_step")
    )
    # bumped by every change, so a view can tell an old message from a new one
    version: Mapped[int] = mapped_column(Integer, default=0)
    facilitator_key: Mapped[str] = mapped_column(String(64))
    screen_key: Mapped[str] = mapped_column(String(64))
    share_token: Mapped[str] = mapped_column(String(64), unique=True)
    minutes_md: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # set when the retention period erased who came and who said what (kit.meeting.privacy)
    personal_data_erased_at: Mapped[datetime | None]
    # when the minutes' text last changed (written, edited, a withdrawal or an erasure taken out):
    # what a feed reader is told as the entry's `updated`
    minutes_updated_at: Mapped[datetime | None]
    # room control: nobody new may join; nobody may send (the facilitator's choices, during the meeting)
    joining_locked: Mapped[bool] = mapped_column(default=False, server_default=false())
    posting_paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    # whether the projected screen shows how many people are connected
    presence_hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    # whether a participant may join and send without giving a name (shown as "Anonymous")
    anonymous_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # whether the projected screen lists only the contributions the facilitator picked
    screen_picked_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the meeting's version when the current step was put on screen: with the step's id, what
    # every message that depends on the current step carries, so a view that is behind is told
    step_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # on a laptop: the address the network's public kit gave the minutes (what everyone can open), the
    # `minutes_updated_at` of the copy it holds (a later change: send again), and why the last send failed
    public_url: Mapped[str | None] = mapped_column(String(500))
    public_sent_at: Mapped[datetime | None]
    public_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # on a public kit: a meeting received from a laptop, named by "<installation uid>/<its meeting id>"
    # there (a second send updates it), and what its public pages need beyond the minutes' text
    # (their JSON twin, the calendar's dates, the venue photo's name; see kit.publishing.received)
    received_from: Mapped[str | None] = mapped_column(String(120))
    received: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    steps: Mapped[list[Step]] = relationship(
        back_populates="meeting",
        order_by="Step.position",
        foreign_keys="Step.meeting_id",
        cascade="all, delete-orphan",
    )
    current_step: Mapped[Step | None] = relationship(foreign_keys=[current_step_id], post_update=True)
    network: Mapped[Network | None] = relationship(back_populates="meetings")

    @property
    def state(self) -> Status:
        return Status(self.status)

    @property
    def display_code(self) -> str:
        """The code as shown on the screen: ABC-DEF reads better from the back of a room."""
        return f"{self.code[:3]}-{self.code[3:]}"

    def write_minutes(self, text: str) -> None:
        """Store the minutes' text; when it differs, note when, so feed readers see the change."""
        if text != self.minutes_md:
            self.minutes_md = text
            self.minutes_updated_at = utcnow()


class Step(Base):
    __tablename__ = "step"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    activity: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # set the first time the facilitator opens the step; contributions are accepted from then on
    opened_at: Mapped[datetime | None]
    # what the activity keeps while the step runs (e.g. which need is being answered, a timer)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # the facilitator's two lines on the step ("En bref"), at the top of the minutes
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")

    meeting: Mapped[Meeting] = relationship(back_populates="steps", foreign_keys=[meeting_id])


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    # the phone's secret: whoever holds it is this participant, across reloads and restarts
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # empty for someone who joined without a name, where the facilitator allows it
    display_name: Mapped[str] = mapped_column(String(120))
    structure: Mapped[str] = mapped_column(String(200), default="")
    territory: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="fr")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # removed by the facilitator: cannot send any more; what they sent stays, for moderation
    removed_at: Mapped[datetime | None]
    # given at check-in, with `wants_minutes` ticked, to receive the minutes; never shown or exported
    email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    wants_minutes: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def shown_name(self) -> str:
        return shown_name(self.display_name)


def shown_name(display_name: str) -> str:
    """A participant's name as shown: "Anonymous" (translated) for someone who joined without one."""
    return display_name or gettext("Anonymous")


#: `Contribution.hidden_by` when its own author withdrew it
WITHDRAWN_BY_AUTHOR = "participant"


class Contribution(Base):
    __tablename__ = "contribution"
    # the phone's own id for what it sent: a resend finds the first copy instead of adding one
    __table_args__ = (UniqueConstraint("participant_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", ondelete="CASCADE"), index=True)
    # None for a need carried over from an earlier meeting of the network: nobody here wrote it
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # where the facilitator took it: the activity's own words ("open", "answered", "deferred", …)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    # what the facilitator recorded about it (an answer, a channel, …), as the activity defines
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # moderation: nothing a participant sent disappears without a trace
    hidden_at: Mapped[datetime | None]
    hidden_by: Mapped[str | None] = mapped_column(String(120))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL", name="fk_contribution_merged_into_id_contribution")
    )
    # the participant's own words, kept when the facilitator edits them
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    edited_at: Mapped[datetime | None]
    # the contribution of an earlier meeting this one carries over (a need deferred to this meeting)
    origin_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL", name="fk_contribution_origin_id_contribution"), index=True
    )

    # picked by the facilitator, for the screen's "only what I picked" mode
    picked_at: Mapped[datetime | None]
    # marked by the facilitator as a decision of the meeting: listed at the top of the minutes
    decision: Mapped[bool] = mapped_column(default=False, server_default=false())

    participant: Mapped[Participant | None] = relationship()
    step: Mapped[Step] = relationship()
    votes: Mapped[list[Vote]] = relationship(back_populates="contribution", cascade="all, delete-orphan")

    @property
    def author(self) -> str:
        """Who wrote it, as shown; empty for what was carried over from an earlier meeting."""
        return self.participant.shown_name if self.participant is not None else ""

    @property
    def visible(self) -> bool:
        """Shown on the screen and in the minutes: neither hidden nor merged into another."""
        return self.hidden_at is None and self.merged_into_id is None

    @property
    def withdrawn(self) -> bool:
        """Its author took it back: the minutes keep where it stood, never what it said."""
        return self.hidden_by == WITHDRAWN_BY_AUTHOR


class Vote(Base):
    """One person's support for one contribution (a need, a question): at most one each."""

    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contribution.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contribution: Mapped[Contribution] = relationship(back_populates="votes")


class Place(Base):
    """A place of the network (*lieu de médiation numérique*) in the national standard's terms.

    ``data`` holds the standard's columns (lists for the multi-valued ones, see kit.places.standard),
    all but ``id``, which is ``ref``; ``offer`` holds what the offer sheet adds (how long, how often).
    """

    __tablename__ = "place"
    __table_args__ = (
        UniqueConstraint("network_id", "ref", name="uq_place_network_id_ref"),
        UniqueConstraint("sheet_token", name="uq_place_sheet_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    # the standard's "id": the producer's own identifier of the place
    ref: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    offer: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # the unguessable part of the offer sheet's address, to give publics and prescribers
    sheet_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    network: Mapped[Network] = relationship()
    members: Mapped[list[PlaceMember]] = relationship(
        back_populates="place", cascade="all, delete-orphan", order_by="PlaceMember.id"
    )


class PlaceMember(Base):
    """A member of the network who works at a place; their personal link edits its offer sheet."""

    __tablename__ = "place_member"
    __table_args__ = (UniqueConstraint("edit_key", name="uq_place_member_edit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # the secret of the member's personal link
    edit_key: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    place: Mapped[Place] = relationship(back_populates="members")


class Installation(Base):
    """This kit itself: one row, made by the migration that created the table. Its `uid` names
    what leaves the room (feed entries, calendar events, messages) whatever address the laptop
    has on whichever network it joins."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailDelivery(Base):
    """One message of one mailing (the minutes of a meeting, a newsletter) to one address: recorded
    before it is sent, so a restart or a second click never sends it twice."""

    __tablename__ = "mail_delivery"
    __table_args__ = (UniqueConstraint("mailing", "address", name="uq_mail_delivery_mailing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # what is sent, e.g. "minutes-12": the same mailing reaches one address once
    mailing: Mapped[str] = mapped_column(String(100), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(320))
    # the secret of the person's link to stop receiving the network's minutes
    stop_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(18))
    # waiting, sent, refused (permanently: a wrong address, say)
    status: Mapped[str] = mapped_column(String(16), default="waiting", server_default="waiting")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class MailOptOut(Base):
    """An address that asked, through its link, to receive no more of a network's mailings."""

    __tablename__ = "mail_opt_out"
    __table_args__ = (UniqueConstraint("network_id", "address", name="uq_mail_opt_out_network_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """Someone who signs in to a kit on a server (accounts are off on a laptop): an installation
    administrator, or a coordinator or facilitator of one or more networks (`Membership`)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # lower case, as checked by kit.core.validation.email_address
    email: Mapped[str] = mapped_column(String(320), unique=True)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_in_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # what Flask-Login asks of a user
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class Membership(Base):
    """A user's role in one network: `coordinator` (the network, its members, places and keys) or
    `facilitator` (prepare, run and publish its meetings)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "network_id", name="uq_membership_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    network: Mapped[Network] = relationship()


class SignInLink(Base):
    """A one-time sign-in link sent by email: only its hash is kept; valid 15 minutes, used once."""

    __tablename__ = "sign_in_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PublishingKey(Base):
    """A key a laptop's kit sends a network's minutes to this (public) kit with. Only its hash is
    kept: the key is shown once, when it is made."""

    __tablename__ = "publishing_key"
    __table_args__ = (UniqueConstraint("key_hash", name="uq_publishing_key_key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"), index=True)
    # sha256 of the key, in hex: the key is long and random, so no slow hash is needed
    key_hash: Mapped[str] = mapped_column(String(64))
    # its last characters, to tell keys apart on the network's page
    hint: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

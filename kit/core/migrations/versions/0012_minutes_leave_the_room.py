"""What the minutes need to leave the room: the installation's own id (for feed and calendar ids
that do not move with the laptop's address), when the minutes' text last changed, and sending by
email (addresses given at check-in, a network's list, one record per message, opt-outs)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("created_at", kit.core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
        sa.UniqueConstraint("uid", name=op.f("uq_installation_uid")),
    )
    # made once, here: every process of this installation reads the same one
    op.bulk_insert(installation, [{"id": 1, "uid": str(uuid.uuid4()), "created_at": kit.core.models.utcnow()}])
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minutes_updated_at", kit.core.models.UTCDateTime(), nullable=True))
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailing_list", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("wants_minutes", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "mail_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing", sa.String(length=100), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("stop_token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="waiting"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", kit.core.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", kit.core.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_mail_delivery_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_mail_delivery_network_id_network"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_mail_delivery_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_delivery")),
        sa.UniqueConstraint("mailing", "address", name=op.f("uq_mail_delivery_mailing")),
        sa.UniqueConstraint("stop_token", name=op.f("uq_mail_delivery_stop_token")),
    )
    with op.batch_alter_table("mail_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_delivery_mailing"), ["mailing"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_delivery_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_delivery_network_id"), ["network_id"], unique=False)
    op.create_table(
        "mail_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("created_at", kit.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_mail_opt_out_network_id_network"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_opt_out")),
        sa.UniqueConstraint("network_id", "address", name=op.f("uq_mail_opt_out_network_id")),
    )
    with op.batch_alter_table("mail_opt_out", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_opt_out_network_id"), ["network_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_opt_out")
    op.drop_table("mail_delivery")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("wants_minutes")
        batch_op.drop_column("email")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("mailing_list")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("minutes_updated_at")
    op.drop_table("installation")

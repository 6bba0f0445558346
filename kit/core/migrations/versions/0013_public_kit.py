"""Publishing to the network's public kit: on a laptop, the public kit's address and key per network
and where each meeting's minutes stand there; on the public kit, the publishing keys it made and the
meetings it received

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_url", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("publish_key", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("public_sent_at", kit.core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("public_error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("received_from", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("received", sa.JSON(), nullable=True))
        batch_op.create_unique_constraint("uq_meeting_network_id_received_from", ["network_id", "received_from"])
    op.create_table(
        "publishing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("created_at", kit.core.models.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", kit.core.models.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", kit.core.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_publishing_key_network_id_network"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishing_key")),
        sa.UniqueConstraint("key_hash", name="uq_publishing_key_key_hash"),
    )
    with op.batch_alter_table("publishing_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publishing_key_network_id"), ["network_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("publishing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publishing_key_network_id"))
    op.drop_table("publishing_key")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint("uq_meeting_network_id_received_from", type_="unique")
        batch_op.drop_column("received")
        batch_op.drop_column("received_from")
        batch_op.drop_column("public_error")
        batch_op.drop_column("public_sent_at")
        batch_op.drop_column("public_url")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("publish_key")
        batch_op.drop_column("publish_url")

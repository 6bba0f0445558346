"""The network's places in the national standard, and which members work where

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("offer", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("sheet_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["network.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network_id", "ref", name="uq_place_network_id_ref"),
        sa.UniqueConstraint("sheet_token", name="uq_place_sheet_token"),
    )
    op.create_index("ix_place_network_id", "place", ["network_id"], unique=False)
    op.create_table(
        "place_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("edit_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["place_id"], ["place.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("edit_key", name="uq_place_member_edit_key"),
    )
    op.create_index("ix_place_member_place_id", "place_member", ["place_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_place_member_place_id", table_name="place_member")
    op.drop_table("place_member")
    op.drop_index("ix_place_network_id", table_name="place")
    op.drop_table("place")

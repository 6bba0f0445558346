"""Room control: joining locked, posting paused, participants removed

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joining_locked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("posting_paused", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", kit.core.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("posting_paused")
        batch_op.drop_column("joining_locked")

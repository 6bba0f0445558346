"""Room modes: posting without a name, the screen showing only what the facilitator picked, and
the version of the step on screen (so every view can tell it is behind)

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymous_allowed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("screen_picked_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("step_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_column("picked_at")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("step_version")
        batch_op.drop_column("screen_picked_only")
        batch_op.drop_column("anonymous_allowed")

"""Decisions and summaries: a contribution the facilitator marks as a decision, and each step's
two-line summary ("En bref"), both at the top of the minutes

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_column("decision")

"""A network's places as open data: opted in per network, with the producer's SIRET or RNA number
that the standard's file name carries

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_data", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("open_data_producer", sa.String(14), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("open_data_producer")
        batch_op.drop_column("open_data")

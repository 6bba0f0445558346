"""A network's own chat: the incoming webhook its published minutes are posted to, and the payload
that chat reads; both empty mean the installation's `WEBHOOK_URL` and `WEBHOOK_FORMAT`

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_webhook_url", sa.String(500), nullable=True))
        batch_op.add_column(sa.Column("chat_format", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("chat_format")
        batch_op.drop_column("chat_webhook_url")

"""Each network's public feed of published minutes, at an unguessable address

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for (network_id,) in connection.execute(sa.text("SELECT id FROM network")).all():
        connection.execute(
            sa.text("UPDATE network SET feed_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(18), "id": network_id},
        )
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.alter_column("feed_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_network_feed_token", ["feed_token"])


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_constraint("uq_network_feed_token", type_="unique")
        batch_op.drop_column("feed_token")

"""Networks, the meetings that belong to them, and needs carried over between their meetings

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('territory', sa.String(length=200), nullable=False),
    sa.Column('scale', sa.String(length=20), nullable=False),
    sa.Column('created_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_id', sa.Integer(), nullable=True))
        batch_op.alter_column('participant_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_contribution_origin_id'), ['origin_id'], unique=False)
        batch_op.create_foreign_key('fk_contribution_origin_id_contribution', 'contribution', ['origin_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_meeting_network_id'), ['network_id'], unique=False)
        batch_op.create_foreign_key('fk_meeting_network_id_network', 'network', ['network_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meeting_network_id_network', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_meeting_network_id'))
        batch_op.drop_column('network_id')

    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contribution_origin_id_contribution', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contribution_origin_id'))
        batch_op.alter_column('participant_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('origin_id')

    op.drop_table('network')

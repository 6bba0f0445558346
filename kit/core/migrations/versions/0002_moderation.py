"""Moderation, statuses and outcomes of contributions, votes, and each step's running state

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contribution_id', 'participant_id')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_contribution_id'), ['contribution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vote_participant_id'), ['participant_id'], unique=False)

    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('outcome', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('hidden_at', kit.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('original', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', kit.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_contribution_merged_into_id_contribution', 'contribution', ['merged_into_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.drop_column('state')

    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contribution_merged_into_id_contribution', type_='foreignkey')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('original')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('hidden_by')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('status')

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_participant_id'))
        batch_op.drop_index(batch_op.f('ix_vote_contribution_id'))

    op.drop_table('vote')

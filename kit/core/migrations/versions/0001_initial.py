"""Meetings, their steps, participants and contributions

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kit.core.models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('meeting_date', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('template_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_step_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('facilitator_key', sa.String(length=64), nullable=False),
    sa.Column('screen_key', sa.String(length=64), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=False),
    sa.Column('minutes_md', sa.Text(), nullable=True),
    sa.Column('created_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', kit.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', kit.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', kit.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('share_token')
    )
    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('structure', sa.String(length=200), nullable=False),
    sa.Column('territory', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('joined_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('opened_at', kit.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'position')
    )
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_meeting_id'), ['meeting_id'], unique=False)

    # meeting and step point at each other: the meeting's link to its current step comes last
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_meeting_current_step_id_step', 'step', ['current_step_id'], ['id'], ondelete='SET NULL')

    op.create_table('contribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kit.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['step.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'client_id')
    )
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_step_id'), ['step_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contribution_step_id'))
        batch_op.drop_index(batch_op.f('ix_contribution_participant_id'))
        batch_op.drop_index(batch_op.f('ix_contribution_meeting_id'))

    op.drop_table('contribution')
    with op.batch_alter_table('step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_meeting_id'))

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_meeting_id'))

    op.drop_table('participant')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meeting_current_step_id_step', type_='foreignkey')
    op.drop_table('step')
    op.drop_table('meeting')

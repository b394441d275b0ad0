"""delivery reference and thread key on outbox rows, for threaded follow-ups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('thread_key', sa.String(length=300), nullable=True))
        batch_op.create_index('ix_outbox_thread', ['notifier', 'thread_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_thread')
        batch_op.drop_column('thread_key')
        batch_op.drop_column('reference')

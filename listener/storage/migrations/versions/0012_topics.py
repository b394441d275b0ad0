"""mention_topics: the configured topics each mention matched (issue 14, touchpoints and topics)

A new table only: existing mentions are tagged by `listener rescore`.

Revision ID: 0012_topics
Revises: 0011_churn_intent
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_topics'
down_revision = '0011_churn_intent'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mention_topics',
        sa.Column('mention_id', sa.Integer(), sa.ForeignKey('mentions.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('topic', sa.String(length=100), primary_key=True),
    )
    op.create_index('ix_mention_topics_topic', 'mention_topics', ['topic', 'mention_id'])


def downgrade() -> None:
    op.drop_index('ix_mention_topics_topic', table_name='mention_topics')
    op.drop_table('mention_topics')

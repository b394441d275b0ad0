"""a brand's own posts are flagged on their brand link, and no longer count as mentions of it

A post by one of the brand's `own_accounts` (an answer from its support account) is stored so
that response-time metrics can find it, but it is the brand speaking, not a customer: its apology
("sorry for the outage") must not count as a negative mention, nor its volume as the brand's
volume. Existing links start unflagged; the daemon flags the own posts among them when it starts,
from the configured accounts (`Store.sync_own_posts`).

Revision ID: 0014_own_answers
Revises: 0013_survey_topics
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0014_own_answers'
down_revision = '0013_survey_topics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mention_brands', sa.Column('own', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        'ix_mention_brands_own', 'mention_brands', ['mention_id'],
        sqlite_where=sa.text('own'), postgresql_where=sa.text('own'),
    )


def downgrade() -> None:
    # The rollups leave flagged posts out; the older code counts them: after downgrading, run
    # `listener db rebuild-rollups` so that the rollups match the rows again.
    op.drop_index('ix_mention_brands_own', table_name='mention_brands')
    op.drop_column('mention_brands', 'own')

"""mentions whose platform gave no time are marked undated (issue 15)

Their `created_at` is when they were first collected; the alert rules' window counts leave them
out, so a feed's backlog of undated entries cannot look like a spike. Existing rows are dated.

Revision ID: 0007_undated_mentions
Revises: 0006_web_sessions
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_undated_mentions'
down_revision = '0006_web_sessions'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, never batch mode: on SQLite a batch rebuild of `mentions` drops the old
# table, and with foreign keys on that cascades to every row of `mention_brands`.


def upgrade() -> None:
    op.add_column('mentions', sa.Column('undated', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('mention_brands', sa.Column('undated', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('mention_brands', 'undated')
    op.drop_column('mentions', 'undated')

"""mentions keep a review's star rating (issue 14, review sites as sources)

App Store and Google Play reviews come with 1 to 5 stars; every other mention has none, so the
column is nullable and existing rows stay NULL.

Revision ID: 0008_review_ratings
Revises: 0007_undated_mentions
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_review_ratings"
down_revision = "0007_undated_mentions"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, never batch mode: on SQLite a batch rebuild of `mentions` drops the old
# table, and with foreign keys on that cascades to every row of `mention_brands`.


def upgrade() -> None:
    op.add_column("mentions", sa.Column("rating", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("mentions", "rating")

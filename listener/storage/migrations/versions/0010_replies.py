"""mentions keep the reply relationship the platform gives, for response-time metrics (issue 14)

`conversation_id` is the platform's thread and `in_reply_to` the external id of the post a mention
answers; both are nullable (older rows and platforms without threads have neither).

Revision ID: 0010_replies
Revises: 0009_surveys
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_replies"
down_revision = '0009_surveys'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, never batch mode: on SQLite a batch rebuild of `mentions` drops the old
# table, and with foreign keys on that cascades to every row of `mention_brands`.


def upgrade() -> None:
    op.add_column("mentions", sa.Column("conversation_id", sa.String(length=200), nullable=True))
    op.add_column("mentions", sa.Column("in_reply_to", sa.String(length=200), nullable=True))
    op.create_index("ix_mentions_source_in_reply_to", "mentions", ["source", "in_reply_to"])


def downgrade() -> None:
    op.drop_index("ix_mentions_source_in_reply_to", table_name="mentions")
    op.drop_column("mentions", "in_reply_to")
    op.drop_column("mentions", "conversation_id")

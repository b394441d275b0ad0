"""survey comments are tagged with the configured topics, like mentions (issue 14, parts 3 and 4)

Revision ID: 0013_survey_topics
Revises: 0012_topics
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_survey_topics"
down_revision = "0012_topics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("survey_responses", sa.Column("topics", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("survey_responses", "topics")

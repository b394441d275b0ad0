"""survey answers (NPS, CSAT, CES) beside social sentiment (issue 14, part 4)

Revision ID: 0009_surveys
Revises: 0008_review_ratings
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_surveys"
down_revision = "0008_review_ratings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("response_key", sa.String(length=200), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("touchpoint", sa.String(length=200), nullable=True),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("sentiment_label", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("sentiment_confidence", sa.Float(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("scored_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand", "kind", "response_key", name="uq_survey_responses_brand_kind_key"),
    )
    op.create_index("ix_survey_responses_brand_responded", "survey_responses", ["brand", "responded_at"])


def downgrade() -> None:
    op.drop_index("ix_survey_responses_brand_responded", table_name="survey_responses")
    op.drop_table("survey_responses")

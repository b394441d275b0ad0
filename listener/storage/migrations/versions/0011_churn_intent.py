"""churn intent per mention and per brand link, with the pattern that flagged it (issue 14)

Nullable: existing mentions are not judged until `listener rescore` reaches them. The index lets
churn counts per window and bucket read only the flagged links of a brand, so churn needs no
rollup column.

Revision ID: 0011_churn_intent
Revises: 0010_replies
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_churn_intent'
down_revision = '0010_replies'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, never batch mode: on SQLite a batch rebuild of `mentions` drops the old
# table, and with foreign keys on that cascades to every row of `mention_brands`.


def upgrade() -> None:
    op.add_column('mentions', sa.Column('churn_intent', sa.Boolean(), nullable=True))
    op.add_column('mention_brands', sa.Column('churn_intent', sa.Boolean(), nullable=True))
    op.add_column('mention_brands', sa.Column('churn_pattern', sa.String(length=80), nullable=True))
    op.create_index(
        'ix_mention_brands_brand_churn_created', 'mention_brands', ['brand', 'churn_intent', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_mention_brands_brand_churn_created', table_name='mention_brands')
    op.drop_column('mention_brands', 'churn_pattern')
    op.drop_column('mention_brands', 'churn_intent')
    op.drop_column('mentions', 'churn_intent')

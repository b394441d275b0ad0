"""brands whose detection stopped waiting for unscored mentions (issue 11's guard)

Revision ID: 0005_judging_stalls
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_judging_stalls'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('judging_stalls',
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('oldest_unscored', sa.DateTime(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('brand')
    )


def downgrade() -> None:
    op.drop_table('judging_stalls')

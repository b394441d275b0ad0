"""server-side dashboard sessions, so logout revokes a cookie (issue 18)

Revision ID: 0006_web_sessions
Revises: 0005_judging_stalls
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '0006_web_sessions'
down_revision = '0005_judging_stalls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash')
    )
    op.create_index('ix_web_sessions_expires_at', 'web_sessions', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_web_sessions_expires_at', table_name='web_sessions')
    op.drop_table('web_sessions')

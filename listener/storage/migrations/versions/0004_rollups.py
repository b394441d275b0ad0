"""sentiment rollups per hour and day (backfilled), sent digests, index for filtered mention lists

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The hour as the column stores it: SQLAlchemy writes SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'
# text, so backfilled keys must have exactly that form to meet the rows written later.
_TRUNCATE = {
    'sqlite': {'hour': "strftime('%Y-%m-%d %H:00:00.000000', mb.created_at)", 'day': "strftime('%Y-%m-%d 00:00:00.000000', mb.created_at)"},
    'postgresql': {'hour': "date_trunc('hour', mb.created_at)", 'day': "date_trunc('day', mb.created_at)"},
}


def upgrade() -> None:
    op.create_table('sentiment_rollups',
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=False),
    sa.Column('mentions', sa.Integer(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('brand', 'hour', 'source', 'language', 'sentiment')
    )
    op.create_table('sentiment_rollups_daily',
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('day', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=False),
    sa.Column('mentions', sa.Integer(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('brand', 'day', 'source', 'language', 'sentiment')
    )
    op.create_table('sentiment_totals_hourly',
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=False),
    sa.Column('mentions', sa.Integer(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('brand', 'hour', 'sentiment')
    )
    op.create_table('sentiment_totals_daily',
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('day', sa.DateTime(), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=False),
    sa.Column('mentions', sa.Integer(), nullable=False),
    sa.Column('reach', sa.BigInteger(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('brand', 'day', 'sentiment')
    )
    op.create_table('digests_sent',
    sa.Column('digest', sa.String(length=100), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('digest', 'brand', 'period_start')
    )
    with op.batch_alter_table('mention_brands', schema=None) as batch_op:
        batch_op.create_index('ix_mention_brands_brand_label_created', ['brand', 'sentiment_label', 'created_at'], unique=False)

    truncate = _TRUNCATE.get(op.get_bind().dialect.name)
    if truncate is None:  # other dialects start empty; `listener db rebuild-rollups` fills them
        return
    dimensions = "m.source, COALESCE(m.language, ''), "
    for table, column, unit, dims, dim_columns in (
        ('sentiment_rollups', 'hour', 'hour', dimensions, 'source, language, '),
        ('sentiment_rollups_daily', 'day', 'day', dimensions, 'source, language, '),
        ('sentiment_totals_hourly', 'hour', 'hour', '', ''),
        ('sentiment_totals_daily', 'day', 'day', '', ''),
    ):
        bucket = truncate[unit]
        op.execute(
            f"INSERT INTO {table} (brand, {column}, {dim_columns}sentiment, mentions, reach, score_sum) "
            f"SELECT mb.brand, {bucket}, {dims}COALESCE(mb.sentiment_label, ''), "
            "COUNT(*), COALESCE(SUM(m.author_reach), 0), "
            "COALESCE(SUM(CASE WHEN mb.sentiment_label IS NOT NULL THEN m.sentiment_score ELSE 0.0 END), 0.0) "
            "FROM mention_brands mb JOIN mentions m ON m.id = mb.mention_id "
            f"GROUP BY mb.brand, {bucket}, {dims}COALESCE(mb.sentiment_label, '')"
        )


def downgrade() -> None:
    with op.batch_alter_table('mention_brands', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_brands_brand_label_created')

    op.drop_table('digests_sent')
    op.drop_table('sentiment_totals_daily')
    op.drop_table('sentiment_totals_hourly')
    op.drop_table('sentiment_rollups_daily')
    op.drop_table('sentiment_rollups')

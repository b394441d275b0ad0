"""on PostgreSQL, mentions and their brand links are range-partitioned by month, so retention drops months

Every existing row is copied into the partitioned tables (one partition per month it has, and the
current month), in this migration's transaction: an interrupted upgrade leaves the old tables as
they were. Mention ids, and the sequence that hands them out, are kept, so alerts' evidence still
names the same mentions. Indexes are recreated as they were; the keys gain `created_at`, which a
partitioned table's keys must hold (see `listener.storage.partitions` for why each is still right).
SQLite is not partitioned and this revision leaves it alone.

Revision ID: 0015_monthly_partitions
Revises: 0014_own_answers
Create Date: 2026-11-30
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from listener.storage.partitions import PARTITIONED_TABLES, create_month, month_start

revision = '0015_monthly_partitions'
down_revision = '0014_own_answers'
branch_labels = None
depends_on = None

KEY_NAMES = {'mentions_pkey', 'uq_mentions_source_external_id', 'mention_brands_pkey'}
"""The keys, recreated by `_add_keys`; every other index is recreated as it was."""


def _add_keys(partitioned: bool) -> None:
    """The keys, with `created_at` in each when the tables are partitioned."""
    time = ', created_at' if partitioned else ''
    op.execute(f'ALTER TABLE mentions ADD CONSTRAINT mentions_pkey PRIMARY KEY (id{time})')
    op.execute(f'ALTER TABLE mentions ADD CONSTRAINT uq_mentions_source_external_id UNIQUE (source, external_id{time})')
    op.execute(f'ALTER TABLE mention_brands ADD CONSTRAINT mention_brands_pkey PRIMARY KEY (mention_id, brand{time})')
    op.execute(
        f'ALTER TABLE mention_brands ADD CONSTRAINT mention_brands_mention_id_fkey FOREIGN KEY (mention_id{time}) '
        f'REFERENCES mentions (id{time}) ON DELETE CASCADE'
    )


def _secondary_indexes(connection: sa.Connection) -> list[str]:
    """CREATE INDEX statements for every index but the keys, as they stand now."""
    rows = connection.execute(
        sa.text(
            'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() '
            'AND tablename IN (:mentions, :links)'
        ),
        {'mentions': PARTITIONED_TABLES[0], 'links': PARTITIONED_TABLES[1]},
    ).all()
    return [definition.replace(' ON ONLY ', ' ON ') for name, definition in rows if name not in KEY_NAMES]


def _rebuild(partitioned: bool) -> None:
    """Copy both tables into new ones (partitioned or plain) with the same columns, ids and indexes."""
    connection = op.get_bind()
    indexes = _secondary_indexes(connection)
    for table in PARTITIONED_TABLES:
        op.execute(f'ALTER TABLE {table} RENAME TO {table}_old')
        layout = ' PARTITION BY RANGE (created_at)' if partitioned else ''
        op.execute(f'CREATE TABLE {table} (LIKE {table}_old INCLUDING DEFAULTS){layout}')
    if partitioned:
        times = connection.scalars(sa.text("SELECT DISTINCT date_trunc('month', created_at) FROM mentions_old"))
        for month in sorted({*times, month_start(datetime.now(UTC))}):
            create_month(connection, month)
    for table in PARTITIONED_TABLES:
        op.execute(f'INSERT INTO {table} SELECT * FROM {table}_old')
    op.execute('ALTER SEQUENCE mentions_id_seq OWNED BY NONE')
    op.execute('DROP TABLE mention_brands_old')
    op.execute('DROP TABLE mentions_old CASCADE')  # with it, mention_topics' foreign key
    op.execute('ALTER SEQUENCE mentions_id_seq OWNED BY mentions.id')
    _add_keys(partitioned)
    for definition in indexes:
        op.execute(definition)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _rebuild(partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _rebuild(partitioned=False)
    op.execute('DELETE FROM mention_topics WHERE mention_id NOT IN (SELECT id FROM mentions)')
    op.create_foreign_key(
        'mention_topics_mention_id_fkey', 'mention_topics', 'mentions', ['mention_id'], ['id'], ondelete='CASCADE'
    )

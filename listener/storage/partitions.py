"""PostgreSQL keeps mentions in one partition per calendar month (UTC), so retention drops a month.

Deleting a year of old mentions row by row writes every row to the WAL, leaves the table bloated
until vacuum, and holds the daemon's writes back meanwhile; dropping a month's partition is
instant and gives the disk back. `mentions` and `mention_brands` (the per-brand copy of a
mention's time and label the windows are counted from) are both partitioned on `created_at`,
with the same bounds, and the brand link's foreign key is `(mention_id, created_at)`: so a month
goes as two partitions, the links first. SQLite is left as it is: one file, deleted by batches.

What partitioning changes, and why each is still right:
- A unique index on a partitioned table must hold the partition key, so the one on mentions is
  (source, external_id, created_at). The store locks each (source, external id) it writes for the
  transaction (`lock_mention_keys`) and looks it up before inserting, so a mention is still
  stored once whatever its time, even by two workers at once.
- `mention_topics` has no foreign key to mentions on PostgreSQL (a key must name the partition
  key, and a topic row has no time); retention deletes a month's topic rows before the month.
- There is no DEFAULT partition: a row for a month without a partition would otherwise land there
  and block creating that month later. The store creates the months it is about to write
  (`ensure_month_partitions`), in a transaction of its own, before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from listener.storage.lock_keys import lock_key

PARTITIONED_TABLES = ("mentions", "mention_brands")
"""Parents first: a brand link's partition references its mention's."""


def month_start(when: datetime) -> datetime:
    """The first instant of `when`'s UTC month, naive as the columns store it."""
    utc = when.astimezone(UTC) if when.tzinfo else when
    return datetime(utc.year, utc.month, 1)


def next_month(month: datetime) -> datetime:
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(table: str, month: datetime) -> str:
    """`mentions_y2026m11`: sorts by time, and says which table and month it holds."""
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def create_month(connection: Connection, month: datetime) -> None:
    """Create `month`'s partition of every partitioned table if it is missing."""
    bounds = f"FROM ('{month.isoformat(sep=' ')}') TO ('{next_month(month).isoformat(sep=' ')}')"
    for table in PARTITIONED_TABLES:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS {partition_name(table, month)} PARTITION OF {table} FOR VALUES {bounds}")
        )


def existing_months(connection: Connection, table: str = "mentions") -> list[datetime]:
    """The months `table` has a partition for, oldest first (read from the names it was given)."""
    names = connection.scalars(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = :table"
        ),
        {"table": table},
    ).all()
    months = []
    for name in names:
        suffix = name.removeprefix(f"{table}_y")
        if len(suffix) == 7 and suffix[4] == "m" and suffix.replace("m", "").isdigit():
            months.append(datetime(int(suffix[:4]), int(suffix[5:]), 1))
    return sorted(months)


def ensure_month_partitions(engine: Engine, times: Iterable[datetime]) -> None:
    """Make sure every month in `times` has its partitions, before a transaction writes rows there.

    The catalogue is read on every call rather than remembered: retention in another process may
    have dropped a month since, and a read of `pg_inherits` costs less than a failed batch. Missing
    months are created in a short transaction of its own (creating a partition locks the parent
    table), under an advisory lock so that workers creating the same month at once do not race
    `IF NOT EXISTS`. A no-op on SQLite.
    """
    if engine.dialect.name != "postgresql":
        return
    wanted = {month_start(when) for when in times}
    with engine.connect() as connection:
        if wanted <= set(existing_months(connection)):
            return
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("partitions")})
        for month in sorted(wanted - set(existing_months(connection))):
            create_month(connection, month)


def lock_mention_keys(connection: Connection, keys: Iterable[tuple[str, str]]) -> None:
    """Hold a transaction advisory lock on each (source, external id) about to be upserted.

    The unique index can no longer see across months (see the module docstring); the lock makes
    "look it up, insert it if absent" atomic per key. Keys are locked in one sorted order, so two
    batches sharing mentions wait for each other instead of deadlocking.
    """
    lock_keys = sorted({lock_key("mention", source, external_id) for source, external_id in keys})
    if lock_keys:
        connection.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(key)) FROM "
                "(SELECT key FROM unnest(CAST(:keys AS bigint[])) AS key ORDER BY key) AS ordered"
            ),
            {"keys": lock_keys},
        )

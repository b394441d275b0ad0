"""The retention job: `[storage] keep_mentions` applied on a schedule, by `listener run`'s
scheduler and by the cluster's (as a task); see `listener.storage.retention` for what is kept."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from listener.core.text import plural
from listener.storage.repository import Store
from listener.storage.retention import delete_mentions_before, drop_months_before

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(hours=1)


def apply_retention(store: Store, keep: timedelta, now: datetime) -> int:
    horizon = now - keep
    deleted = drop_months_before(store, horizon) + delete_mentions_before(store, horizon)
    if deleted:
        log.info(
            "retention: deleted %d %s created before %s UTC (rollups, alert evidence and outbox kept)",
            deleted, plural(deleted, "mention"), f"{horizon:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    return deleted

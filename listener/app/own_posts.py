"""A brand's own posts are its answers, not mentions: flag the stored ones when a node starts.

New posts are flagged as they are stored (`Store.store_batch`'s `own_accounts`). What was stored
before, under a config that named fewer (or more) accounts, or before the flag existed, is put
right here, so that the counts, series and alert windows follow the config in force.
"""

from __future__ import annotations

import logging

from listener.config import ListenerConfig
from listener.storage.repository import Store

log = logging.getLogger(__name__)


def flag_own_posts(config: ListenerConfig, store: Store) -> int:
    """Flag every brand's stored posts by its `own_accounts` and unflag the rest; return how many changed."""
    changed = 0
    for brand in config.brands:
        count = store.sync_own_posts(brand.name, brand.own_authors_by_source(config.sources))
        if count:
            log.info(
                "%s: %d stored posts changed side (own accounts answer; they are not counted as mentions)",
                brand.name, count,
            )  # fmt: skip
        changed += count
    return changed

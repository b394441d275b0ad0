"""Running the demo a second time replays it afresh.

A replay clock starts at `[clock] start` on every run, but the store remembers the last one: its
cursors are at the end of the replay and its windows are judged, so a second
`listener run --config config/demo.toml` would collect nothing, alert on nothing and look broken.
A store that ran ahead of the replay clock and holds nothing but the demo source's own mentions is
cleared, so the replay, its alert and its resolution happen again. A store that also holds
mentions from any other source is never cleared: the daemon says what to do instead.
"""

from __future__ import annotations

import logging

from listener.app.pipeline import Pipeline
from listener.core.text import plural

log = logging.getLogger(__name__)


def restart_finished_replay(pipeline: Pipeline) -> None:
    config = pipeline.config
    if config.clock.mode != "replay":
        return
    store = pipeline.store
    replayed_until = store.latest_collected_until()
    now = pipeline.clock.now()
    if replayed_until is None or replayed_until <= now:
        return  # a new store, or a replay this clock simply continues
    where = store.engine.url.render_as_string(hide_password=True)
    others = sorted(store.mention_sources() - pipeline.replay_source_names)
    until = f"{replayed_until:%Y-%m-%d %H:%M} UTC"
    if others:
        log.warning(
            "%s holds mentions replayed up to %s, later than the replay clock (%s UTC), so this replay adds "
            "nothing until its clock passes that; it also holds mentions from %s, so it is not cleared: point "
            "[storage] url at a new database, or delete it to replay afresh",
            where, until, f"{now:%Y-%m-%d %H:%M}", ", ".join(others),
        )
        return
    stored = store.count_mentions()
    store.clear()
    log.info(
        "%s holds an earlier replay (%d %s, replayed up to %s); replaying afresh: its mentions, alerts and "
        "deliveries were cleared",
        where, stored, plural(stored, "mention"), until,
    )

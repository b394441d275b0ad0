"""A replay starts when the daemon starts listening, not while its model loads.

The first start on a machine exports the shipped model (seconds): at the demo's 1440x, each of
those seconds is 24 minutes of replayed time that passed with nothing collected, so the first poll
brought hours of mentions at once, and judging found them unscored and older than `source_wait`
(two warnings that the process job might be failing, on a new user's very first run).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from listener.app.daemon import run_daemon
from listener.app.pipeline import Pipeline
from listener.core.clock import ReplayClock
from listener.core.records import Sentiment
from listener.storage.repository import Store
from tests.conftest import utc

START = utc(2026, 11, 2)


class SlowToLoad:
    """A model whose first use costs 12 s of the (fake) wall clock, as the first-start export does."""

    def __init__(self, wall: list[float]):
        self.wall = wall

    @property
    def version(self) -> str:
        self.wall[0] += 12.0
        return "slow-to-load"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("neutral", 0.0, 1.0) for _ in texts]


def test_the_replay_starts_at_its_start_once_the_model_is_loaded(store: Store, make_config) -> None:
    wall = [100.0]
    clock = ReplayClock(START, 1440, monotonic=lambda: wall[0])
    config = make_config(web={"enabled": False})
    pipeline = Pipeline(config, clock=clock, classifier=SlowToLoad(wall), notifiers={}, store=store)
    stop = threading.Event()
    stop.set()  # start, then stop at once: what matters is where the replay stands after loading
    daemon = threading.Thread(target=run_daemon, args=(config, pipeline, stop))  # not the main thread: no signal handlers
    daemon.start()
    daemon.join(timeout=120)
    assert not daemon.is_alive()
    assert wall[0] == 112.0  # the model did take its 12 s
    assert clock.now() == START  # not 4 h 48 min into the replay
    wall[0] += 1.0
    assert clock.now() == START + timedelta(minutes=24)

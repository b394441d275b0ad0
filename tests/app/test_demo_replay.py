"""The demo replay as a new user meets it: what the log says while the backlog is scored, and
what running the same command a second time does (issue 17)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from listener.core.clock import ManualClock
from listener.core.records import Mention, Sentiment
from listener.app.pipeline import Pipeline
from listener.app.replay_restart import restart_finished_replay
from tests.conftest import utc

START = utc(2026, 11, 2, 10)


class NeutralClassifier:
    version = "neutral-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("neutral", 0.0, 1.0) for _ in texts]


def replay_file(path: Path, count: int) -> Path:
    path.write_text("".join(
        json.dumps({"id": f"r{i}", "created_at": f"2026-11-02T10:{i:02d}:00Z", "text": f"acme post {i}"}) + "\n"
        for i in range(count)
    ))  # fmt: skip
    return path


@pytest.fixture
def demo_pipeline(make_config, tmp_path: Path):
    def build(clock: ManualClock, count: int = 3) -> Pipeline:
        config = make_config(
            storage={"url": f"sqlite:///{tmp_path / 'demo.db'}"},
            clock={"mode": "replay", "start": "2026-11-02T10:00:00Z", "speed": 1440},
            sources=[{"name": "demo", "type": "demo", "interval": "1s", "data": str(replay_file(tmp_path / "replay.jsonl", count))}],
        )
        return Pipeline(config, clock=clock, classifier=NeutralClassifier(), notifiers={})

    return build


def test_scored_log_line_says_mention_for_one(demo_pipeline, caplog) -> None:
    pipeline = demo_pipeline(ManualClock(START), count=1)
    pipeline.collect("demo")
    with caplog.at_level(logging.INFO, logger="listener.app.pipeline"):
        pipeline.process()
    assert any(r.getMessage().startswith("scored 1 mention in ") for r in caplog.records), caplog.text


def test_replay_finished_says_how_many_mentions_are_still_to_score_and_when_they_are(demo_pipeline, caplog) -> None:
    """Issue 17: "replay finished" came about 90 s before the alert on a busy machine, and a user
    who stopped there never saw it; the line now tells them scoring is still to come."""
    clock = ManualClock(START)
    pipeline = demo_pipeline(clock, count=3)
    with caplog.at_level(logging.INFO):
        pipeline.collect("demo")
        assert not any("replay" in r.getMessage() for r in caplog.records)
        clock.advance(timedelta(minutes=5))
        pipeline.collect("demo")
        finished = [r.getMessage() for r in caplog.records if "replay" in r.getMessage()]
        assert len(finished) == 1 and finished[0].startswith("demo: replay finished; 3 mentions still to score"), finished
        caplog.clear()
        pipeline.collect("demo")  # said once, not on every later poll
        assert not any("replay" in r.getMessage() for r in caplog.records)
        pipeline.process()
    done = [r.getMessage() for r in caplog.records if "all 3 mentions" in r.getMessage()]
    assert len(done) == 1 and "scored" in done[0], caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        pipeline.process()
    assert not any("all 3 mentions" in r.getMessage() for r in caplog.records)


def test_all_scored_is_said_once_every_replayed_source_has_finished(make_config, tmp_path: Path, caplog) -> None:
    """The demo replays posts and app reviews; the reviews ran out first, and the log said "all
    N mentions scored and judged" while the posts were still being replayed, then again later."""
    clock = ManualClock(START)
    sources = [
        {"name": "short", "type": "demo", "interval": "1s", "data": str(replay_file(tmp_path / "short.jsonl", 2))},
        {"name": "long", "type": "demo", "interval": "1s", "data": str(replay_file(tmp_path / "long.jsonl", 40))},
    ]
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'demo.db'}"},
        clock={"mode": "replay", "start": "2026-11-02T10:00:00Z", "speed": 1440},
        sources=sources,
    )
    pipeline = Pipeline(config, clock=clock, classifier=NeutralClassifier(), notifiers={})
    with caplog.at_level(logging.INFO):
        clock.advance(timedelta(minutes=5))
        pipeline.collect("short")
        pipeline.collect("long")
        pipeline.process()
        assert "short: replay finished" in caplog.text
        assert "scored and judged" not in caplog.text  # "long" is still replaying
        clock.advance(timedelta(hours=1))
        pipeline.collect("long")
        pipeline.process()
        pipeline.process()
    done = [r.getMessage() for r in caplog.records if "scored and judged" in r.getMessage()]
    assert done == [f"replay: all {pipeline.store.count_mentions()} mentions scored and judged"], done


def replay_to_the_end(pipeline: Pipeline, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=1))
    pipeline.collect("demo")
    pipeline.process()


def test_running_the_demo_again_replays_it_afresh(demo_pipeline, caplog) -> None:
    """Issue 17: a second `listener run --config config/demo.toml` finished in seconds with no
    alert: every cursor was already at the end of the replay, every window already judged."""
    first_clock = ManualClock(START)
    first = demo_pipeline(first_clock)
    replay_to_the_end(first, first_clock)
    assert first.store.count_mentions() == 3
    second = demo_pipeline(ManualClock(START))  # the same command again: the replay clock starts over
    with caplog.at_level(logging.INFO):
        restart_finished_replay(second)
    assert second.store.count_mentions() == 0 and second.store.get_cursor("demo", "Acme") is None
    assert "holds an earlier replay (3 mentions, replayed up to 2026-11-02 11:00 UTC); replaying afresh" in caplog.text
    assert second.collect("demo") == {"Acme": 1, "Globex": 0}


def test_a_store_not_ahead_of_the_replay_clock_is_kept(demo_pipeline) -> None:
    clock = ManualClock(START)
    demo_pipeline(clock).collect("demo")
    clock.advance(timedelta(minutes=1))
    resumed = demo_pipeline(clock)
    restart_finished_replay(resumed)
    assert resumed.store.count_mentions() == 1


def test_a_store_with_other_sources_mentions_is_never_cleared(demo_pipeline, caplog) -> None:
    clock = ManualClock(START)
    first = demo_pipeline(clock)
    replay_to_the_end(first, clock)
    first.store.store_batch("exports", "Acme", [Mention("exports", "e1", "acme", START)], {})
    second = demo_pipeline(ManualClock(START))
    with caplog.at_level(logging.WARNING):
        restart_finished_replay(second)
    assert second.store.count_mentions() == 4
    assert "also holds mentions from exports" in caplog.text and "delete it" in caplog.text

"""The bundled demo replies: Acme's support account answering a few Acme mentions, kindly and
later than the mention, never during the outage's spike, reproducible from its generator."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from listener.config import load_config
from listener.core.clock import ManualClock
from listener.sources import COLLECTORS
from listener.sources.base import SourceContext
from listener.sources.demo import BUNDLED_DATA, load_replay
from tests.sources.test_demo_data import BRAND_PATTERNS, SPIKE_SPAN, brands, parse_time

REPO = Path(__file__).resolve().parents[2]
REPLIES = REPO / "listener" / "demo_data" / "replies.jsonl"
MENTIONS = REPO / "listener" / "demo_data" / "mentions.jsonl"
GENERATOR = REPO / "scripts" / "make_demo_replies.py"


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_replies_answer_acme_mentions_after_they_were_posted_outside_the_spike() -> None:
    mentions = {record["id"]: record for record in records(MENTIONS)}
    replies = records(REPLIES)
    assert 20 <= len(replies) <= 60  # a few: the demo brand answers some of its ~2,500 mentions
    delays = []
    for reply in replies:
        parent = mentions[reply["in_reply_to"]]
        assert brands(parent["text"]) and "Acme" in brands(parent["text"])
        assert reply["author"] == "acme_support" and reply["expected_sentiment"] in ("neutral", "positive")
        assert not brands(reply["text"])  # answers do not name the brand: own_accounts keeps them
        answered = parse_time(reply["created_at"])
        assert not SPIKE_SPAN[0] <= answered < SPIKE_SPAN[1]
        delays.append(answered - parse_time(parent["created_at"]))
    assert min(delays) >= timedelta(minutes=3) and max(delays) >= timedelta(hours=2)
    assert set(BRAND_PATTERNS) == {"Acme", "Globex"}


def test_demo_source_releases_the_answers_for_the_brand_that_owns_them() -> None:
    config = load_config(REPO / "config" / "demo.toml")
    acme, globex = config.brands
    demo = COLLECTORS.get("demo")
    end = datetime.fromisoformat("2026-11-06T00:00:00+00:00")
    collector = demo.build(SourceContext("demo", demo.settings_model(), ManualClock(end)))
    acme_answers = [m for m in collector.fetch(acme, None).mentions if m.author == "acme_support"]
    assert len(acme_answers) == len(records(REPLIES)) and all(m.in_reply_to for m in acme_answers)
    assert not [m for m in collector.fetch(globex, None).mentions if m.author == "acme_support"]
    bundled = sum(len(records(REPO / "listener" / "demo_data" / name)) for name in BUNDLED_DATA)
    assert len(load_replay(None).mentions) == bundled and REPLIES.name in BUNDLED_DATA


def test_generator_reproduces_the_committed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_demo_replies", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    out = tmp_path / "replies.jsonl"
    assert module.main(["--out", str(out)]) == 0
    assert out.read_bytes() == REPLIES.read_bytes(), (
        "re-run `python scripts/make_demo_replies.py` and commit its output"
    )

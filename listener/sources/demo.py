"""The built-in demo source: replays a bundled sample of mentions as if they were live.

It lets a new user watch the whole pipeline work with no API keys. Mentions are released when the
daemon's clock passes their timestamp; with a replay clock (`[clock] mode = "replay"`) a few
minutes of wall time stand for days of history.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import Field

from listener.config import BrandConfig
from listener.config.types import ConfigPath
from listener.core.language import normalise_language_tag
from listener.core.limits import implausible_time
from listener.core.records import Mention
from listener.core.text import plural
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
)
from listener.sources.matching import mentions_brand

BUNDLED_DATA = ("mentions.jsonl", "churn_mentions.jsonl", "replies.jsonl")
"""The bundled sample, replayed as one stream: three days of mentions; customers saying they
leave, cancel or switch, spread over those days (away from the Acme outage); and the brand's own
answers to some of the mentions (`own_accounts = { demo = [...] }`), so the response-time panels
have something to show."""

log = logging.getLogger(__name__)


class DemoSettings(CollectorSettings):
    data: ConfigPath | None = Field(None, description="A JSONL file to replay instead of the bundled sample (relative to the config file).")
    max_per_poll: int = Field(5000, ge=1, description="Most mentions released per brand and poll.")


@dataclass(frozen=True)
class Replay:
    """A parsed replay file: mentions sorted by time, their times for bisecting, and how many
    lines could not be parsed (`listener sources test` counts them among what is left out)."""

    times: list[datetime]
    mentions: list[Mention]
    malformed_lines: int


@lru_cache(maxsize=4)
def load_replay(path: str | None) -> Replay:
    """Parse the replay file (or the bundled files) once."""
    if path is None:
        files = [(name, (resources.files("listener") / "demo_data" / name).read_text(encoding="utf-8")) for name in BUNDLED_DATA]
    else:
        files = [(path, Path(path).read_text(encoding="utf-8"))]
    mentions = []
    malformed_lines = 0
    for name, text in files:
        for line_number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                mentions.append(_parse(line))
            except (ValueError, KeyError, TypeError) as error:  # one bad record must not stop the replay
                malformed_lines += 1
                log.warning("demo data %s line %d skipped: %s: %s", name, line_number, type(error).__name__, error)
    mentions.sort(key=lambda mention: mention.created_at)
    return Replay([mention.created_at for mention in mentions], mentions, malformed_lines)


def _parse(line: str) -> Mention:
    record = json.loads(line)
    created_at = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    if created_at.tzinfo is None:
        raise ValueError(f"created_at {record['created_at']!r} has no time zone")
    return Mention(
        source="demo",
        external_id=str(record["id"]),
        text=record["text"],
        created_at=created_at,
        author=record.get("author"),
        author_reach=record.get("author_reach"),
        url=record.get("url"),
        language=normalise_language_tag(record.get("language")),
        likes=int(record.get("likes", 0)),
        shares=int(record.get("shares", 0)),
        replies=int(record.get("replies", 0)),
        rating=int(record["rating"]) if record.get("rating") is not None else None,
        conversation_id=record.get("conversation_id"),
        in_reply_to=record.get("in_reply_to"),
    )


class DemoCollector:
    def __init__(self, context: SourceContext):
        self._settings: DemoSettings = context.settings
        self._clock = context.clock
        self._max_future = context.max_future

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        replay = load_replay(self._settings.data)
        times, mentions = replay.times, replay.mentions
        position = int((cursor or {}).get("position", 0))
        end = min(bisect.bisect_right(times, self._clock.now()), len(mentions))
        found: list[Mention] = []
        while position < end and len(found) < self._settings.max_per_poll:
            mention = mentions[position]
            position += 1
            if brand.own_accounts.owns("demo", mention.author) or mentions_brand(brand, mention.text, mention.language):
                found.append(mention)
        return FetchResult(found, {"position": position}, finished=position >= len(mentions))

    def check(self, brand: BrandConfig) -> str:
        return self.replay_summary([brand])

    def replay_summary(self, brands: Sequence[BrandConfig]) -> str:
        """How many recorded mentions would be stored for `brands`, and why the others would not.

        Recorded and stored counts differ for several reasons at once (mentions of no configured
        brand, repeated ids, impossible dates); a user comparing them needs each one counted."""
        replay = load_replay(self._settings.data)
        seen_ids: set[str] = set()
        stored_by_brand = dict.fromkeys((brand.name for brand in brands), 0)
        stored = duplicates = about_no_brand = own_answers = 0
        date_problems: list[str] = []
        for mention in replay.mentions:
            problem = implausible_time(mention.created_at, mention.created_at, self._max_future)
            if problem:
                date_problems.append(problem)
                continue
            if mention.external_id in seen_ids:
                duplicates += 1
                continue
            seen_ids.add(mention.external_id)
            if any(brand.own_accounts.owns("demo", mention.author) for brand in brands):
                own_answers += 1
                continue
            matched = [brand.name for brand in brands if mentions_brand(brand, mention.text, mention.language)]
            if not matched:
                about_no_brand += 1
                continue
            stored += 1
            for name in matched:
                stored_by_brand[name] += 1
        recorded = len(replay.mentions) + replay.malformed_lines - own_answers
        left_out = []
        if replay.malformed_lines:
            left_out.append(f"{replay.malformed_lines} malformed {plural(replay.malformed_lines, 'line')}")
        if duplicates:
            left_out.append(f"{duplicates} duplicate {plural(duplicates, 'id')}")
        if date_problems:
            its = "its" if len(date_problems) == 1 else "their"
            left_out.append(f"{len(date_problems)} refused for {its} date ({date_problems[0]})")
        if about_no_brand:
            names = " nor ".join(stored_by_brand) if len(brands) > 1 else next(iter(stored_by_brand))
            left_out.append(f"{about_no_brand} about {'neither ' if len(brands) > 1 else 'not '}{names}")
        per_brand = ", ".join(f"{name} {count}" for name, count in stored_by_brand.items())
        summary = f"{recorded} recorded {plural(recorded, 'mention')}; {stored} would be stored ({per_brand})"
        summary += f"; left out: {', '.join(left_out)}" if left_out else ""
        return summary + (f"; and {own_answers} {plural(own_answers, 'answer')} by the brands' own accounts" if own_answers else "")


def build(context: SourceContext) -> Collector:
    return DemoCollector(context)


PLUGIN = CollectorType(name="demo", settings_model=DemoSettings, build=build)

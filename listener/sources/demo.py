"""The built-in demo source: replays a bundled sample of mentions as if they were live.

It lets a new user watch the whole pipeline work with no API keys. Mentions are released when the
daemon's clock passes their timestamp; with a replay clock (`[clock] mode = "replay"`) a few
minutes of wall time stand for days of history.
"""

from __future__ import annotations

import bisect
import json
import logging
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import Field

from listener.config import BrandConfig
from listener.matching import mentions_brand
from listener.models import Mention
from listener.settings_types import ConfigPath
from listener.sources.base import Collector, CollectorSettings, CollectorType, Cursor, FetchResult, SourceContext

BUNDLED_DATA = "mentions.jsonl"

log = logging.getLogger(__name__)


class DemoSettings(CollectorSettings):
    data: ConfigPath | None = Field(None, description="A JSONL file to replay instead of the bundled sample (relative to the config file).")
    max_per_poll: int = Field(5000, ge=1, description="Most mentions released per brand and poll.")


@lru_cache(maxsize=4)
def load_replay(path: str | None) -> tuple[list[datetime], list[Mention]]:
    """Parse the replay file once; mentions sorted by time, with their times for bisecting."""
    if path is None:
        text = (resources.files("listener") / "demo_data" / BUNDLED_DATA).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    mentions = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            mentions.append(_parse(line))
        except (ValueError, KeyError, TypeError) as error:  # one bad record must not stop the replay
            log.warning("demo data %s line %d skipped: %s: %s", path or BUNDLED_DATA, line_number, type(error).__name__, error)
    mentions.sort(key=lambda mention: mention.created_at)
    return [mention.created_at for mention in mentions], mentions


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
        language=record.get("language"),
        likes=int(record.get("likes", 0)),
        shares=int(record.get("shares", 0)),
        replies=int(record.get("replies", 0)),
    )


class DemoCollector:
    def __init__(self, context: SourceContext):
        self._settings: DemoSettings = context.settings
        self._clock = context.clock

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        times, mentions = load_replay(self._settings.data)
        position = int((cursor or {}).get("position", 0))
        end = min(bisect.bisect_right(times, self._clock.now()), len(mentions))
        found: list[Mention] = []
        while position < end and len(found) < self._settings.max_per_poll:
            mention = mentions[position]
            position += 1
            if mentions_brand(brand, mention.text, mention.language):
                found.append(mention)
        return FetchResult(found, {"position": position}, finished=position >= len(mentions))

    def check(self, brand: BrandConfig) -> str:
        times, mentions = load_replay(self._settings.data)
        matching = sum(1 for mention in mentions if mentions_brand(brand, mention.text, mention.language))
        return f"{len(mentions)} recorded mentions, {matching} of them about {brand.name}"


def build(context: SourceContext) -> Collector:
    return DemoCollector(context)


PLUGIN = CollectorType(name="demo", settings_model=DemoSettings, build=build)

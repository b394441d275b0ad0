"""The bundled demo dataset: well-formed, realistic in shape, one Acme spike, quiet otherwise.

The demo promises a new user exactly one alert (the Acme outage on 2026-11-04 around 10:00 UTC)
and silence on the other days. These tests pin that promise on the file itself, using the labels
the generator intended (`expected_sentiment`), and check the committed file is exactly what
scripts/make_demo_data.py produces.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from statistics import median

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "listener" / "demo_data" / "mentions.jsonl"
GENERATOR = REPO / "scripts" / "make_demo_data.py"

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 5, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
WINDOWS = int((END - START) / WINDOW)
DAY_WINDOWS = int(timedelta(days=1) / WINDOW)
OUTAGE = datetime(2026, 11, 4, 10, tzinfo=UTC)
PEAK = (datetime(2026, 11, 4, 10, 15, tzinfo=UTC), datetime(2026, 11, 4, 11, tzinfo=UTC))
SPIKE_SPAN = (datetime(2026, 11, 4, 9, 45, tzinfo=UTC), datetime(2026, 11, 4, 13, 30, tzinfo=UTC))

FIELDS = {
    "id": str, "created_at": str, "author": str, "author_reach": int, "url": str, "language": str, "text": str,
    "likes": int, "shares": int, "replies": int, "expected_sentiment": str,
}
LANGUAGES = {"en", "es", "fr", "de", "pt"}
SENTIMENTS = {"negative", "neutral", "positive"}

# The demo config's brands (config/demo.toml): whole words, case-insensitive, minus excluded terms.
BRAND_PATTERNS = {
    "Acme": (
        re.compile(r"(?<!\w)(?:acme|acmecloud|acme\s+cloud)(?!\w)", re.IGNORECASE),
        re.compile(r"(?<!\w)(?:acme\s+anvil|wile\s+e\.\s+coyote)(?!\w)", re.IGNORECASE),
    ),
    "Globex": (re.compile(r"(?<!\w)globex(?!\w)", re.IGNORECASE), None),
}
HOSTILE = ("<script>alert(1)</script>", "<!channel>", "<img src=x onerror=alert(1)>")


def brands(text: str) -> tuple[str, ...]:
    return tuple(
        name
        for name, (include, exclude) in BRAND_PATTERNS.items()
        if include.search(text) and not (exclude is not None and exclude.search(text))
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@lru_cache(maxsize=1)
def raw() -> bytes:
    return DATA.read_bytes()


@lru_cache(maxsize=1)
def records() -> list[dict]:
    return [json.loads(line) for line in raw().decode("utf-8").splitlines()]


def window_of(record: dict) -> int:
    return int((parse_time(record["created_at"]) - START) / WINDOW)


def window_start(index: int) -> datetime:
    return START + index * WINDOW


@lru_cache(maxsize=1)
def negative_series() -> dict[str, list[int]]:
    """Per brand, the number of negative mentions in each 15-minute window of the span."""
    series = {name: [0] * WINDOWS for name in BRAND_PATTERNS}
    for record in records():
        if record["expected_sentiment"] == "negative":
            for name in brands(record["text"]):
                series[name][window_of(record)] += 1
    return series


def in_spike_span(index: int) -> bool:
    return SPIKE_SPAN[0] <= window_start(index) < SPIKE_SPAN[1]


# --- shape -----------------------------------------------------------------------------------


def test_packaged_file_is_the_repository_file() -> None:
    packaged = resources.files("listener") / "demo_data" / "mentions.jsonl"
    assert packaged.is_file()
    import listener

    if Path(listener.__file__).resolve().parents[1] != REPO:
        pytest.skip("listener is installed from elsewhere; its copy may lag the checkout")
    assert packaged.read_bytes() == raw()


def test_every_line_is_a_well_formed_mention() -> None:
    lines = raw().decode("utf-8").split("\n")
    assert lines[-1] == "", "file ends with a newline"
    assert all(line.strip() for line in lines[:-1]), "no blank lines"
    for number, record in enumerate(records(), start=1):
        assert set(record) == set(FIELDS), record
        for key, kind in FIELDS.items():
            assert type(record[key]) is kind, (key, record)
        assert record["id"] == f"demo-{number:06d}"
        assert record["url"] == f"https://demo.social-listener.invalid/posts/{number:06d}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["created_at"]), record["created_at"]
        assert record["language"] in LANGUAGES
        assert record["expected_sentiment"] in SENTIMENTS
        assert record["text"].strip() and record["author"].strip()
        assert min(record["author_reach"], record["likes"], record["shares"], record["replies"]) >= 0


def test_ids_unique_sorted_and_within_the_span() -> None:
    rows = records()
    assert len({r["id"] for r in rows}) == len(rows)
    times = [parse_time(r["created_at"]) for r in rows]
    assert times == sorted(times)
    assert START <= times[0] and times[-1] < END


def test_size_and_volume_are_demo_sized() -> None:
    assert 3_500 <= len(records()) <= 7_500
    assert len(raw()) < 2_500_000


def test_languages_are_mostly_english_with_four_others() -> None:
    counts = Counter(r["language"] for r in records())
    total = sum(counts.values())
    assert 0.75 <= counts["en"] / total <= 0.85
    for language in ("es", "fr", "de", "pt"):
        assert counts[language] / total >= 0.02, language
    accented = [r["text"] for r in records() if r["language"] != "en" and re.search(r"[À-ÿ]", r["text"])]
    assert len(accented) > 100


def test_reach_is_heavy_tailed() -> None:
    reach = sorted(r["author_reach"] for r in records())
    assert median(reach) < 1_000 and reach[-1] > 100_000


# --- brands, noise and hostile text ----------------------------------------------------------


def test_both_brands_present_and_noise_matches_neither() -> None:
    matched = Counter(name for r in records() for name in brands(r["text"]))
    assert matched["Acme"] > 1_500 and matched["Globex"] > 700
    assert 0.4 <= matched["Globex"] / matched["Acme"] <= 0.75
    noise = [r["text"] for r in records() if not brands(r["text"])]
    assert 0.01 <= len(noise) / len(records()) <= 0.04
    assert all(re.search(r"acme|globex", text, re.IGNORECASE) for text in noise)
    assert any(BRAND_PATTERNS["Acme"][1].search(text) for text in noise), "excluded terms are exercised"
    assert any(re.search(r"acmeville", text, re.IGNORECASE) for text in noise), "near-miss words are exercised"


def test_hostile_payloads_ride_in_ordinary_acme_posts() -> None:
    for payload in HOSTILE:
        carriers = [r for r in records() if payload in r["text"]]
        assert carriers, payload
        assert all("Acme" in brands(r["text"]) and r["expected_sentiment"] != "positive" for r in carriers)


def test_texts_are_varied_with_a_few_retweet_copies() -> None:
    texts = Counter(r["text"] for r in records())
    copies = sum(n - 1 for n in texts.values() if n > 1)
    assert 0 < copies <= 0.03 * len(records())
    assert any(text.startswith("RT @") for text in texts)
    assert any(len(text) > 400 for text in texts), "some long posts"


def test_demo_source_matching_agrees() -> None:
    """The project's own matcher (what the demo source uses) agrees with this file's regexes."""
    matching = pytest.importorskip("listener.sources.matching")
    config = pytest.importorskip("listener.config")
    configured = [
        config.BrandConfig(name="Acme", keywords=["acme", "acmecloud"], phrases=["acme cloud"],
                           exclude=["acme anvil", "wile e. coyote"]),
        config.BrandConfig(name="Globex", keywords=["globex"]),
    ]
    for record in records():
        found = tuple(b.name for b in configured if matching.mentions_brand(b, record["text"], record["language"]))
        assert found == brands(record["text"]), record["text"]


# --- the time series -------------------------------------------------------------------------


def test_daily_seasonality() -> None:
    per_hour = Counter()
    for record in records():
        if "Acme" in brands(record["text"]):
            per_hour[parse_time(record["created_at"]).hour] += 1
    night = sum(per_hour[h] for h in range(0, 5)) / (5 * 3)
    afternoon = sum(per_hour[h] for h in range(13, 18)) / (5 * 3)
    assert 4 <= night <= 13, night
    assert 30 <= afternoon <= 55, afternoon


def test_baseline_sentiment_mix() -> None:
    for name in BRAND_PATTERNS:
        labels = Counter(
            r["expected_sentiment"]
            for r in records()
            if name in brands(r["text"]) and not in_spike_span(window_of(r))
        )
        total = sum(labels.values())
        assert 0.12 <= labels["negative"] / total <= 0.18, (name, labels)
        assert 0.25 <= labels["positive"] / total <= 0.36, (name, labels)


def test_acme_spike_peaks_at_six_times_its_daily_median() -> None:
    acme = negative_series()["Acme"]
    first = int((PEAK[0] - START) / WINDOW)
    last = int((PEAK[1] - START) / WINDOW)
    for index in range(first, last):
        baseline = median(acme[index - DAY_WINDOWS:index])
        assert baseline >= 0.5
        assert acme[index] >= 6 * baseline, (window_start(index), acme[index], baseline)
    # It starts with the outage (not before) and is gone by about 13:00.
    outage = int((OUTAGE - START) / WINDOW)
    assert acme[outage - 1] <= 4 and acme[outage] >= 5
    assert max(acme[outage + 12:outage + 14]) <= 5


def test_no_other_window_has_a_negative_burst() -> None:
    for name, series in negative_series().items():
        for index in range(WINDOWS):
            if in_spike_span(index):
                continue
            history = series[max(0, index - DAY_WINDOWS):index]
            limit = 3 * (median(history) if history else 0) + 5
            assert series[index] <= limit, (name, window_start(index), series[index], limit)


def test_alert_engine_fires_once_for_acme_and_never_for_globex() -> None:
    """The project's detector, fed the intended labels, sees one incident: the Acme outage."""
    backtest = pytest.importorskip("alerts.backtest")
    config = pytest.importorskip("listener.config")
    rule = config.load_config(str(REPO / "config" / "demo.toml")).detection
    for name, series in negative_series().items():
        points = [backtest.CountRow(window_start(index).isoformat(), count) for index, count in enumerate(series)]
        alerts = [window_start(index) for index, row in enumerate(backtest.backtest(points, rule)) if row.alert]
        if name == "Acme":
            assert len(alerts) == 1 and OUTAGE <= alerts[0] <= PEAK[0], alerts
        else:
            assert alerts == [], alerts


# --- reproducibility -------------------------------------------------------------------------


def test_generator_reproduces_the_committed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_demo_data", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    out = tmp_path / "mentions.jsonl"
    assert module.main(["--out", str(out), "--quiet"]) == 0
    assert out.read_bytes() == raw(), "re-run `python scripts/make_demo_data.py` and commit its output"

"""The evidence that lets staff judge an alert at a glance: the chart's series, why it spiked, where.

A number alone ("42 negative mentions, 6 expected") does not say whether to wake someone up.
What does is the shape of the series (a step or a blip), the words that suddenly grew in the
negative mentions ("outage", "#acmedown", "refund"), the stories they tell ("3 stories: outage 12,
double charge 3, app login 2"), and which platforms and languages carry it. Everything here is read
from storage, so an alert built after a restart carries the same evidence.

The stories group the window's negative mentions by the sentiment model's own embeddings, which
this layer may not compute (alerts never import classifiers): the app passes an `Embed` function
in. Where it has none (a runtime without embeddings), the mentions are grouped by TF-IDF of their
terms instead, and the evidence says so.

"The window's mentions" are those the rule's metric shows (`Metric.shown`): negative ones for most
rules, the churn-intent ones for a churn alert (what the customers leaving say, and where), all of
them for a volume alert.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Iterable, Sequence

import numpy as np

from listener.core.records import AlertEvidence, ShownMentions, Story, TermGrowth, VolumeContext, WindowCount
from listener.core.sentiment import negative_share
from listener.core.terms import brand_words, terms
from listener.core.themes import BY_EMBEDDINGS, BY_TERMS, stories, tfidf_vectors
from listener.plugins import METRICS
from listener.storage.repository import Store

CHART_WINDOWS = 32
"""Windows shown in the chart, the alert's included: 8 hours at the default 15 minutes."""
DEFAULT_BASELINE = timedelta(days=1)
DAY = timedelta(days=1)
MIN_TERM_COUNT = 3
"""A term must appear in at least this many negative mentions of the window to be named."""
MIN_TERM_LIFT = 2.0
"""...and be at least this many times (smoothed) more frequent than in the baseline."""
TOP_TERMS = 5
WINDOW_TEXT_LIMIT = 5_000
BASELINE_TEXT_LIMIT = 20_000
"""Caps on texts read; when the baseline is capped, its rate is taken over the period actually read."""
STORY_TEXT_LIMIT = 500
"""The newest negative mentions of the window grouped into stories: embedding them costs about 1 s
of CPU per 100 (bench/topics.py), on the process job's thread, and every pair is compared. In a
larger spike the stories' counts are those of this newest sample."""

Embed = Callable[[Sequence[str]], "np.ndarray | None"]
"""Texts -> one embedding row per text, or None where the model has no embeddings."""

log = logging.getLogger(__name__)

def driving_terms(
    spike_texts: Sequence[str],
    baseline_texts: Sequence[str],
    windows_in_baseline: float,
    excluded: frozenset[str] = frozenset(),
    *,
    min_count: int = MIN_TERM_COUNT,
    min_lift: float = MIN_TERM_LIFT,
    limit: int = TOP_TERMS,
) -> tuple[TermGrowth, ...]:
    """The terms that grew most in the spike's negative mentions against the baseline period.

    Ranked by the smoothed log-ratio log((spike + 1) / (baseline rate + 1)), where the rate is the
    term's expected count in one spike-length window. The +1 keeps a term never seen before from
    an infinite score, so a word in 3 posts does not outrank one that went from 5 to 60.
    """
    spike_counts = Counter(term for text in spike_texts for term in terms(text, excluded))
    candidates = {term for term, count in spike_counts.items() if count >= min_count}
    if not candidates:
        return ()
    baseline_counts = Counter(
        term for text in baseline_texts for term in terms(text, excluded) if term in candidates
    )
    ranked = []
    for term in candidates:
        rate = baseline_counts[term] / windows_in_baseline if windows_in_baseline > 0 else 0.0
        score = math.log((spike_counts[term] + 1) / (rate + 1))
        if score >= math.log(min_lift):
            ranked.append((score, spike_counts[term], term, rate))
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return tuple(TermGrowth(term, count, round(rate, 3)) for _, count, term, rate in ranked[:limit])


def build_evidence(
    store: Store,
    brand: str,
    window_start: datetime,
    window_end: datetime,
    metric: str,
    *,
    brand_terms: Iterable[str] = (),
    baseline: timedelta = DEFAULT_BASELINE,
    chart_windows: int = CHART_WINDOWS,
    embed: Embed | None = None,
    split: Sequence[tuple[str, str]] = (),
) -> AlertEvidence:
    """Evidence for an alert on `brand` in [window_start, window_end).

    `brand_terms` (the brand's keywords and phrases) are left out of the driving terms and the
    stories' names; `baseline` is the history the terms are compared with (the detection
    baseline); `embed` gives the vectors the stories are grouped by (TF-IDF without it). A split
    rule's alert (`split`: its (dimension, value) pairs) compares the split's own mentions with
    their usual, as its negative share is the split's; the chart and breakdowns are the brand's.
    """
    try:
        watched = METRICS.get(metric)
    except KeyError as unknown:
        raise ValueError(f"unknown metric {metric!r}: known metrics are {', '.join(METRICS.names())}") from unknown
    chart, which = watched.chart, watched.shown
    window = window_end - window_start
    if window <= timedelta(0):
        raise ValueError(f"empty alert window {window_start.isoformat()} - {window_end.isoformat()}")
    first_mention = store.first_mention_time(brand)
    counts, history = _chart_counts(store, brand, window_start, window, baseline, chart_windows, first_mention)
    starts, observed, expected = _series(counts, history, chart, _windows_in(baseline, window))
    excluded = brand_words(brand, brand_terms)
    spike = [text for _, text in store.mention_texts(brand, window_start, window_end, WINDOW_TEXT_LIMIT, which)]
    found, grouped_by = spike_stories(spike[:STORY_TEXT_LIMIT], excluded, embed)
    return AlertEvidence(
        window_starts=starts,
        observed_series=observed,
        expected_series=expected,
        driving_terms=_driving_terms(store, brand, which, spike, window_start, window_end, baseline, first_mention, excluded),
        stories=found,
        stories_from=grouped_by,
        sources=tuple(store.mention_counts_by(brand, window_start, window_end, "source", which)),
        languages=tuple(store.mention_counts_by(brand, window_start, window_end, "language", which)),
        volume=None if which == "all" else volume_context(_split_counts(store, brand, counts, window, split), window, baseline),
    )


def _chart_counts(
    store: Store,
    brand: str,
    window_start: datetime,
    window: timedelta,
    baseline: timedelta,
    chart_windows: int,
    first_mention: datetime | None,
) -> tuple[list[WindowCount], int]:
    """The windows up to the alert's that the chart shows, after up to a baseline of windows
    before the first of them; and how many of those there are.

    Windows before the brand's first mention are left out: zeros there are not history.
    """
    shown = max(chart_windows, 1) - 1
    if first_mention is not None and first_mention < window_start:
        shown = min(shown, int((window_start - first_mention) // window))
    else:
        shown = 0
    history = min(_windows_in(baseline, window), max(int((window_start - (first_mention or window_start)) // window) - shown, 0))
    first = window_start - (shown + history) * window
    return store.window_counts(brand, first, window_start + window, window), history


def _split_counts(
    store: Store, brand: str, counts: list[WindowCount], window: timedelta, split: Sequence[tuple[str, str]]
) -> list[WindowCount]:
    """`counts`' windows, counting only the mentions of `split` (all of them without one)."""
    if not split:
        return counts
    dimensions, values = zip(*split)
    start, end = counts[0].start, counts[-1].start + window
    found = store.window_counts_split(brand, start, end, window, dimensions).get(tuple(values))
    return found or [WindowCount(count.start, 0, 0, 0, 0) for count in counts]


def _windows_in(baseline: timedelta, window: timedelta) -> int:
    return max(int(baseline // window), 1)


def _series(
    counts: Sequence[WindowCount], history: int, chart: Callable[[WindowCount], float], baseline_windows: int
) -> tuple[tuple[datetime, ...], tuple[float, ...], tuple[float, ...]]:
    """The metric per window from `counts[history]` on, and beside it the median of the baseline
    before each: the median rather than the mean, so the incident's own earlier windows barely
    move the line."""
    values = [chart(count) for count in counts]
    starts, observed, expected = [], [], []
    for index in range(history, len(counts)):
        before = values[max(0, index - baseline_windows) : index]
        starts.append(counts[index].start)
        observed.append(values[index])
        expected.append(float(statistics.median(before)) if before else 0.0)
    return tuple(starts), tuple(observed), tuple(expected)


def volume_context(counts: Sequence[WindowCount], window: timedelta, baseline: timedelta) -> VolumeContext:
    """The last window's mentions beside the usual (the same time of day on the baseline's earlier
    days, as the detector expects a count), and the negative share of the baseline before it.

    `counts` are consecutive windows of `window` ending with the alert's. The share pools the
    baseline's mentions, so a quiet brand's windows of one or two mentions do not make it jump.
    """
    *before, alert_window = counts
    before = before[-_windows_in(baseline, window) :]
    period = round(DAY / window)
    days = min(len(before) // period, int(baseline // DAY)) if period >= 2 else 0
    same_time = [before[-period * day].total for day in range(1, days + 1)]
    usual = same_time or [count.total for count in before]
    return VolumeContext(
        mentions=alert_window.total,
        usual_mentions=float(statistics.median(usual)) if usual else 0.0,
        usual_negative_share=negative_share(
            sum(count.positive for count in before), sum(count.neutral for count in before), sum(count.negative for count in before)
        ),
    )


def spike_stories(
    texts: Sequence[str], excluded: frozenset[str], embed: Embed | None
) -> tuple[tuple[Story, ...], str | None]:
    """The stories `texts` tell, and what they were grouped by (None without texts).

    A model that fails to embed costs the alert its model-grouped stories, never the alert: the
    failure is logged and the texts are grouped by their terms.
    """
    if not texts:
        return (), None
    vectors = None
    if embed is not None:
        try:
            vectors = embed(texts)
        except Exception:  # the model's own errors are untyped; an alert must go out regardless
            log.exception("alert evidence: the sentiment model could not embed %d mentions; grouping them by terms", len(texts))
    if vectors is None:
        return stories(texts, tfidf_vectors(texts, excluded), excluded), BY_TERMS
    return stories(texts, np.asarray(vectors), excluded), BY_EMBEDDINGS


def _driving_terms(
    store: Store,
    brand: str,
    which: ShownMentions,
    spike: Sequence[str],
    window_start: datetime,
    window_end: datetime,
    baseline: timedelta,
    first_mention: datetime | None,
    excluded: frozenset[str],
) -> tuple[TermGrowth, ...]:
    if not spike:
        return ()
    baseline_start = window_start - baseline
    if first_mention is not None:
        baseline_start = max(baseline_start, first_mention)
    rows = store.mention_texts(brand, baseline_start, window_start, BASELINE_TEXT_LIMIT, which)
    if len(rows) == BASELINE_TEXT_LIMIT:  # capped: the rate is over the (newest) part actually read
        baseline_start = rows[-1][0]
    covered = max((window_start - baseline_start).total_seconds(), 0.0)
    windows_in_baseline = covered / (window_end - window_start).total_seconds()
    return driving_terms(spike, [text for _, text in rows], windows_in_baseline, excluded)

"""Early alerts: judge the windows still filling, so a spike alerts while it is happening.

A window is judged for good only once it has closed, every source has polled past it plus the
lateness allowance, and its mentions are scored (`alerts/dispatch/engine.py`): alone, that makes an alert
wait for the rest of the window and the lateness, 20 minutes with the defaults. For a count metric
(negative mentions, mentions) a window's count can only grow as late mentions arrive and get
scored, and the detector's verdict against a given history only gets more anomalous as the count
grows; so a count so far that is already anomalous means the whole window will be too. Judging
the open window, and the closed ones not judged yet, after every poll turns "window + lateness"
into "one poll" of latency.

Ratio metrics (`negative_share`, `net_sentiment`) are not judged early: a share can fall as well
as rise while the window fills.

An early pass runs every `process_interval` (10 s), and reading a rule's whole history from the
mentions and judging against it would cost most of it: the default rule reads six weeks (four of
surprises, one of burstiness, one of seasons), 200 ms for a brand with 160,000 mentions on
SQLite, and 60 ms to judge. So each (store, brand, rule) keeps the history its last early pass
judged against, with what that cost (`HistoryMemo`). The history before the windows judged early
was judged for good by the closed-window pass (complete, and every mention scored), so it is
read once per window: the closed-window pass reads it with the window it judges and hands it
over. Only `listener rescore` or retention edit it, and that next read takes them in. (When that
pass lags, the history holds windows not judged yet, older than `source_wait` + `lateness` but
maybe not scored, and is read every pass.) Every pass reads the judged windows' counts (one
small query) and judges them again when they moved (a few milliseconds); when they have not
(most passes of a quiet brand), the last verdicts are reused.

What is kept is about 75 KB per brand, rule and split at the default rule (225 KB at 5-minute
windows, three times that at 1/quarter), so many brands split by language could add up to
gigabytes: `MAX_KEPT_BYTES` bounds it. Past it, the (brand, rule) judged least recently is
forgotten and reads its history again at its next pass, as every pass did before this cache.

An early verdict only ever says "this window will fire", so it may only open or escalate an
incident, through the same `IncidentBook` as every window. It never resolves an incident, never
counts as a quiet window, never sends a repeat and never advances a rule's progress: the window
is judged as usual once it closes, and the incident it already opened keeps that from sending a
second `firing` message. The engine stores the early messages in the pass's one transaction.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from weakref import WeakKeyDictionary

from alerts.detect.detector import HistoryMemo
from alerts.detect.incidents import (
    SEVERITY_RANK,
    Firing,
    IncidentBook,
    Message,
    group_key,
)
from alerts.detect.rules import Rule
from alerts.detect.windows import SplitCounts, align, history_memos, judge_after_histories, rule_window_counts
from listener.config import DetectionConfig
from listener.plugins import METRICS
from listener.storage.repository import Store


@dataclass(frozen=True)
class _EarlyVerdicts:
    """One early pass's anomalous windows, everything they were judged from, and the history read."""

    rule: Rule
    data_start: datetime
    start: datetime
    end: datetime
    counts: SplitCounts
    memos: dict[tuple[str, ...], HistoryMemo]
    """Per split, the windows before `start` that the verdicts read, and what judging after them costs."""
    history_judged: bool
    """Whether every one of those windows had been judged for good when it was read."""
    firings: tuple[Firing, ...]

    def same_history(self, rule: Rule, data_start: datetime, start: datetime) -> bool:
        """Whether the history read for these verdicts is still the one to judge against."""
        return self.history_judged and (self.rule, self.data_start, self.start) == (rule, data_start, start)

    def still_hold(self, rule: Rule, data_start: datetime, start: datetime, end: datetime, counts: SplitCounts) -> bool:
        return self.same_history(rule, data_start, start) and (self.end, self.counts) == (end, counts)

    @property
    def nbytes(self) -> int:
        return sum(memo.nbytes for memo in self.memos.values())


MAX_KEPT_BYTES = 256 * 2**20
"""What the kept histories of one store may hold: 256 MB, about 3,500 (brand, rule, split) at the
default rule. A bound, not a size to fill: a daemon with fewer brands keeps what it needs."""


class _KeptVerdicts:
    """One store's last early verdicts of each (brand, rule), the least recently judged first,
    holding at most `MAX_KEPT_BYTES` (sizes are counted as kept: only the verdicts being kept
    change theirs, as their memos fill)."""

    def __init__(self) -> None:
        self.verdicts: OrderedDict[tuple[str, str], _EarlyVerdicts] = OrderedDict()
        self._sizes: dict[tuple[str, str], int] = {}
        self._total = 0

    def keep(self, key: tuple[str, str], verdicts: _EarlyVerdicts) -> None:
        """Keep `verdicts` as the most recently judged, forgetting the least recently judged others
        while the whole holds more than `MAX_KEPT_BYTES`."""
        self._total -= self._sizes.pop(key, 0)
        self.verdicts[key] = verdicts
        self.verdicts.move_to_end(key)
        self._sizes[key] = verdicts.nbytes
        self._total += self._sizes[key]
        while self._total > MAX_KEPT_BYTES and len(self.verdicts) > 1:
            forgotten, _ = self.verdicts.popitem(last=False)
            self._total -= self._sizes.pop(forgotten)


_last_verdicts: WeakKeyDictionary[Store, _KeptVerdicts] = WeakKeyDictionary()
"""Per store (a test's, the daemon's), its kept early verdicts."""


def judge_early(
    store: Store,
    brand: str,
    rule: Rule,
    data_start: datetime,
    first_unjudged: datetime,
    now: datetime,
    detection: DetectionConfig,
    history: dict[tuple[str, ...], HistoryMemo] | None = None,
) -> list[Firing]:
    """The anomalous windows of `rule` from `first_unjudged` to the one containing `now`, judged
    on their counts so far.

    Windows older than `source_wait` + `lateness` are left to the closed-window pass, which judges
    them without waiting any longer: this keeps a backlog (a daemon started on a day of history)
    out of the early pass. `history` is the history of `first_unjudged` when the closed-window
    pass has just read it (`judge_windows`), so that it is not read twice.
    """
    if not METRICS.get(rule.metric).judged_while_filling:
        return []
    start = max(first_unjudged, align(now - detection.source_wait - detection.lateness, rule.window))
    end = align(now, rule.window) + rule.window
    if end <= start:
        return []
    counts = rule_window_counts(store, brand, rule, start, end)
    kept = _last_verdicts.setdefault(store, _KeptVerdicts())
    verdicts = kept.verdicts.get((brand, rule.name))
    if verdicts is None or not verdicts.still_hold(rule, data_start, start, end, counts):
        # Windows judged for good were complete and scored; an unjudged one (the closed-window
        # pass is behind, e.g. on unscored mentions) may still change, so it is read every time.
        if verdicts is not None and verdicts.same_history(rule, data_start, start):
            memos = verdicts.memos
        elif history is not None and start == first_unjudged:
            memos = history
        else:
            memos = history_memos(store, brand, rule, data_start, start)
        firings = judge_after_histories(rule, memos, counts, data_start, start, end)
        anomalous = tuple(firing for firing in firings if firing.detection.anomalous)
        verdicts = _EarlyVerdicts(rule, data_start, start, end, counts, memos, start == first_unjudged, anomalous)
    kept.keep((brand, rule.name), verdicts)
    return [replace(firing, counted_until=now) for firing in verdicts.firings]


def observe_early(book: IncidentBook, firing: Firing) -> list[Message]:
    """Feed an anomalous window judged early to `book` if it opens or escalates an incident;
    otherwise leave everything to the window's judging once it has closed."""
    incident = book.open.get(group_key(book.brand, firing, book.policy.group_by))
    if incident is not None:
        if firing.start - incident.last_firing > book.policy.resolve_after:
            return []  # the open incident would have to be resolved first: closed windows decide that
        if SEVERITY_RANK[firing.detection.severity or "warning"] <= SEVERITY_RANK.get(incident.severity, 0):
            return []
    return book.observe(firing)

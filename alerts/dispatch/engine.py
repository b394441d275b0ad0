"""The daemon's alerting step: judge every newly closed window of every rule of a brand, turn
firing windows into incident messages, and queue each one for its receivers.

A window is judged once, after it has closed, the allowed lateness has passed and every mention
in it has been scored. Before that, a count rule's windows still filling are judged on their
counts so far after every poll, and one already anomalous opens its incident at once
(`alerts/detect/early.py`). One pass over a brand is stored in one transaction (every rule's progress,
the incidents' state, the messages and their outbox rows), so a restart resumes at the next
window and never sends a message twice or loses one.

Stages, in Alertmanager's order: rules decide that a window fires (`alerts/detect/rules.py`), incidents
group firing windows and decide which message is due (`alerts/detect/incidents.py`), then silences and
quiet hours may keep a message from being delivered (it is still stored, with the reason), and
routes choose its receivers (`alerts/dispatch/routing.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Sequence

from alerts.detect.detector import Detection
from alerts.detect.early import judge_early, observe_early
from alerts.detect.incidents import (
    SEVERITY_RANK,
    Firing,
    GroupingPolicy,
    IncidentBook,
    Message,
)
from alerts.detect.rules import Rule, default_rule, rules_from_config
from alerts.detect.windows import align, judge_windows
from alerts.dispatch.evidence import Embed, build_evidence
from alerts.dispatch.routing import receivers_for
from alerts.dispatch.silences import ActiveSilence, active_silences, silenced_by
from alerts.metrics import metric_noun, unanswered_negative
from listener.config import DetectionConfig, ListenerConfig, RouteConfig, SilenceConfig
from listener.core.records import (
    Alert,
    AlertEvidence,
    DetectorState,
    QueuedMessage,
    WindowCount,
)
from listener.core.response_time import format_duration
from listener.core.sentiment import negative_share
from listener.plugins import METRICS
from listener.storage.repository import Store
from listener.storage.responses import ResponseStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertPolicy:
    """Everything the alerting step needs from config: rules, grouping, routes, planned silences."""

    detection: DetectionConfig
    rules: tuple[Rule, ...]
    grouping: GroupingPolicy
    routes: tuple[RouteConfig, ...] = ()
    silences: tuple[SilenceConfig, ...] = ()
    brand_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each brand's keywords and phrases, which the evidence leaves out of the terms that drove a spike."""
    own_authors: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    """Per brand, its own accounts per source (`own_accounts`), for the unanswered_negative metric."""


def default_policy(detection: DetectionConfig) -> AlertPolicy:
    """Today's behaviour from `[detection]` alone: one negative-volume rule, grouped per brand."""
    return AlertPolicy(detection, (default_rule(detection),), GroupingPolicy(resolve_after=detection.cooldown))


def grouping_from_config(config: ListenerConfig) -> GroupingPolicy:
    """`[alerting]`, with `resolve_after` defaulting to `[detection] cooldown`; `listener backtest`
    groups with this too, so its incidents are the daemon's."""
    alerting = config.alerting
    return GroupingPolicy(
        group_by=tuple(alerting.group_by),
        repeat_interval=alerting.repeat_interval,
        resolve_after=alerting.resolve_after or config.detection.cooldown,
        send_resolved=alerting.send_resolved,
    )


def policy_from_config(config: ListenerConfig) -> AlertPolicy:
    return AlertPolicy(
        config.detection,
        tuple(rules_from_config(config)),
        grouping_from_config(config),
        tuple(config.routes),
        tuple(config.silences),
        {brand.name: (*brand.keywords, *brand.phrases) for brand in config.brands},
        {brand.name: brand.own_authors_by_source(config.sources) for brand in config.brands},
    )


@dataclass(frozen=True)
class DetectionSummary:
    windows: int
    alerts: list[Alert] = field(default_factory=list)
    """Messages newly stored this pass (firing, repeat, resolved), delivered or suppressed."""
    held: int = 0
    """How many of them were recorded without being delivered (silenced, history, superseded...)."""


def judged_until(store: Store, brand: str, rule: DetectionConfig, now: datetime, sources: Sequence[str]) -> datetime:
    """Up to when `brand`'s mentions are complete enough to judge.

    Every source must have polled past a window's end plus the lateness allowance (platforms
    index posts with a delay), and every mention before it must be scored. A source that has not
    polled successfully for `source_wait` is no longer waited for: an outage of one platform must
    not silence alerts from the others. Nor is a mention still unscored `source_wait` after it was
    collected: one stuck mention must not silence a brand's alerts for good (see `_unscored_to_wait_for`).
    """
    waited_for_since = now - rule.source_wait
    watermark = now
    for collected in store.collected_until(brand, sources).values():
        watermark = min(watermark, max(collected or waited_for_since, waited_for_since))
    watermark -= rule.lateness
    oldest_unscored = _unscored_to_wait_for(store, brand, waited_for_since, now)
    return watermark if oldest_unscored is None else min(watermark, oldest_unscored)


def _unscored_to_wait_for(store: Store, brand: str, waited_for_since: datetime, now: datetime) -> datetime | None:
    """Creation time of the oldest unscored mention of `brand` that judging still waits for.

    Scoring runs every process pass, so a mention collected longer than `source_wait` ago and
    still unscored is stuck, not late (issue 11: a brand link lost its label in a race and the
    brand was never judged again, silently). Its windows are judged with what is scored, and the
    stall is recorded, logged once when it starts and once when it ends, and shown by /healthz and
    the dashboard. Links that lost the label of their scored mention are repaired on the way.

    The wait counts from when the mention was collected, not from when it was written: a backlog
    of old posts (a platform indexing late, a source back after an outage, a cluster's scoring
    behind) is waited for like any new mention, instead of being judged without at once.
    """
    oldest = store.oldest_unscored(brand)
    stuck = _oldest_stuck(store, brand, oldest, waited_for_since)
    if stuck is not None and (relabelled := store.relabel_scored_links(brand)):
        log.warning("%s: %d mention links had lost their scored mention's label; copied it over", brand, relabelled)
        oldest = store.oldest_unscored(brand)
        stuck = _oldest_stuck(store, brand, oldest, waited_for_since)
    if stuck is not None:
        if store.start_judging_stall(brand, stuck, now):
            log.warning(
                "%s: a mention from %s UTC is still unscored [detection] source_wait after it was collected; "
                "judging goes on without such mentions (is the process job failing? see earlier errors)",
                brand, f"{stuck:%Y-%m-%d %H:%M}",
            )
        return store.oldest_unscored(brand, stored_since=waited_for_since)
    if (stall := store.end_judging_stall(brand)) is not None:
        log.warning(
            "%s: every mention collected [detection] source_wait ago or more is scored again; judging "
            "waits for unscored mentions again (it had gone on without them since %s UTC)",
            brand, f"{stall.since:%Y-%m-%d %H:%M}",
        )
    return oldest


def _oldest_stuck(store: Store, brand: str, oldest: datetime | None, waited_for_since: datetime) -> datetime | None:
    """Creation time of the oldest unscored mention of `brand` collected before `waited_for_since`.

    A mention is collected after it is written, so none can be stuck while the oldest unscored
    one (`oldest`) is younger than that: the usual case, answered without a query."""
    if oldest is None or oldest >= waited_for_since:
        return None
    return store.oldest_unscored(brand, stored_before=waited_for_since)


def detect_brand(
    store: Store,
    brand: str,
    policy: AlertPolicy | DetectionConfig,
    now: datetime,
    notifiers: list[str],
    sources: Sequence[str] = (),
    *,
    wall_now: datetime | None = None,
    embed: Embed | None = None,
) -> DetectionSummary:
    """Judge the closed windows of `brand` not judged yet, then the ones still filling
    (`alerts/detect/early.py`); store and queue the messages due, in one transaction.

    `now` is the daemon clock (mention time, replayed in the demo); `wall_now`, the real time
    silences are matched against, defaults to `now` (the app passes its wall clock's time). `notifiers` are the enabled ones.
    `embed` is the sentiment model's embedding, which the evidence groups a spike's mentions by.
    """
    if isinstance(policy, DetectionConfig):
        policy = default_policy(policy)
    rules = [rule for rule in policy.rules if rule.applies_to(brand)]
    first_mention = store.first_mention_time(brand)
    if first_mention is None or not rules:
        return DetectionSummary(0)
    judged = judged_until(store, brand, policy.detection, now, sources)
    stored_states = {rule.name: store.detector_state(brand, rule.name) for rule in rules}
    # A rule added to a brand already being watched starts now, not at the first mention: its
    # history is its baseline, not a backlog of old spikes to page anyone about.
    watched_since = max((state.evaluated_until for state in stored_states.values() if state), default=None)
    # A brand's first pass over older mentions (a file source's export, a first poll's backfill)
    # records their incidents without paging anyone about windows that ended a `cooldown` (one
    # incident's reach, a day by default) or more before it: those are history, not news. Every
    # pass after it delivers everything, so a restart loses nothing.
    history_until = None if watched_since else now - policy.detection.cooldown
    firings: list[tuple[datetime, int, Firing]] = []
    overdue: dict[tuple[str, datetime], list[int]] = {}
    early: list[tuple[datetime, int, Firing]] = []
    states: dict[str, DetectorState] = {}
    judged_through: list[datetime] = []
    windows = 0
    for order, rule in enumerate(rules):
        state = stored_states[rule.name]
        data_start = align(first_mention, rule.window)
        start = _align_up(state.evaluated_until if state else (watched_since or data_start), rule.window)
        end = align(judged, rule.window)
        history = None  # what the early pass will judge against, when this pass reads it
        if end > start:
            if rule.metric == unanswered_negative.NAME:
                rule_firings = _unanswered_firings(store, brand, rule, start, end, policy.own_authors.get(brand, {}), overdue)
            else:
                rule_firings, history = judge_windows(store, brand, rule, data_start, start, end)
            firings.extend((firing.start, order, firing) for firing in rule_firings)
            anomalous = [firing.start for firing in rule_firings if firing.detection.anomalous]
            last_anomalous = max(anomalous) if anomalous else (state.incident_last_anomalous if state else None)
            state = states[rule.name] = DetectorState(end, last_anomalous)
            windows += int((end - start) / rule.window)
        if state is not None:
            judged_through.append(state.evaluated_until - rule.window)
        early_firings = judge_early(store, brand, rule, data_start, max(start, end), now, policy.detection, history)
        early.extend((firing.start, order, firing) for firing in early_firings)
    if not states and not early:
        return DetectionSummary(0)

    book = IncidentBook(brand, policy.grouping, store.open_incidents(brand))
    dispatcher = _Dispatcher(
        store, brand, policy, notifiers, active_silences(store, policy.silences, wall_now or now), overdue, embed,
        history_until,
    )
    for firing in _in_order(firings):
        for message in book.observe(firing):
            dispatcher.dispatch(book, message)
    for message in book.resolve_due(min(judged_through)) if judged_through else ():
        dispatcher.dispatch(book, message)
    # After the resolutions, so that a spike right after an incident ended opens a new one at once.
    for firing in _in_order(early):
        for message in observe_early(book, firing):
            dispatcher.dispatch(book, message)
    queued = dispatcher.messages()
    stored = store.record_alerting(brand, states, book.changed, queued)
    suppressed = {message.alert.key: message.suppressed for message in queued}
    for alert in stored:
        _log_message(alert, suppressed.get(alert.key))
    return DetectionSummary(windows, stored, sum(suppressed.get(alert.key) is not None for alert in stored))


def _unanswered_firings(
    store: Store,
    brand: str,
    rule: Rule,
    start: datetime,
    end: datetime,
    own_authors: dict[str, frozenset[str]],
    overdue_ids: dict[tuple[str, datetime], list[int]],
) -> list[Firing]:
    """The windows of an unanswered_negative rule (see `alerts/metrics/unanswered_negative.py`):
    each counts the mentions whose answer deadline passed in it unanswered, and fires on any.
    Their ids are kept in `overdue_ids` for the alert's top mentions."""
    posts = ResponseStore(store.engine).thread_posts(brand, start - rule.answer_within, until=end)
    starts = [start + index * rule.window for index in range(int((end - start) / rule.window))]
    overdue = unanswered_negative.overdue_in_windows(
        posts, own_authors, starts, rule.window, rule.answer_within, rule.min_reach
    )
    firings = []
    for window_start, mentions in zip(starts, overdue):
        count = len(mentions)
        detection = Detection(
            observed=count, expected=0.0, score=1.0 if count else 0.0, anomalous=count > 0,
            severity="warning" if count else None, ready=True,
        )  # fmt: skip
        if mentions:
            overdue_ids[(rule.name, window_start)] = [mention.id for mention in mentions]
        firings.append(Firing(rule, WindowCount(window_start, count, count, 0, 0), detection))
    return firings


SUPERSEDED = "superseded: a later repeat of this incident in the same pass has its current numbers"


def _align_up(moment: datetime, window: timedelta) -> datetime:
    """The first window start at or after `moment` (a rule whose window changed resumes there)."""
    start = align(moment, window)
    return start if start == moment else start + window


def _rank(firing: Firing) -> int:
    return SEVERITY_RANK.get(firing.detection.severity or "", 0)


def _in_order(firings: list[tuple[datetime, int, Firing]]) -> list[Firing]:
    """In time order; within one window the most severe first, so that two rules firing together
    open one incident at their highest severity instead of opening it and escalating at once."""
    return [firing for _, _, firing in sorted(firings, key=lambda item: (item[0], -_rank(item[2]), item[1], item[2].split))]


class _Dispatcher:
    """Turns the incidents' messages into stored alerts, suppressed or routed to receivers."""

    def __init__(
        self,
        store: Store,
        brand: str,
        policy: AlertPolicy,
        enabled: Sequence[str],
        silences: list[ActiveSilence],
        overdue: dict[tuple[str, datetime], list[int]] | None = None,
        embed: Embed | None = None,
        history_until: datetime | None = None,
    ):
        self.history_until = history_until
        """Windows ending by then are recorded, not delivered (a brand's first pass over older mentions)."""
        self.overdue = overdue or {}
        """(rule, window start) -> the unanswered mentions an unanswered_negative window counted."""
        self.embed = embed
        self.store = store
        self.brand = brand
        self.policy = policy
        self.enabled = list(enabled)
        self.silences = silences
        self.queued: list[QueuedMessage] = []

    def dispatch(self, book: IncidentBook, message: Message) -> None:
        incident = message.incident
        firing = message.firing
        rule_name = firing.rule.name if firing else incident.rule.split("[")[0]
        suppressed = silenced_by(self.silences, self.brand, rule_name)
        if suppressed is None and message.kind == "firing" and firing and firing.rule.in_quiet_hours(firing.end):
            suppressed = firing.rule.describe_quiet_hours()
        if suppressed is None and firing and self.history_until and firing.end <= self.history_until:
            age = format_duration(self.policy.detection.cooldown.total_seconds())
            suppressed = f"history: the window ended {age} or more before the brand was first judged"
        if message.kind == "resolved":
            if not self.policy.grouping.send_resolved:
                return  # the incident is closed in storage; no message is wanted
            receivers = tuple(name for name in incident.receivers if name in self.enabled)
            if not incident.receivers:
                suppressed = suppressed or "no message of this incident was delivered"
        else:
            receivers = receivers_for(
                self.policy.routes, self.brand, incident.severity, rule_name, incident.metric, self.enabled
            )
        if suppressed is None and not receivers:
            suppressed = "no receiver: no route sends it to an enabled notifier"
        if message.retry and suppressed is not None:
            return  # the incident's first message was kept quiet, and this one would be too
        if suppressed is not None:
            receivers = ()
        self.queued.append(QueuedMessage(self._alert(message), receivers, suppressed))
        book.sent(message, receivers)

    def messages(self) -> list[QueuedMessage]:
        """Every message dispatched, to store. A pass that judges hours of windows at once (after a
        stop, or a brand's first pass) passes an ongoing incident's `repeat_interval` several times:
        each repeat is recorded, but only the incident's last, with its current numbers, is
        delivered (five pages at once say no more)."""
        last = {message.alert.incident_key: index for index, message in enumerate(self.queued) if message.alert.kind == "repeat"}
        return [
            replace(message, notifiers=(), suppressed=SUPERSEDED)
            if message.alert.kind == "repeat" and message.notifiers and last[message.alert.incident_key] != index
            else message
            for index, message in enumerate(self.queued)
        ]

    def _alert(self, message: Message) -> Alert:
        incident, firing = message.incident, message.firing
        if firing is None:  # a resolved split that has had no mention since: nothing to show
            end = incident.resolved_at or incident.last_firing
            window = WindowCount(incident.last_firing, 0, 0, 0, 0)
            return Alert(
                brand=self.brand, rule=incident.rule, window_start=window.start, window_end=end, observed=0,
                expected=0.0, negative_share=0.0, severity=incident.severity,  # type: ignore[arg-type]
                score=0.0, kind="resolved", incident_key=incident.key, metric=incident.metric,
            )
        detection: Detection = firing.detection
        split = dict(firing.split)
        unanswered = firing.rule.metric == unanswered_negative.NAME
        if unanswered:
            ids = self.overdue.get((firing.rule.name, firing.start), [])[: self.policy.detection.top_mentions]
            by_id = {mention.id: mention for mention in self.store.mentions_by_id(ids)}
            top = [by_id[mention_id] for mention_id in ids if mention_id in by_id]
        else:
            top = self.store.top_mentions_in(
                self.brand, firing.start, firing.end, self.policy.detection.top_mentions,
                source=split.get("source"), language=split.get("language"), which=METRICS.get(firing.rule.metric).shown,
            )
        return Alert(
            brand=self.brand,
            rule=firing.rule_label,
            window_start=firing.start,
            window_end=firing.end,
            observed=detection.observed,
            expected=round(detection.expected, 3),
            negative_share=negative_share(firing.window.positive, firing.window.neutral, firing.window.negative) or 0.0,
            severity=(detection.severity if message.kind != "resolved" else None) or incident.severity,  # type: ignore[arg-type]
            score=detection.score,
            top_mentions=tuple(top),
            kind=message.kind,
            incident_key=incident.key,
            metric=firing.rule.metric,
            # The spike evidence (chart, driving terms, stories) describes rollup windows; an
            # unanswered mention's evidence is the mention itself, in top_mentions.
            evidence=None
            if unanswered
            else _evidence(self.store, self.brand, firing, self.policy.brand_terms.get(self.brand, ()), self.embed),
        )


def _evidence(
    store: Store, brand: str, firing: Firing, brand_terms: Sequence[str], embed: Embed | None
) -> AlertEvidence:
    """The chart series, the terms that drove the spike, its stories, where it came from, and
    whether the window was still filling when it was judged."""
    evidence = build_evidence(
        store, brand, firing.start, firing.end, firing.rule.metric,
        brand_terms=brand_terms, baseline=firing.rule.detection.baseline, embed=embed, split=firing.split,
    )  # fmt: skip
    return replace(evidence, counted_until=firing.counted_until)


def _log_message(alert: Alert, suppressed: str | None) -> None:
    numbers = (
        f"{alert.observed} {metric_noun(alert.metric)} in "
        f"{alert.window_start:%Y-%m-%d %H:%M}-{alert.window_end:%H:%M} UTC, expected {alert.expected:.1f}"
    )
    if suppressed is not None:
        log.info("%s %s (%s) recorded, not delivered: %s", alert.kind, alert.brand, alert.rule, suppressed)
    elif alert.kind == "firing":
        log.warning("ALERT %s%s: %s (score %.5f, %s)", alert.brand, _so_far(alert), numbers, alert.score, alert.severity)
    else:
        log.info("%s %s%s: %s (incident %s)", alert.kind.upper(), alert.brand, _so_far(alert), numbers, alert.incident_key)


def _so_far(alert: Alert) -> str:
    counted_until = alert.evidence.counted_until if alert.evidence else None
    return "" if counted_until is None else f" (early: counted so far, until {counted_until:%H:%M} UTC)"

"""The stages wired together: collect -> store -> classify -> detect -> notify.

`Pipeline` owns one instance of each stage built from config and exposes the two jobs the
scheduler runs: `collect(source)` per source, and `process()` for everything downstream. Running
`process` in one job keeps the model single-threaded and guarantees a window is judged only after
its mentions are scored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Collection

import numpy as np
from sqlalchemy.exc import InterfaceError, OperationalError

from alerts.dispatch.engine import DetectionSummary, detect_brand, policy_from_config
from alerts.notify.notifiers import (
    NOTIFIERS,
    Notifier,
    NotifierContext,
    NotifierDisabled,
)
from alerts.notify.outbox import DeliveryReport, deliver_due
from classifiers import SentimentClassifier, load_classifier
from classifiers.base import embedder_of
from classifiers.churn import ChurnDetector, judge_mentions
from listener.app import metrics
from listener.app.model_change import warn_of_model_change
from listener.app.topic_tagging import TopicTagger
from listener.config import ListenerConfig, SourceConfig
from listener.core.clock import Clock, ReplayClock, SystemClock, utcnow
from listener.core.language import (
    LanguageDetector,
    build_detector,
    detect_missing_languages,
)
from listener.core.limits import implausible_time
from listener.core.outage import OutageLog
from listener.core.records import Alert, Mention, MentionToScore
from listener.core.response_time import is_own_post
from listener.core.text import clean_optional, clean_text, plural
from listener.sources import Collector, build_collector
from listener.sources.matching import mentions_brand
from listener.storage.database import open_database
from listener.storage.repository import Store

log = logging.getLogger(__name__)


def build_clock(config: ListenerConfig) -> Clock:
    if config.clock.mode == "replay":
        if config.clock.start is None:
            raise ValueError("clock.start is required when clock.mode is 'replay'")
        return ReplayClock(config.clock.start, config.clock.speed)
    return SystemClock()


def build_notifiers(config: ListenerConfig) -> tuple[dict[str, Notifier], dict[str, str]]:
    """The notifiers that can run now, and for each one that cannot, the reason why.

    A notifier whose secret is not in the environment is not an error: the demo config ships
    Slack and email that way, and they switch on once the variable is set.
    """
    notifiers: dict[str, Notifier] = {}
    disabled: dict[str, str] = {}
    for entry in config.notifiers:
        if not entry.enabled:
            disabled[entry.name] = "disabled in config (enabled = false)"
            continue
        notifier_type = NOTIFIERS.get(entry.type)
        settings = notifier_type.settings_model.model_validate(entry.settings)
        try:
            notifiers[entry.name] = notifier_type.build(NotifierContext(entry.name, settings, SystemClock()))
        except NotifierDisabled as reason:
            disabled[entry.name] = str(reason)
    return notifiers, disabled


@dataclass
class ProcessReport:
    scored: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    churn_intent: int = 0
    """Scored mentions in which the author says they leave one of their brands."""
    windows: int = 0
    alerts: list[Alert] = field(default_factory=list)
    held: int = 0
    """Of `alerts`, those recorded without being delivered (`listener alerts list` says why)."""
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


class Pipeline:
    def __init__(
        self,
        config: ListenerConfig,
        *,
        clock: Clock | None = None,
        classifier: SentimentClassifier | None = None,
        notifiers: dict[str, Notifier] | None = None,
        store: Store | None = None,
    ):
        self.config = config
        self.clock = clock or build_clock(config)
        self.database_outage = OutageLog(log, "processing: the database")
        self.store = store or Store(open_database(config.storage.url))
        self._classifier = classifier
        self._classifier_lock = threading.Lock()
        if notifiers is None:
            notifiers, disabled = build_notifiers(config)
            for name, reason in disabled.items():
                log.info("notifier %r is not enabled: %s", name, reason)
        self.notifiers = notifiers
        self.collectors: dict[str, Collector] = {
            source.name: build_collector(source, self.clock, config.clock.max_future) for source in config.sources if source.enabled
        }
        self.stopping = threading.Event()
        self._finished_sources: set[str] = set()
        self._scoring_after_replay = False
        self.alert_policy = policy_from_config(config)
        self.topic_tagger = TopicTagger(config.topics)

    @property
    def classifier(self) -> SentimentClassifier:
        with self._classifier_lock:
            if self._classifier is None:
                started = time.perf_counter()
                self._classifier = load_classifier(self.config.model)
                log.info("loaded sentiment model %s in %.1fs", self._classifier.version, time.perf_counter() - started)
                warn_of_model_change(self.store, self.config, self._classifier.version, self.clock.now())
            return self._classifier

    def embed(self, texts: Sequence[str]) -> np.ndarray | None:
        """The sentiment model's embeddings of `texts`, for an alert's stories; None where the
        model's runtime gives none. Loads the model on first use, like scoring."""
        embed = embedder_of(self.classifier)
        return None if embed is None else embed(texts)

    @cached_property
    def language_detector(self) -> LanguageDetector | None:
        """Built on first use, like the model: commands that never score do not load it."""
        return build_detector(self.config.model.detect_languages)

    @cached_property
    def replay_source_names(self) -> frozenset[str]:
        """The configured sources that replay bundled mentions (the demo source type), enabled or not."""
        return frozenset(source.name for source in self.config.sources if source.type == "demo")

    @cached_property
    def churn_detector(self) -> ChurnDetector:
        """Judges churn per brand; competitor names are the other configured brands."""
        return ChurnDetector(self.config.brands)

    def sources_for(self, brand: str) -> list[str]:
        """The enabled sources that search for `brand`."""
        return [name for name in self.collectors if _serves(self.source_config(name), brand)]

    def source_config(self, name: str) -> SourceConfig:
        return next(source for source in self.config.sources if source.name == name)

    # -- collect ----------------------------------------------------------------------------

    def collect(self, source_name: str, only_brands: Collection[str] | None = None) -> dict[str, int]:
        """Poll one source for every brand it serves (or those of them in `only_brands`, as a
        cluster's poll task does); return new mentions per brand.

        Each brand commits separately with its own cursor, so one brand's failure (raised after
        the others are stored) loses nothing and is retried from its own cursor.
        """
        source = self.source_config(source_name)
        collector = self.collectors[source_name]
        brands = [
            brand for brand in self.config.brands
            if _serves(source, brand.name) and (only_brands is None or brand.name in only_brands)
        ]  # fmt: skip
        new_by_brand: dict[str, int] = {}
        failures: list[tuple[str, Exception]] = []
        finished = bool(brands)
        for brand in brands:
            if self.stopping.is_set():
                break
            polled_at = self.clock.now()
            try:
                result = collector.fetch(brand, self.store.get_cursor(source_name, brand.name))
            except Exception as error:
                failures.append((brand.name, error))
                finished = False
                continue
            finished = finished and result.finished
            # Stored under the configured source name, so two instances of one source type (two
            # Discourse forums, say) keep separate identities and cursors.
            cleaned = [clean_mention(mention, source_name) for mention in result.mentions]
            plausible = self._plausible(cleaned, polled_at)
            # A review of the brand's own app and the brand's own answers rarely name it: the
            # collector vouches for the first, the author for the second (response-time metrics).
            own_names = brand.own_accounts.for_source_type(source.type)
            matching = [
                mention for mention in plausible
                if mention.about_brand
                or is_own_post(mention.author, own_names)
                or mentions_brand(brand, mention.text, mention.language)
            ]
            dropped = len(plausible) - len(matching)
            new_by_brand[brand.name] = self.store.store_batch(
                source_name, brand.name, matching, result.cursor, collected_until=polled_at,
                own_accounts=own_names,
            )
            metrics.MENTIONS_COLLECTED.labels(source_name).inc(new_by_brand[brand.name])
            if matching or dropped:
                log.info(
                    "%s: %s: %d new of %d fetched%s (clock %s UTC)",
                    source_name,
                    brand.name,
                    new_by_brand[brand.name],
                    len(result.mentions),
                    f", {dropped} did not really mention it" if dropped else "",
                    polled_at.strftime("%Y-%m-%d %H:%M"),
                )
        if finished and source_name not in self._finished_sources:
            self._finished_sources.add(source_name)
            self._announce_replay_end(source_name)
        if failures:
            raise CollectFailed(source_name, failures, new_by_brand) from failures[0][1]
        return new_by_brand

    def _announce_replay_end(self, source_name: str) -> None:
        """On a busy machine scoring lags the replay by a minute or more, and the alerts come after
        scoring: a user who stopped at "replay finished" would never see them. "All scored and
        judged" waits for every replayed source: the demo's reviews finish before its posts."""
        to_score = self.store.count_unscored()
        replaying = self.replay_source_names & set(self.collectors)
        self._scoring_after_replay = to_score > 0 and replaying <= self._finished_sources
        log.info(
            "%s: replay finished; %d %s still to score%s; the daemon keeps running (Ctrl-C stops it, "
            "`listener history --brand NAME` shows what was collected)",
            source_name, to_score, plural(to_score, "mention"),
            " (alerts on the last of them come after that)" if to_score else "",
        )

    def _plausible(self, mentions: list[Mention], now: datetime) -> list[Mention]:
        """The mentions whose time can be true; the others are logged and skipped.

        One mention dated 2999 would stretch every "first to last mention" range to a millennium,
        and one dated before the web is as wrong; neither can be put right by waiting."""
        kept = []
        for mention in mentions:
            problem = implausible_time(mention.created_at, now, self.config.clock.max_future)
            if problem:
                log.warning("%s: skipped mention %r: %s", mention.source, mention.external_id[:80], problem)
            else:
                kept.append(mention)
        return kept

    # -- process ----------------------------------------------------------------------------

    def process(self) -> ProcessReport:
        """Score everything pending, judge closed windows, deliver due alerts.

        While the database is unreachable every pass fails the same way: that is logged when it
        starts, a line a minute while it lasts and when it ends (`OutageLog`), not per pass. The
        pass is simply tried again; nothing was committed half-way."""
        try:
            report = self._process()
        except (OperationalError, InterfaceError) as error:
            self.database_outage.failed(error)
            return ProcessReport()
        self.database_outage.succeeded()
        return report

    def _process(self) -> ProcessReport:
        report = ProcessReport()
        self._score_pending(report)
        if self.stopping.is_set():
            return report
        now = self.clock.now()
        for brand in self.config.brands:
            summary = self.judge(brand.name, now)
            report.windows += summary.windows
            report.alerts.extend(summary.alerts)
            report.held += summary.held
        if self._scoring_after_replay and self.store.count_unscored() == 0:
            self._scoring_after_replay = False
            stored = self.store.count_mentions()
            log.info("replay: all %d %s scored and judged", stored, plural(stored, "mention"))
        report.delivery = deliver_due(self.store, self.notifiers, self.config.delivery, utcnow())
        metrics.count_delivery(report.delivery)
        return report

    def judge(self, brand: str, now: datetime) -> DetectionSummary:
        """Judge `brand`'s closed windows and queue the alerts they fire (one transaction)."""
        summary = detect_brand(
            self.store, brand, self.alert_policy, now, sorted(self.notifiers), self.sources_for(brand),
            wall_now=utcnow(), embed=self.embed,
        )  # fmt: skip
        metrics.WINDOWS_JUDGED.inc(summary.windows)
        return summary

    def score(self, pending: list[MentionToScore]) -> tuple[Counter[str], int]:
        """Score one batch, judge its churn intent and store both (one transaction), tag its topics;
        return the labels given and how many mentions showed churn intent."""
        started = time.perf_counter()
        sentiments = self.classifier.classify([mention.text for mention in pending])
        languages = detect_missing_languages(self.language_detector, pending)
        if self.topic_tagger:
            # Before the scores: a crash in between leaves the mentions unscored, so the next
            # pass tags them again (tagging replaces a mention's topics), and none stays untagged.
            self.store.tag_topics(self.topic_tagger.tag(pending, languages))
        churn = judge_mentions(
            self.churn_detector, pending, self.store.brands_of([mention.id for mention in pending]), languages
        )
        self.store.save_scores(
            [(mention.id, sentiment) for mention, sentiment in zip(pending, sentiments)],
            self.classifier.version,
            languages,
            churn,
        )
        leaving = sum(any(flag for flag, _ in by_brand.values()) for by_brand in churn.values())
        labels = Counter(sentiment.label for sentiment in sentiments)
        metrics.MENTIONS_SCORED.inc(len(pending))
        metrics.SCORING_SECONDS.observe(time.perf_counter() - started)
        log.info(
            "scored %d %s in %.1fs: %d negative, %d neutral, %d positive; %d with churn intent",
            len(pending),
            plural(len(pending), "mention"),
            time.perf_counter() - started,
            labels["negative"],
            labels["neutral"],
            labels["positive"],
            leaving,
        )
        return labels, leaving

    def _score_pending(self, report: ProcessReport) -> None:
        """Score pending mentions in batches, oldest first, until a batch comes back short.

        A short batch means the backlog is scored: mentions that polls store meanwhile wait for
        the next pass (the scheduler asks for one at once), instead of keeping a busy brand's
        stream from ever reaching detection and delaying the alert it may carry.
        """
        batch_size = max(self.config.model.batch_size * 8, 64)
        while not self.stopping.is_set():
            pending = self.store.mentions_to_score(batch_size)
            if not pending:
                break
            labels, leaving = self.score(pending)
            report.scored += len(pending)
            report.labels.update(labels)
            report.churn_intent += leaving
            if len(pending) < batch_size:
                break


def clean_mention(mention: Mention, source_name: str) -> Mention:
    """The mention under its configured source name, with texts safe to match, store and show."""
    return replace(
        mention,
        source=source_name,
        text=clean_text(mention.text),
        author=clean_optional(mention.author, 200),
        url=clean_optional(mention.url, 2000),
        language=clean_text(mention.language)[:16] if mention.language else None,
        conversation_id=clean_optional(mention.conversation_id, 200),
        in_reply_to=clean_optional(mention.in_reply_to, 200),
    )


def _serves(source: SourceConfig, brand: str) -> bool:
    return source.brands is None or brand in source.brands


class CollectFailed(Exception):
    """One or more brands of a source failed this poll; the others were stored (`new_by_brand`)."""

    def __init__(
        self, source: str, failures: list[tuple[str, Exception]], new_by_brand: dict[str, int] | None = None
    ):
        self.source = source
        self.failures = failures
        self.new_by_brand = new_by_brand or {}
        details = "; ".join(f"{brand}: {type(error).__name__}: {error}" for brand, error in failures)
        super().__init__(f"source {source!r} failed for {details}")

"""Score stored mentions again after a model change: `listener rescore`.

History scored by the old model and mentions scored by the new one do not compare, so after
switching models the stored range is scored again in batches. Each batch is committed with its
model version, and mentions already scored by the target version are skipped, so a run that is
interrupted (Ctrl-C, a reboot) continues where it stopped when started again. Scores go through
`Store.save_scores`, the same path as the daemon's, so brand labels and rollups follow.

Every mention in range is also tagged again with the configured `[[topics]]` (`retag`), whatever
model scored it: topics change more often than models, tagging costs no model, and a topic added
today should describe last month too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from classifiers.base import SentimentClassifier
from classifiers.churn import ChurnDetector, judge_mentions
from listener.app.topic_tagging import TopicTagger
from listener.config import ListenerConfig
from listener.core.language import LanguageDetector, build_detector, detect_missing_languages
from listener.storage.database import open_database
from listener.storage.repository import Store


@dataclass
class RescoreReport:
    model: str
    to_score: int = 0
    already_scored: int = 0
    """Mentions in range that the target model had scored before this run: skipped."""
    scored: int = 0
    changed: int = 0
    """Mentions that had a label before and now have a different one."""
    labels: Counter[str] = field(default_factory=Counter)
    retagged: int = 0
    """Mentions in range whose topics were tagged again."""
    topics: Counter[str] = field(default_factory=Counter)
    """Of those, how many each topic tagged."""
    churn_intent: int = 0
    """Rescored mentions in which the author says they leave one of their brands."""


def rescore(
    store: Store,
    classifier: SentimentClassifier,
    since: datetime,
    until: datetime | None = None,
    brand: str | None = None,
    *,
    detector: LanguageDetector | None = None,
    churn: ChurnDetector | None = None,
    batch_size: int = 256,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RescoreReport:
    """Score every mention in [since, until) (of `brand`) that `classifier.version` has not scored.

    With `churn`, mentions are also judged for churn intent, and those never judged (stored before
    churn intent existed) are rescored even when the model already scored them: rescoring is how
    history gets its churn verdicts.

    `on_start` receives the number to score, `on_batch` each committed batch's size (for a progress
    bar); `should_stop` is checked between batches, so a stop never leaves half a batch behind.
    """
    report = RescoreReport(model=classifier.version)
    judge_churn = churn is not None
    report.to_score, report.already_scored = store.count_for_rescore(
        classifier.version, since, until, brand, churn_unjudged=judge_churn
    )
    if on_start is not None:
        on_start(report.to_score)
    after_id = 0
    while not should_stop():
        batch = store.mentions_for_rescore(
            classifier.version, since, until, brand, after_id, batch_size, churn_unjudged=judge_churn
        )
        if not batch:
            break
        previous = {stored.id: stored.sentiment for stored in store.mentions_by_id([mention.id for mention in batch])}
        sentiments = classifier.classify([mention.text for mention in batch])
        languages = detect_missing_languages(detector, batch)
        verdicts = None
        if churn is not None:
            verdicts = judge_mentions(churn, batch, store.brands_of([mention.id for mention in batch]), languages)
            report.churn_intent += sum(any(flag for flag, _ in by_brand.values()) for by_brand in verdicts.values())
        store.save_scores(
            [(mention.id, sentiment) for mention, sentiment in zip(batch, sentiments)],
            classifier.version,
            languages,
            verdicts,
        )
        after_id = batch[-1].id
        report.scored += len(batch)
        report.labels.update(sentiment.label for sentiment in sentiments)
        report.changed += sum(
            1
            for mention, sentiment in zip(batch, sentiments)
            if (before := previous.get(mention.id)) is not None and before.label != sentiment.label
        )
        if on_batch is not None:
            on_batch(len(batch))
    return report


def retag(
    store: Store,
    tagger: TopicTagger,
    since: datetime,
    until: datetime | None = None,
    brand: str | None = None,
    *,
    report: RescoreReport,
    batch_size: int = 1000,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Tag every mention in [since, until) (of `brand`) with the topics it matches now, in batches
    by id, each committed whole: a mention's old topics that no longer match are dropped."""
    after_id = 0
    while not should_stop():
        batch = store.mentions_to_tag(since, until, brand, after_id, batch_size)
        if not batch:
            break
        tags = tagger.tag(batch)
        store.tag_topics(tags)
        after_id = batch[-1].id
        report.retagged += len(batch)
        report.topics.update(topic for topics in tags.values() for topic in topics)


def run_rescore_command(
    config: ListenerConfig,
    since: datetime,
    until: datetime | None,
    brand: str | None,
    console: Console,
) -> RescoreReport:
    """`listener rescore`: load the model and detector, score with a progress bar, print a summary."""
    from classifiers import load_classifier

    if brand is not None and brand not in {configured.name for configured in config.brands}:
        known = ", ".join(configured.name for configured in config.brands) or "none"
        raise ValueError(f"brand {brand!r} is not in the config (brands: {known})")
    if until is not None and until <= since:
        raise ValueError(f"--until ({until:%Y-%m-%d %H:%M}) must be after --since ({since:%Y-%m-%d %H:%M})")
    store = Store(open_database(config.storage.url))
    classifier = load_classifier(config.model)
    detector = build_detector(config.model.detect_languages)
    columns = (
        TextColumn("rescoring with {task.fields[model]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("rescore", total=None, model=classifier.version)
        report = rescore(
            store,
            classifier,
            since,
            until,
            brand,
            detector=detector,
            churn=ChurnDetector(config.brands),
            batch_size=max(config.model.batch_size * 8, 64),
            on_start=lambda total: progress.update(task, total=total),
            on_batch=lambda count: progress.advance(task, count),
        )
    retag(store, TopicTagger(config.topics), since, until, brand, report=report)
    return report

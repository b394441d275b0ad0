"""Importing survey exports, for `listener surveys import` and the `[[surveys]]` files at daemon start.

Comments are scored at import, with the same model (and loading) as mentions, rather than by the
daemon's processing pass: a survey file arrives by one explicit command whose user waits for its
result, so scoring there makes an import complete without a running daemon, and the processing
pass, which runs every few seconds for the alert path, gains no second queue for a table that only
changes on import. Should the model not load, the answers are stored unscored and the next import
(of any file, or the same one again) scores them: `score_pending_comments` takes every unscored
comment, not only the new ones. Topic tagging can hook in at the same place, on the stored
`touchpoint` and comment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from listener.app.topic_tagging import TopicTagger
from listener.config import ListenerConfig
from listener.core.clock import utcnow
from listener.core.survey_files import RejectedRow, SurveyFileError, SurveyFormat, parse_survey, response_keys
from listener.core.surveys import SurveyKind, format_number, survey_number
from listener.core.text import plural
from listener.storage.surveys import SurveyStore

if TYPE_CHECKING:
    from classifiers import SentimentClassifier

log = logging.getLogger(__name__)

COMMENT_BATCH = 256


@dataclass
class SurveyImport:
    """What one import read and stored, and the number its answers give."""

    path: str
    kind: SurveyKind
    file_format: SurveyFormat
    read: int
    new: int
    already_imported: int
    number: float | None
    score_column: str
    rejected: list[RejectedRow] = field(default_factory=list)

    def summary(self) -> str:
        """`20 rows: 20 new, 0 already imported; NPS 15`."""
        return (
            f"{self.read} {plural(self.read, 'row')}: {self.new} new, {self.already_imported} already imported; "
            f"{format_number(self.kind, self.number)}"
        )

    def rejections(self) -> list[str]:
        """`2 rows rejected`, then `FILE:LINE: reason` per row, as a compiler reports errors."""
        if not self.rejected:
            return []
        count = len(self.rejected)
        return [f"{count} {plural(count, 'row')} rejected"] + [
            f"{self.path}:{row.line}: {row.reason}" for row in self.rejected
        ]


def import_survey_file(
    store: SurveyStore,
    path: Path,
    kind: SurveyKind,
    brand: str,
    file_format: SurveyFormat | Literal["auto"] = "auto",
    imported_at: datetime | None = None,
) -> SurveyImport:
    """Read `path` and store its new answers. Raises SurveyFileError when nothing in it can be
    read (no such file, not a survey export, no question of `kind`); bad rows are only reported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SurveyFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SurveyFileError(f"{path}: cannot be read: {error}") from None
    try:
        parsed = parse_survey(text, kind, file_format)
    except SurveyFileError as error:
        raise SurveyFileError(f"{path}: {error}") from None
    keys = response_keys(brand, kind, parsed.file_format, parsed.answers)
    counts = store.add_answers(brand, kind, parsed.file_format, parsed.answers, keys, imported_at or utcnow())
    return SurveyImport(
        path=str(path),
        kind=kind,
        file_format=parsed.file_format,
        read=len(parsed.answers),
        new=counts.new,
        already_imported=counts.already_imported,
        number=survey_number(kind, [answer.score for answer in parsed.answers]),
        score_column=parsed.score_column,
        rejected=parsed.rejected,
    )


def score_pending_comments(
    store: SurveyStore, classifier: Callable[[], SentimentClassifier], tagger: TopicTagger | None = None
) -> int:
    """Score every stored comment no model has scored yet, and tag it with `tagger`'s topics, as the
    scoring pass tags mentions; returns how many. `classifier` is called only when there is a
    comment to score, so re-importing a scored file never loads the model."""
    scored = 0
    model: SentimentClassifier | None = None
    while pending := store.unscored_comments(COMMENT_BATCH):
        model = model or classifier()
        sentiments = model.classify([comment.comment for comment in pending])
        store.save_comment_scores(
            [(comment.response_id, sentiment) for comment, sentiment in zip(pending, sentiments)],
            model.version,
            utcnow(),
            {comment.response_id: tagger.topics_of(comment.comment) for comment in pending} if tagger else None,
        )
        scored += len(pending)
    return scored


def import_configured_surveys(
    config: ListenerConfig, store: SurveyStore, classifier: Callable[[], SentimentClassifier]
) -> None:
    """The `[[surveys]]` files, at daemon start. A file that cannot be read is logged and skipped:
    the survey panel missing some answers must not keep the daemon from listening."""
    if not config.surveys:
        return
    for survey in config.surveys:
        try:
            report = import_survey_file(store, Path(survey.file), survey.kind, survey.brand, survey.format)
        except SurveyFileError as error:
            log.error("surveys: %s", error)
            continue
        log.info("surveys: %s (%s, %s): %s", survey.file, survey.brand, report.file_format, report.summary())
        for line in report.rejections():
            log.warning("surveys: %s", line)
    scored = score_pending_comments(store, classifier, TopicTagger(config.topics))
    if scored:
        log.info("surveys: scored %d %s", scored, plural(scored, "comment"))

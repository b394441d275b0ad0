"""`listener surveys import`: NPS, CSAT and CES answers from survey exports, beside social sentiment."""

from __future__ import annotations

from pathlib import Path

import click

from listener.app.surveys import import_survey_file, score_pending_comments
from listener.app.topic_tagging import TopicTagger
from listener.cli.common import config_option, load, log, open_store
from listener.config import ListenerConfig
from listener.core.survey_files import SURVEY_FORMATS, SurveyFileError
from listener.core.surveys import SURVEY_KINDS
from listener.storage.surveys import SurveyStore


@click.group()
def surveys() -> None:
    """Survey answers (NPS, CSAT, CES) shown beside social sentiment."""


@surveys.command("import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(SURVEY_KINDS),
    help="Which question the score answers: nps (0-10), csat (1-5) or ces (1-7).",
)
@click.option("--brand", required=True, help="The configured brand the answers are about.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(("auto", *SURVEY_FORMATS)),
    default="auto",
    show_default=True,
    help="The export's shape; auto tells SurveyMonkey, Typeform, Qualtrics and plain files apart by their headers.",
)
def surveys_import(config_path: str | None, file: Path, kind: str, brand: str, file_format: str) -> None:
    """Import a survey export; rows already imported are skipped, so importing again is safe.

    Prints the rows read, how many were new, and the file's NPS, CSAT or CES; rejected rows go to
    stderr as FILE:LINE: reason. Exits 1 only when nothing could be read."""
    config = load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    store = SurveyStore(open_store(config).engine)
    try:
        report = import_survey_file(store, file, kind, brand, file_format)  # type: ignore[arg-type]
    except SurveyFileError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    for line in report.rejections():
        click.echo(line, err=True)
    if report.read == 0:
        click.echo(f"error: {file}: no row could be read", err=True)
        raise SystemExit(1)
    click.echo(report.summary())
    log.info("surveys: read %s as %s, scores from %r", file, report.file_format, report.score_column)
    _score_comments(config, store)


def _score_comments(config: ListenerConfig, store: SurveyStore) -> None:
    """Score the comments with the configured model, as `listener classify` loads it, and tag them
    with the configured topics. A model that cannot load leaves them unscored, the answers stored:
    the next import scores them."""
    from classifiers import ModelLoadError, load_classifier

    try:
        scored = score_pending_comments(store, lambda: load_classifier(config.model), TopicTagger(config.topics))
    except ModelLoadError as error:
        click.echo(f"comments not scored (the next import scores them): {error}", err=True)
        return
    if scored:
        log.info("surveys: scored %d comments", scored)

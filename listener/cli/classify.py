"""`listener classify` and `listener rescore`: the sentiment model on texts, and on the stored mentions."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import Iterable, TextIO

import click
from rich.console import Console

from listener.cli.common import DATE_FORMATS, config_option, count_of, load, log, utc
from listener.config import (
    ModelConfig,
)


@click.command()
@config_option
@click.option("--model", "model_name", help="A model other than the configured one: 'default', a Hugging Face name or a local path.")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8", errors="replace"), help="Read texts from FILE instead of stdin.")
@click.option("--column", help="Treat the input as CSV with a header and classify this column.")
@click.option("--batch-size", type=click.IntRange(1, 1024), help="Texts per model batch.")
def classify(
    config_path: str | None, model_name: str | None, input_file: TextIO | None, column: str | None, batch_size: int | None
) -> None:
    """Score texts (one per line; blank lines are skipped) and print one JSON object per text, in order."""
    from classifiers import load_classifier

    model = _model_config(config_path, model_name, batch_size)
    stream = input_file or click.get_text_stream("stdin", encoding="utf-8", errors="replace")
    texts = list(_read_texts(stream, column))
    classifier = load_classifier(model)
    chunk = model.batch_size * 16
    for offset in range(0, len(texts), chunk):
        for sentiment in classifier.classify(texts[offset : offset + chunk]):
            sys.stdout.write(json.dumps(sentiment.as_json()) + "\n")
        sys.stdout.flush()


def _model_config(config_path: str | None, model_name: str | None, batch_size: int | None) -> ModelConfig:
    try:
        base = load(config_path).model
    except click.UsageError:
        log.info("config: no config file found; using the shipped model settings")
        base = ModelConfig()  # classify works without any config file
    updates: dict[str, object] = {}
    if model_name:
        updates.update(name=model_name, labels={} if model_name != base.name else base.labels)
    if batch_size:
        updates["batch_size"] = batch_size
    return base.model_copy(update=updates)


def _read_texts(stream: TextIO, column: str | None) -> Iterable[str]:
    if column is None:
        for line in stream:
            if line.strip():  # a blank line is no text: scoring it would print a verdict on nothing
                yield line.rstrip("\r\n")
        return
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise click.BadParameter(
            f"column {column!r} not found (columns: {', '.join(reader.fieldnames or [])})", param_hint="--column"
        )
    for record in reader:
        if (record[column] or "").strip():
            yield record[column]


@click.command()
@config_option
@click.option("--since", required=True, type=click.DateTime(DATE_FORMATS), help="Mentions created from this time (UTC).")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="Up to (not including) this time (UTC); default: now.")
@click.option("--brand", help="Only this brand's mentions (default: all).")
@click.option("--model", "model_name", help="Score with this model instead of the configured one: 'default', a shipped version such as e5-small-lora-v2, a Hugging Face name or a local path.")
def rescore(
    config_path: str | None, since: datetime, until: datetime | None, brand: str | None, model_name: str | None
) -> None:
    """Score stored mentions again with the current model; resumable: rerun to continue."""
    from listener.app.rescore import run_rescore_command

    config = load(config_path)
    if model_name:
        labels = {} if model_name != config.model.name else config.model.labels
        config = config.model_copy(update={"model": config.model.model_copy(update={"name": model_name, "labels": labels})})
    console = Console(stderr=True)
    try:
        report = run_rescore_command(config, utc(since), utc(until), brand, console)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: every finished batch is saved; run the same command again to continue", err=True)
        raise SystemExit(130) from None
    click.echo(
        f"rescored {count_of(report.scored, 'mention')} with {report.model} ({report.changed} changed label; "
        f"{report.already_scored} already scored by it were skipped): {report.labels['negative']} negative, "
        f"{report.labels['neutral']} neutral, {report.labels['positive']} positive; "
        f"{report.churn_intent} with churn intent"
    )
    tagged = ", ".join(f"{topic} {count}" for topic, count in sorted(report.topics.items(), key=lambda item: (-item[1], item[0])))
    click.echo(f"re-tagged {count_of(report.retagged, 'mention')} with the configured topics{': ' + tagged if tagged else ''}")

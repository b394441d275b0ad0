"""`listener history` says how each configured topic felt over the table's range, busiest first,
and nothing about topics when none are configured or tagged."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from listener.cli.main import main
from listener.core.records import Mention, Sentiment
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.cli_helpers import write_cli_config
from tests.conftest import utc

TOPICS = """
[[topics]]
name = "billing"
query = "invoice"

[[topics]]
name = "[bold]app[/bold]"
query = "app"
"""


def test_history_table_ends_with_the_topics_net_sentiment(tmp_path: Path) -> None:
    config = write_cli_config(tmp_path, f"sqlite:///{tmp_path / 'cli.db'}", TOPICS)
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(store.engine)
    posts = [("m1", "acme invoice wrong", 2, "negative"), ("m2", "acme invoice fine", 2, "positive"),
             ("m3", "acme invoice late", 2, "negative"), ("m4", "acme app great", 3, "positive")]  # fmt: skip
    store.store_batch("demo", "Acme", [Mention("demo", key, text, utc(2026, 11, day, 9)) for key, text, day, _ in posts], {})
    ids = {text: mention_id for mention_id, text in store.unscored(10)}
    store.save_scores([(ids[text], Sentiment(label, 0.0, 0.9)) for _, text, _, label in posts], "m")  # type: ignore[arg-type]
    store.tag_topics({ids[text]: ["billing" if "invoice" in text else "[bold]app[/bold]"] for _, text, _, _ in posts})
    store.engine.dispose()
    runner = CliRunner()
    acme = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--bucket", "day"])
    assert acme.exit_code == 0, acme.output
    assert "Topics: billing 3 (net -33.3), [bold]app[/bold] 1 (net +100.0)" in acme.output  # printed, not styled
    first_day = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--until", "2026-11-02 23:00"])
    assert "Topics: billing 3 (net -33.3)" in first_day.output and "app" not in first_day.output.split("Topics:")[1]
    globex = runner.invoke(main, ["history", "--config", str(config), "--brand", "Globex"])
    assert globex.exit_code == 0 and "Topics:" not in globex.output


def test_history_without_topics_configured_has_no_topic_line(tmp_path: Path) -> None:
    config = write_cli_config(tmp_path, f"sqlite:///{tmp_path / 'cli.db'}")
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(store.engine)
    store.store_batch("demo", "Acme", [Mention("demo", "m1", "acme invoice", utc(2026, 11, 2, 9))], {})
    store.engine.dispose()
    result = CliRunner().invoke(main, ["history", "--config", str(config), "--brand", "Acme"])
    assert result.exit_code == 0 and "Topics:" not in result.output

"""`listener history` ends its table with the brand's response-time line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from listener.cli.main import main
from listener.core.records import Mention
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.conftest import utc

CONFIG = """
[storage]
url = "sqlite:///{db}"

[[brands]]
name = "Acme"
keywords = ["acme"]
own_accounts = {{ demo = ["acme_support"] }}

[[brands]]
name = "Globex"
keywords = ["globex"]

[[sources]]
name = "demo"
type = "demo"
"""


def test_history_table_ends_with_the_response_time_line(tmp_path: Path) -> None:
    config = tmp_path / "listener.toml"
    config.write_text(CONFIG.format(db=tmp_path / "cli.db"), encoding="utf-8")
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(store.engine)
    start = utc(2026, 11, 2, 9)
    store.store_batch(
        "demo",
        "Acme",
        [
            Mention("demo", "1", "acme is slow", start, author="kim"),
            Mention(
                "demo", "2", "thanks, fixed", start + timedelta(minutes=25), author="acme_support", in_reply_to="1"
            ),
            Mention("demo", "3", "acme pricing?", start + timedelta(minutes=5), author="lee"),
        ],
        {},
        collected_until=start + timedelta(hours=1),
    )
    store.store_batch("demo", "Globex", [Mention("demo", "4", "globex", start, author="lee")], {})
    store.engine.dispose()

    runner = CliRunner()
    acme = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--bucket", "day"])
    assert acme.exit_code == 0, acme.output
    assert "Response time: all: 1 of 2 answered (50%); first response median 25 min, mean 25 min; " in acme.output
    assert "0 negative mentions unanswered" in acme.output
    globex = runner.invoke(main, ["history", "--config", str(config), "--brand", "Globex"])
    assert "Response time" not in globex.output
    as_json = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--format", "json"])
    assert as_json.output.lstrip().startswith("[") and "Response time" not in as_json.output

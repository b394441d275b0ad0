"""`listener history` says a brand's review stars under its table, and nothing about them for a
brand without reviews."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from listener.cli.main import main
from listener.core.records import Mention
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.cli_helpers import write_cli_config
from tests.conftest import utc


def test_history_table_ends_with_the_brand_review_ratings(tmp_path: Path) -> None:
    config = write_cli_config(tmp_path, f"sqlite:///{tmp_path / 'cli.db'}")
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(store.engine)
    store.store_batch("appstore", "Acme", [
        Mention("appstore", "r1", "logs me out", utc(2026, 11, 2, 9), rating=1),
        Mention("appstore", "r2", "great", utc(2026, 11, 2, 10), rating=5),
        Mention("appstore", "r3", "great too", utc(2026, 11, 3, 10), rating=5),
    ], {})  # fmt: skip
    store.store_batch("demo", "Globex", [Mention("demo", "p1", "globex post", utc(2026, 11, 2, 9))], {})
    store.engine.dispose()
    runner = CliRunner()
    acme = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--bucket", "day"])
    assert acme.exit_code == 0, acme.output
    assert "Review ratings: 3.67★ average from 3 reviews (1★ 1, 2★ 0, 3★ 0, 4★ 0, 5★ 2)" in acme.output
    first_day = runner.invoke(
        main, ["history", "--config", str(config), "--brand", "Acme", "--until", "2026-11-02 23:00"]
    )
    assert "Review ratings: 3.00★ average from 2 reviews" in first_day.output
    globex = runner.invoke(main, ["history", "--config", str(config), "--brand", "Globex"])
    assert globex.exit_code == 0 and "Review ratings" not in globex.output
    as_json = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--format", "json"])
    assert "Review ratings" not in as_json.output and json.loads(as_json.output)

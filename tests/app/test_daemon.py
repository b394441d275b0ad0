"""The daemon as a user runs it: a real process, stopped by a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_sigterm_stops_the_daemon_gracefully(tmp_path: Path) -> None:
    config = (REPO / "config" / "demo.toml").read_text()
    assert 'url = "sqlite:///../var/demo.db"' in config
    config = config.replace('url = "sqlite:///../var/demo.db"', f'url = "sqlite:///{tmp_path / "demo.db"}"')
    assert 'path = "../var/demo-alerts.jsonl"' in config
    config = config.replace('path = "../var/demo-alerts.jsonl"', f'path = "{tmp_path / "alerts.jsonl"}"')
    config_path = tmp_path / "demo.toml"
    config_path.write_text(config)
    env = {key: value for key, value in os.environ.items() if key not in ("SLACK_WEBHOOK_URL", "SMTP_HOST")}
    process = subprocess.Popen(
        [sys.executable, "-m", "listener", "run", "--config", str(config_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )
    deadline = time.monotonic() + 120
    lines: list[str] = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        seen = "".join(lines)
        # It collected Acme's mentions and scored at least one batch (the replay's first polls may
        # bring only Globex's: which brand speaks first depends on how far the replay got).
        if "scored" in seen and "demo: Acme:" in seen:
            break
    else:
        process.kill()
        pytest.fail("the daemon collected and scored no Acme mention within 120 s:\n" + "".join(lines))
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    log = "".join(lines) + output
    assert process.returncode == 0, log
    assert "received SIGTERM: finishing the batch in hand, then stopping" in log
    assert log.rstrip().splitlines()[-1].strip().endswith("stopped")
    assert "notifier 'team-slack' is not enabled: set SLACK_WEBHOOK_URL" in " ".join(log.split())


def test_classify_reads_stdin_and_writes_json_lines_in_order() -> None:
    texts = ["I love this product, it is wonderful!", "", "This is the worst service ever, I hate it.", "🙂🙂"]
    result = subprocess.run(
        [sys.executable, "-m", "listener", "classify"],
        input="\n".join(texts) + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == 3  # the blank line is skipped, not scored
    assert [set(v) for v in verdicts] == [{"label", "score", "confidence"}] * 3
    assert verdicts[0]["label"] == "positive" and verdicts[0]["score"] > 0
    assert verdicts[1]["label"] == "negative" and verdicts[1]["score"] < 0
    assert all(-1 <= v["score"] <= 1 and 0 <= v["confidence"] <= 1 for v in verdicts)


def test_classify_csv_column_and_missing_model(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text('id,text\n1,"Great support, thanks!"\n2,"Terrible, broken again"\n')
    result = subprocess.run(
        [sys.executable, "-m", "listener", "classify", "--input", str(export), "--column", "text"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["label"] for line in result.stdout.splitlines()] == ["positive", "negative"]

    missing = subprocess.run(
        [sys.executable, "-m", "listener", "classify", "--model", "nobody/no-such-model"],
        input="hello\n", capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert missing.returncode == 2
    assert "model 'nobody/no-such-model' cannot be loaded offline" in missing.stderr

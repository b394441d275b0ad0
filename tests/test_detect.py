"""The spike detector on synthetic series with known answers."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from click.testing import CliRunner

from alerts.backtest import SeriesError, backtest, read_series
from alerts.detect import IncidentTracker, evaluate, upper_tail
from listener.cli import main
from listener.config import DetectionConfig
from tests.conftest import utc

RULE = DetectionConfig()


def poisson_series(mean: float, length: int, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    # Knuth's method: fine for the small means used here.
    values = []
    for _ in range(length):
        threshold, count, product = pow(2.718281828459045, -mean), 0, rng.random()
        while product > threshold:
            count += 1
            product *= rng.random()
        values.append(count)
    return values


def test_clear_spike_is_anomalous_and_critical() -> None:
    detection = evaluate([2, 1, 3, 2, 2, 1, 2, 3, 2, 2], 30, RULE)
    assert detection.anomalous
    assert detection.severity == "critical"
    assert detection.score > 0.999999
    assert detection.expected == pytest.approx(2.0)


def test_one_to_three_mentions_pages_nobody() -> None:
    """Tripling a tiny count is statistically surprising but below the minimum count."""
    detection = evaluate([1] * 96, 3, RULE)
    assert detection.score > 0.9
    assert not detection.anomalous


def test_no_alert_without_enough_history() -> None:
    assert not evaluate([1, 2], 50, RULE).anomalous
    assert not evaluate([], 50, RULE).anomalous


def test_ratio_floor_holds_for_busy_brands() -> None:
    """On a busy brand a statistically significant +30% is not a spike worth paging for."""
    history = [100.0] * 96
    detection = evaluate(history, 130, RULE)
    assert detection.score > 0.99
    assert not detection.anomalous


def test_overdispersed_history_raises_the_bar() -> None:
    calm = [10.0] * 48
    bursty = [2.0, 18.0] * 24  # same mean, far larger variance
    assert upper_tail(25, 10, 10) < upper_tail(25, 10, 64)
    assert evaluate(calm, 25, RULE).score > evaluate(bursty, 25, RULE).score


def test_poisson_noise_never_alerts_over_a_month_of_windows() -> None:
    """30 days of 15-minute windows of pure Poisson noise at several levels: no alert."""
    for mean in (0.3, 2, 8):
        series = poisson_series(mean, 30 * 96, seed=int(mean * 10))
        history: list[int] = []
        alerts = 0
        for value in series:
            alerts += evaluate(history[-96:], value, RULE).anomalous
            history.append(value)
        assert alerts == 0, f"{alerts} false alerts at mean {mean}"


def test_incident_sends_one_alert_until_cooldown_passes() -> None:
    tracker = IncidentTracker(cooldown=timedelta(hours=2))
    start = utc(2026, 11, 4, 10)
    fired = [tracker.observe(start + timedelta(minutes=15 * i), anomalous=True) for i in range(8)]
    assert fired == [True] + [False] * 7
    assert not tracker.observe(start + timedelta(hours=3, minutes=30), anomalous=False)
    assert tracker.observe(start + timedelta(hours=5), anomalous=True)


def test_backtest_has_no_look_ahead() -> None:
    """Appending future rows never changes the scores already written for earlier rows."""
    values = poisson_series(3, 300, seed=1)
    values[250] = 40
    csv_text = "timestamp,value\n" + "".join(
        f"2026-11-02 {i // 12:02d}:{(i % 12) * 5:02d}:00,{v}\n" for i, v in enumerate(values[:288])
    )
    full = list(backtest(read_series(io.StringIO(csv_text)), RULE))
    truncated_text = "\n".join(csv_text.splitlines()[:201]) + "\n"
    truncated = list(backtest(read_series(io.StringIO(truncated_text)), RULE))
    assert full[:200] == truncated
    assert full[250].alert == 1 and full[250].anomaly_score > 0.999
    assert sum(row.alert for row in full) == 1


def test_backtest_cli_writes_one_row_per_input_row(tmp_path, monkeypatch) -> None:
    series = tmp_path / "series.csv"
    rows = [f"2026-11-02 00:{m:02d}:00,{v}" for m, v in zip(range(0, 60, 5), [3, 2, 4, 3, 2, 3, 3, 2, 4, 3, 60, 3])]
    series.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    output = tmp_path / "scores.csv"
    monkeypatch.chdir(tmp_path)  # no config file around: the shipped defaults apply
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(output)])
    assert result.exit_code == 0, result.output
    lines = output.read_text().splitlines()
    assert lines[0] == "timestamp,anomaly_score,alert"
    assert len(lines) == 13
    scores = [float(line.split(",")[1]) for line in lines[1:]]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert lines[11].endswith(",1") and scores[10] == max(scores)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("time,count\n1,2\n", "line 1: expected header 'timestamp,value'"),
        ("timestamp,value\n2026-11-02 00:00:00,lots\n", "line 2: value ['lots'] is not a number"),
        ("timestamp,value\n2026-11-02 00:00:00,-4\n", "line 2: value must be a non-negative count"),
    ],
)
def test_bad_series_names_the_line(text: str, message: str) -> None:
    with pytest.raises(SeriesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_series(io.StringIO(text), "s.csv")

"""`listener backtest`: the live detector over a count series, with no look-ahead.

The backtest computes the seasonal expected counts of a whole series at once for speed; these
tests hold it to the daemon's path: `evaluate` on each window's own history, and the engine over
a real store.
"""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from alerts.backtest import (
    SeriesError,
    CountRow,
    backtest,
    read_series,
    replay,
    rule_settings,
    series_interval,
)
from alerts.detect.detector import evaluate, history_windows
from listener.cli.main import main
from listener.config import DetectionConfig
from listener.storage.repository import Store
from tests.cli_helpers import BRANDS_AND_DEMO_SOURCE
from tests.conftest import utc
from tests.alerts.test_detect import daily_means, poisson_series
from tests.alerts.test_engine import add_counts

RULE = DetectionConfig()
SHORT = DetectionConfig(baseline="2d", false_alarms="1/week", cooldown="2h")
"""Two days of baseline, so a few days of 15-minute windows exercise the seasonal path."""
START = utc(2026, 9, 7)
WINDOW = timedelta(minutes=15)


def csv_of(values: list[int], step: timedelta = WINDOW) -> str:
    return "timestamp,value\n" + "".join(f"{(START + i * step).strftime('%Y-%m-%d %H:%M:%S')},{v}\n" for i, v in enumerate(values))


def spiky_series(days: int, seed: int) -> list[int]:
    values = poisson_series(daily_means(days, night=1, peak=12, weekend=0.6), seed=seed)
    for index, height in ((2 * 96 + 40, 60), (3 * 96 + 10, 25), (4 * 96 + 70, 90), (4 * 96 + 79, 80)):
        if index < len(values):
            values[index] = height
    return values


def test_backtest_has_no_look_ahead() -> None:
    """Appending future rows never changes the output already written for earlier rows."""
    values = spiky_series(5, seed=1)
    full = list(backtest(read_series(io.StringIO(csv_of(values))), SHORT))
    for cut in (100, 300, 400):
        truncated = list(backtest(read_series(io.StringIO(csv_of(values[:cut]))), SHORT))
        assert full[:cut] == truncated
    assert sum(row.alert for row in full) >= 3


@pytest.mark.parametrize("rule", [SHORT, RULE, DetectionConfig(seasonal=False, baseline="6h")])
def test_backtest_gives_evaluate_verdicts_on_each_windows_own_history(rule: DetectionConfig) -> None:
    """Row by row, the same score as calling `evaluate` with the history the daemon passes, and an
    alert where an anomalous window comes more than the cooldown after the previous one."""
    values = spiky_series(5, seed=2)
    rows = list(backtest([CountRow((START + i * WINDOW).isoformat(), v) for i, v in enumerate(values)], rule))
    length = history_windows(rule, WINDOW)
    last_anomalous = None
    for index, value in enumerate(values):
        detection = evaluate([float(v) for v in values[max(0, index - length) : index]], value, rule, window=WINDOW)
        assert rows[index].anomaly_score == pytest.approx(detection.score, rel=1e-12, abs=1e-15), index
        moment = START + index * WINDOW
        opens = detection.anomalous and (last_anomalous is None or moment - last_anomalous > rule.cooldown)
        assert rows[index].alert == int(opens), index
        last_anomalous = moment if detection.anomalous else last_anomalous


def test_backtest_alerts_where_the_daemon_alerts(store: Store) -> None:
    """The same counts stored as scored mentions and judged by the engine alert on the same windows."""
    values = spiky_series(5, seed=3)
    add_counts(store, "Acme", START, values, others=1)
    from alerts.dispatch.engine import detect_brand

    detect_brand(store, "Acme", SHORT, START + len(values) * WINDOW + timedelta(minutes=10), ["console"])
    daemon = sorted(
        alert.window_start for alert in store.alerts("Acme") if getattr(alert, "kind", "firing") == "firing"
    )
    rows = backtest([CountRow((START + i * WINDOW).isoformat(), v) for i, v in enumerate(values)], SHORT)
    backtested = [START + i * WINDOW for i, row in enumerate(rows) if row.alert]
    assert len(backtested) >= 3
    assert daemon == backtested


def test_window_length_follows_the_series_spacing() -> None:
    """A 5-minute series is judged per 5 minutes: its seasonal neighbours are 288 rows apart."""
    step = timedelta(minutes=5)
    means = [m for m in daily_means(3, night=1, peak=30) for _ in range(3)]
    values = poisson_series([m / 3 for m in means], seed=5)
    rule = DetectionConfig(baseline="2d")
    rows = list(backtest(read_series(io.StringIO(csv_of(values, step))), rule))
    assert len(rows) == len(values) and not any(row.alert for row in rows)
    quiet_night = 2 * 288 + 4 * 12  # 04:00 on day 3
    values[quiet_night] = 40
    rows = list(backtest(read_series(io.StringIO(csv_of(values, step))), rule))
    assert [i for i, row in enumerate(rows) if row.alert] == [quiet_night]


def three_days_with_a_spike(spike: int) -> list[int]:
    """Three days of 15-minute counts cycling 2, 3, 4, 3, with 60 at row `spike`: the shipped
    defaults need a day of history, then a day of surprises measured against it."""
    values = [(2, 3, 4, 3)[index % 4] for index in range(3 * 96)]
    values[spike] = 60
    return values


def test_backtest_cli_writes_one_row_per_input_row(tmp_path, monkeypatch) -> None:
    series = tmp_path / "series.csv"
    series.write_text(csv_of(three_days_with_a_spike(280)))
    output = tmp_path / "scores.csv"
    monkeypatch.chdir(tmp_path)  # no config file around: the shipped defaults apply
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(output)])
    assert result.exit_code == 0, result.output
    lines = output.read_text().splitlines()
    assert lines[0] == "timestamp,anomaly_score,alert"
    assert len(lines) == 3 * 96 + 1
    scores = [float(line.split(",")[1]) for line in lines[1:]]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert lines[281].endswith(",1") and scores[280] == max(scores)
    assert sum(line.endswith(",1") for line in lines[1:]) == 1


def test_backtest_cli_reports_a_bad_series(tmp_path) -> None:
    series = tmp_path / "series.csv"
    series.write_text("timestamp,value\n2026-11-02 00:00:00,3\n2026-11-02 00:05:00,many\n")
    result = CliRunner().invoke(main, ["backtest", "--series", str(series)])
    assert result.exit_code == 2
    assert "line 3: value ['many'] is not a number" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("time,count\n1,2\n", "line 1: expected header 'timestamp,value'"),
        ("timestamp,value\n2026-11-02 00:00:00,lots\n", "line 2: value ['lots'] is not a number"),
        ("timestamp,value\n2026-11-02 00:00:00,-4\n", "line 2: value must be a non-negative count"),
        ("timestamp,value\nyesterday,4\n", "line 2: timestamp 'yesterday' is not an ISO date-time"),
    ],
)
def test_bad_series_names_the_line(text: str, message: str) -> None:
    with pytest.raises(SeriesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_series(io.StringIO(text), "s.csv")


def test_a_spreadsheet_export_with_a_byte_order_mark_and_crlf_reads(tmp_path) -> None:
    series = tmp_path / "series.csv"
    series.write_bytes(b"\xef\xbb\xbf" + csv_of(three_days_with_a_spike(280)).replace("\n", "\r\n").encode())
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--defaults"])
    assert result.exit_code == 0, result.output
    assert "288 windows of 0:15:00, 1 alert: 2026-09-09 22:00:00" in result.stderr


def test_scores_are_finite_and_bounded_on_real_shaped_data() -> None:
    values = spiky_series(4, seed=9)
    scores = np.array([row.anomaly_score for row in backtest(read_series(io.StringIO(csv_of(values))), SHORT)])
    assert np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()


def test_backtest_can_use_one_rules_settings(make_config) -> None:
    config = make_config(rules=[{"name": "loud", "false_alarms": "1/day", "baseline": "2d"}])
    assert rule_settings(config, None) == config.detection
    loud = rule_settings(config, "loud")
    assert loud.false_alarms == "1/day" and loud.baseline == timedelta(days=2)
    with pytest.raises(SeriesError, match="no enabled rule named 'quiet' in the config \\(known: loud\\)"):
        rule_settings(config, "quiet")


def test_backtest_cli_summarises_on_stderr(tmp_path, monkeypatch) -> None:
    series = tmp_path / "series.csv"
    series.write_text(csv_of(three_days_with_a_spike(280)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "backtest: 288 windows of 0:15:00, 1 alert: 2026-09-09 22:00:00" in result.stderr
    five_minute_rows = [count for value in three_days_with_a_spike(280) for count in (value, 0, 0)]
    series.write_text(csv_of(five_minute_rows, timedelta(minutes=5)))
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(tmp_path / "out.csv")])
    assert "backtest: 864 rows of 0:05:00 in windows of 0:15:00, 1 alert: 2026-09-09 22:00:00" in result.stderr


def without_rows(values: list[int], dropped: set[int], step: timedelta = WINDOW) -> str:
    """`csv_of(values)` with the rows at `dropped` left out."""
    lines = csv_of(values, step).splitlines()
    return "\n".join(line for index, line in enumerate(lines) if index - 1 not in dropped) + "\n"


@pytest.mark.parametrize("rows_per_window", [1, 3])
def test_rows_left_out_count_as_zero(rows_per_window: int) -> None:
    """Exports leave out windows without mentions, and a collection gap leaves none: the rows
    there are judged, alerted and resolved as if written with 0, the daemon's count of a window
    without mentions, and every message still reaches the output (on the next row)."""
    step = WINDOW / rows_per_window
    values = [count for value in spiky_series(5, seed=4) for count in (value, *[0] * (rows_per_window - 1))]
    # A source down for 7.5 hours, as an incident resolves.
    gap = set(range(rows_per_window * (3 * 96 + 14), rows_per_window * (3 * 96 + 44)))
    dropped = gap | {index for index, value in enumerate(values) if value == 0 and index % 3}
    written = [0 if index in dropped else value for index, value in enumerate(values)]
    full = list(replay(read_series(io.StringIO(csv_of(written, step))), SHORT))
    sparse = list(replay(read_series(io.StringIO(without_rows(values, dropped, step))), SHORT))
    assert [window.row for window in sparse] == [window.row for index, window in enumerate(full) if index not in dropped]
    assert [message for window in sparse for message in window.messages] == [
        message for window in full for message in window.messages
    ]
    kinds = [message.kind for window in full for message in window.messages]
    assert kinds.count("firing") >= 2 and "resolved" in kinds
    assert any(message.kind == "resolved" for index in dropped for message in full[index].messages)


def test_the_cli_says_how_many_rows_were_left_out(tmp_path, monkeypatch) -> None:
    series = tmp_path / "series.csv"
    series.write_text(without_rows(three_days_with_a_spike(280), {5, 6, 7, 100}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "backtest: 284 windows of 0:15:00 (4 intervals without a row counted as 0), 1 alert: 2026-09-09 22:00:00" in result.stderr
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 1 + 284


def test_a_row_off_the_series_grid_is_an_error_naming_it(tmp_path) -> None:
    """Seasonal neighbours are found by counting intervals, so a row between two would shift them:
    refuse it, clearly."""
    series = tmp_path / "series.csv"
    lines = csv_of([2, 3, 2, 1, 3, 2]).splitlines()
    lines[4] = "2026-09-07 00:50:00,1"
    series.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["backtest", "--series", str(series)])
    assert result.exit_code == 2
    assert (
        "line 5: 2026-09-07 00:50:00 is 0:50:00 after the first row, not a whole number of the series' spacing "
        "0:15:00; write one row per window of 0:15:00"
    ) in result.stderr


def test_the_spacing_is_the_most_common_gap_between_rows() -> None:
    times = [START, START + 2 * WINDOW, *(START + index * WINDOW for index in range(3, 10))]
    assert series_interval(times) == WINDOW
    assert series_interval([START, START + WINDOW, START + 3 * WINDOW, START + 4 * WINDOW, START + 6 * WINDOW]) == WINDOW


LOUD_DEMO_CONFIG = BRANDS_AND_DEMO_SOURCE + "\n[detection]\nfalse_alarms = \"1/hour\"\nmin_count = 1\nmin_ratio = 1\nseasonal = false\nbaseline = \"1h\"\n"
"""A config/demo.toml far more sensitive than the shipped defaults, as the demo's is."""


def backtest_in(directory, series, *arguments: str):
    """`listener backtest --series SERIES` run from `directory`: (exit code, stderr, CSV lines)."""
    output = directory / "out.csv"
    result = CliRunner().invoke(main, ["backtest", "--series", str(series), "--output", str(output), *arguments])
    return result.exit_code, result.stderr, output.read_text().splitlines() if output.exists() else []


def test_backtest_from_a_checkout_says_it_uses_the_demo_config(tmp_path, monkeypatch) -> None:
    """Run where a config/demo.toml lies, the backtest names it on stderr and how to avoid it;
    --defaults ignores it and gives exactly what no config at all gives."""
    series = tmp_path / "series.csv"
    series.write_text(csv_of([2, 3, 2, 1, 3, 2, 2, 3, 2, 2, 9, 2, 3, 2, 8, 2]))
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    empty, checkout = tmp_path / "empty", tmp_path / "checkout"
    (checkout / "config").mkdir(parents=True)
    empty.mkdir()
    (checkout / "config" / "demo.toml").write_text(LOUD_DEMO_CONFIG)

    monkeypatch.chdir(empty)
    code, stderr, shipped = backtest_in(empty, series)
    assert code == 0 and "backtest: using the shipped detection and alerting defaults (no config file found)" in stderr

    monkeypatch.chdir(checkout)
    code, stderr, demo = backtest_in(checkout, series)
    assert code == 0 and (
        "backtest: using [detection] and [alerting] from config/demo.toml "
        "(found in the current directory; pass --defaults for the shipped defaults)"
    ) in stderr
    assert demo != shipped  # the demo's settings were really used

    code, stderr, defaults = backtest_in(checkout, series, "--defaults")
    assert code == 0 and "backtest: using the shipped detection and alerting defaults (--defaults)" in stderr
    assert "demo.toml" not in stderr
    assert defaults == shipped


def test_backtest_names_a_config_given_by_option_or_environment(tmp_path, monkeypatch) -> None:
    series = tmp_path / "series.csv"
    series.write_text(csv_of([2, 3, 2, 1, 3, 2]))
    config = tmp_path / "brand.toml"
    config.write_text(LOUD_DEMO_CONFIG + '\n[[rules]]\nname = "loud"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LISTENER_CONFIG", raising=False)
    code, stderr, _ = backtest_in(tmp_path, series, "--config", str(config), "--rule", "loud")
    assert code == 0 and f"backtest: using rule 'loud' and [alerting] from {config}\n" in stderr
    monkeypatch.setenv("LISTENER_CONFIG", str(config))
    code, stderr, _ = backtest_in(tmp_path, series)
    assert code == 0 and (
        f"backtest: using [detection] and [alerting] from {config} ($LISTENER_CONFIG; pass --defaults for the shipped defaults)"
    ) in stderr


def test_backtest_defaults_cannot_be_combined_with_a_config_or_rule(tmp_path) -> None:
    series = tmp_path / "series.csv"
    series.write_text(csv_of([2, 3, 2]))
    for extra in (["--config", "x.toml"], ["--rule", "loud"]):
        code, stderr, _ = backtest_in(tmp_path, series, "--defaults", *extra)
        assert code == 2 and "--defaults ignores every config file; it cannot be combined with --config or --rule" in stderr

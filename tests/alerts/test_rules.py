"""Alert rules: config validation, defaults from [detection], metrics, splits and quiet hours."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from alerts.detect.detector import baseline_windows
from alerts.detect.rules import Rule, default_rule, judge, judge_from, rules_from_config
from listener.config import ConfigError, DetectionConfig
from listener.core.records import WindowCount
from listener.storage.repository import Store
from tests.conftest import utc
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy, run

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW


def test_without_rules_detection_is_the_single_default_rule(make_config) -> None:
    config = make_config(detection={"min_count": 7})
    (rule,) = rules_from_config(config)
    assert rule == default_rule(config.detection)
    assert rule.name == "negative_spike" and rule.metric == "negative_volume"
    assert rule.detection.min_count == 7


def test_a_rule_overrides_detection_and_inherits_the_rest(make_config) -> None:
    config = make_config(
        detection={"min_count": 7, "false_alarms": "1/day"},
        rules=[
            {"name": "share", "metric": "negative_share", "min_count": 3, "window": "1h", "brands": ["Acme"]},
            {"name": "off", "enabled": False},
        ],
    )
    (rule,) = rules_from_config(config)
    assert (rule.detection.min_count, rule.detection.window, rule.detection.false_alarms) == (3, timedelta(hours=1), "1/day")
    assert rule.applies_to("Acme") and not rule.applies_to("Globex")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"rules": [{"name": "a", "quiet_hours": "22-07"}]}, "rules[0].quiet_hours: invalid quiet hours '22-07'"),
        ({"rules": [{"name": "a", "timezone": "Mars/Olympus"}]}, "rules[0].timezone: unknown time zone 'Mars/Olympus'"),
        ({"rules": [{"name": "a", "metric": "likes"}]}, "rules[0].metric"),
        ({"rules": [{"name": "a", "brands": ["Initech"]}]}, "rules[0].brands: brand 'Initech' is not defined"),
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "rules[1].name: duplicate name 'a'"),
        ({"rules": [{"name": "a", "split_by": ["author"]}]}, "rules[0].split_by[0]: Input should be 'source' or 'language'"),
        ({"alerting": {"repeat_interval": "soon"}}, "alerting.repeat_interval: invalid duration 'soon'"),
    ],
)
def test_bad_rules_are_named_in_the_error(make_config, overrides, problem) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(**overrides)
    assert problem in str(error.value)


def test_quiet_hours_wrap_past_midnight_in_local_time(make_config) -> None:
    config = make_config(rules=[{"name": "night", "quiet_hours": "22:00-07:00", "timezone": "Europe/Berlin"}])
    (rule,) = rules_from_config(config)
    # Berlin is UTC+1 in November.
    assert rule.in_quiet_hours(utc(2026, 11, 3, 21, 0))  # 22:00 local
    assert rule.in_quiet_hours(utc(2026, 11, 3, 5, 59))  # 06:59 local
    assert not rule.in_quiet_hours(utc(2026, 11, 3, 6, 0))  # 07:00 local
    assert not rule.in_quiet_hours(utc(2026, 11, 3, 20, 59))


def test_quiet_hours_record_a_new_incident_and_deliver_it_when_they_end(store: Store) -> None:
    # SPIKE is 2026-11-03 00:00 UTC = 01:00 in Berlin; the first spike window closes in quiet hours.
    quiet = policy(rules=[{"name": "negatives", "quiet_hours": "00:30-01:30", "timezone": "Europe/Berlin"}])
    add_counts(store, "Acme", START, BASELINE + [20, 20])
    (recorded,) = run(store, quiet, SPIKE + WINDOW).alerts
    assert store.due_deliveries(utc(2100, 1, 1)) == []
    ((alert, why),) = store.suppressed_alerts()
    assert alert.key == recorded.key and why == "quiet hours 00:30-01:30 Europe/Berlin"
    # The next firing window closes at 01:30 local: quiet hours are over, the incident is sent.
    (sent,) = run(store, quiet, SPIKE + 2 * WINDOW).alerts
    assert sent.kind == "firing" and sent.window_start == SPIKE + WINDOW
    assert sent.incident_key == recorded.incident_key
    assert [d.notifier for d in store.due_deliveries(utc(2100, 1, 1))] == ["console"]


def test_negative_share_ignores_busy_days_with_the_usual_mix(store: Store) -> None:
    rules = policy(
        rules=[
            {"name": "volume", "metric": "negative_volume", "false_alarms": "1/day"},
            {"name": "share", "metric": "negative_share", "false_alarms": "1/day"},
        ],
        alerting={"group_by": ["brand", "rule"]},
    )
    # A calm day: 2 negative of 20 mentions per window (10%).
    add_counts(store, "Acme", START, [2] * len(BASELINE), others=18)
    add_counts(store, "Acme", SPIKE, [12], others=108, tag="launch")  # 6x the volume, still 10% negative
    add_counts(store, "Acme", SPIKE + 8 * WINDOW, [12], others=8, tag="outage")  # usual volume, 60% negative
    alerts = run(store, rules, SPIKE + 9 * WINDOW).alerts
    # The launch trips the volume rule only; the outage trips the share rule (and continues the
    # volume rule's incident, which sends nothing new).
    assert [(alert.rule, alert.window_start, alert.observed) for alert in alerts] == [
        ("volume", SPIKE, 12),
        ("share", SPIKE + 8 * WINDOW, 12),
    ]
    share = alerts[1]
    assert share.metric == "negative_share" and share.negative_share == pytest.approx(0.6)
    assert share.expected == pytest.approx(2.0)


def test_split_by_source_catches_a_spike_the_total_hides(store: Store) -> None:
    add_counts(store, "Acme", START, [9, 11] * 48 + [10, 10], source="demo", tag="big")
    add_counts(store, "Acme", START, [0, 1] * 48 + [12, 1], source="forum", tag="small")
    whole = run(store, policy(rules=[{"name": "total", "false_alarms": "1/year"}]), SPIKE + 2 * WINDOW).alerts
    assert whole == []  # 22 negative mentions where 10 or 11 are usual
    split = policy(rules=[{"name": "by-source", "split_by": ["source"], "false_alarms": "1/year"}])
    (alert,) = run(store, split, SPIKE + 2 * WINDOW).alerts
    assert alert.rule == "by-source[source=forum]" and alert.observed == 12
    assert alert.top_mentions and {mention.source for mention in alert.top_mentions} == {"forum"}


def test_volume_rule_counts_every_mention(store: Store) -> None:
    volume = policy(rules=[{"name": "volume", "metric": "volume"}])
    add_counts(store, "Acme", START, BASELINE + [0], others=3)
    add_counts(store, "Acme", SPIKE, [0], others=40, other_label="positive", tag="praise")
    (alert,) = run(store, volume, SPIKE + WINDOW).alerts
    assert alert.metric == "volume" and alert.observed == 43


def test_default_detection_config_still_accepted_by_the_engine(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE + [20])
    (alert,) = run(store, DetectionConfig(false_alarms="1/day", seasonal=False, baseline="1d"), SPIKE + WINDOW).alerts
    assert alert.rule == "negative_spike" and alert.kind == "firing"


def test_readme_alerting_example_is_a_valid_config() -> None:
    """The worked example in README's "Alert rules, routing and silences" parses as documented."""
    import re
    import tomllib
    from pathlib import Path

    from alerts.dispatch.engine import policy_from_config
    from listener.config import parse_config
    from tests.conftest import BASE_CONFIG, merge

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Alert rules, routing and silences", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    notifiers = [{"name": name, "type": "console"} for name in ("oncall-email", "team-slack")]
    config = parse_config(merge({**BASE_CONFIG, "notifiers": notifiers}, tomllib.loads(example)), "README.md")
    alert_policy = policy_from_config(config)
    assert [rule.name for rule in alert_policy.rules] == ["negative-spike", "negative-share"]
    assert alert_policy.rules[0].in_quiet_hours(utc(2026, 11, 4, 1)) and alert_policy.grouping.send_resolved


def test_a_rule_added_later_does_not_page_about_old_spikes(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE + [20] + [1, 2] * 8)
    first = run(store, policy(), SPIKE + 17 * WINDOW).alerts
    assert [alert.window_start for alert in first] == [SPIKE]
    add_counts(store, "Acme", SPIKE + 17 * WINDOW, [1, 2, 1], tag="later")
    both = policy(rules=[{"name": "negative_spike"}, {"name": "new-volume", "metric": "volume"}])
    assert run(store, both, SPIKE + 20 * WINDOW).alerts == []
    assert store.detector_state("Acme", "new-volume").evaluated_until == SPIKE + 20 * WINDOW


@pytest.mark.parametrize("metric", ["negative_volume", "volume", "churn_intent", "negative_share"])
def test_judging_windows_together_gives_each_window_s_own_verdict(metric: str) -> None:
    """`judge_from` judges a count metric's windows in one call; every verdict must be the one
    `judge` gives that window against the windows before it, spike, first windows and all."""
    rng = np.random.default_rng(7)
    detection = DetectionConfig(window=timedelta(hours=1), baseline=timedelta(days=2), min_baseline_windows=12)
    rule = Rule("r", metric, detection)
    hours = 24 * 14
    negative = rng.poisson(3, hours)
    negative[200:203] += 40  # an outage's three hours
    counts = [
        WindowCount(START + index * timedelta(hours=1), int(neg + pos + 5), int(neg), 5, int(pos), int(neg // 4))
        for index, (neg, pos) in enumerate(zip(negative, rng.poisson(6, hours)))
    ]
    history = baseline_windows(detection)
    one_by_one = [judge(rule, counts[max(0, index - history) : index], counts[index]) for index in range(len(counts))]
    for first in (0, 1, 150):
        assert judge_from(rule, counts, first) == one_by_one[first:]
    assert any(verdict.anomalous for verdict in one_by_one[200:203])

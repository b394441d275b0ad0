"""`listener alerts test`: one clearly marked test alert straight through one notifier.

It exercises everything a real alert does (credentials, network, rendering of every section,
the chart) so a broken webhook or a wrong SMTP password shows up now, not during an outage. It
bypasses the outbox: the verdict is printed, not retried. Every surface marks it `[TEST]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.notify.notifiers import (
    NOTIFIERS,
    NotifierContext,
    NotifierDisabled,
    PermanentError,
    RetryableError,
)
from alerts.notify.render import TEST_RULE
from listener.config import ListenerConfig
from listener.core.clock import Clock
from listener.core.records import Alert, AlertEvidence, StoredMention, TermGrowth

WINDOW = timedelta(minutes=15)
CALM_SERIES = (3, 2, 4, 3, 5, 2, 3, 4, 3, 2, 3, 5, 4, 3, 2, 3, 4, 3, 6, 3, 2, 4, 3, 5, 3, 4, 2, 3, 4, 9, 17)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str


def build_test_alert(brand: str, now: datetime) -> Alert:
    """A realistic spike with made-up evidence; its window ends now, so each run is a new message."""
    window_end = now.replace(microsecond=0)
    window_start = window_end - WINDOW
    starts = tuple(window_start - WINDOW * back for back in range(len(CALM_SERIES), -1, -1))
    observed = tuple(float(value) for value in CALM_SERIES) + (42.0,)
    mentions = tuple(
        StoredMention(
            id=0,
            source="example",
            external_id=f"test-{number}",
            text=text,
            created_at=window_start + timedelta(minutes=3 * number),
            author=author,
            author_reach=reach,
            url=f"https://social.example/test/{number}",
            language="en",
            likes=12,
            shares=4,
            replies=2,
            brands=(brand,),
        )
        for number, (author, reach, text) in enumerate(
            (
                ("test_user", 12_400, f"This is a test alert from social-listener: no action needed. {brand} is fine."),
                ("another_test", 3_100, "Test mention with <b>markup</b> & <!channel> that must show as plain text."),
            ),
            start=1,
        )
    )
    return Alert(
        brand=brand,
        rule=TEST_RULE,
        window_start=window_start,
        window_end=window_end,
        observed=42,
        expected=3.4,
        negative_share=0.61,
        severity="critical",
        score=0.99999,
        top_mentions=mentions,
        incident_key=f"test:{window_end.isoformat()}",
        evidence=AlertEvidence(
            window_starts=starts,
            observed_series=observed,
            expected_series=(3.4,) * len(starts),
            driving_terms=(TermGrowth("outage", 28, 0.2), TermGrowth("#testalert", 12, 0.0), TermGrowth("refund", 7, 0.4)),
            sources=(("example", 30), ("example-forum", 12)),
            languages=(("en", 38), ("de", 4)),
        ),
    )


def send_test_alert(config: ListenerConfig, receiver: str, clock: Clock) -> Verdict:
    """Build `receiver` as the daemon would (even if `enabled = false`) and send it the test alert."""
    entry = next((notifier for notifier in config.notifiers if notifier.name == receiver), None)
    if entry is None:
        known = ", ".join(notifier.name for notifier in config.notifiers) or "none"
        return Verdict(False, f"error: no notifier named {receiver!r} in the config (known: {known})")
    notifier_type = NOTIFIERS.get(entry.type)
    settings = notifier_type.settings_model.model_validate(entry.settings)
    label = f"{receiver} ({entry.type})"
    try:
        notifier = notifier_type.build(NotifierContext(receiver, settings, clock))
    except NotifierDisabled as reason:
        return Verdict(False, f"FAILED: {label} cannot run: {reason}")
    brand = config.brands[0].name if config.brands else "Example brand"
    try:
        reference = notifier.send(build_test_alert(brand, clock.now()))
    except PermanentError as error:
        return Verdict(False, f"FAILED: {label}: {error} (permanent: fix the configuration)")
    except RetryableError as error:
        return Verdict(False, f"FAILED: {label}: {error} (temporary: the daemon would retry this)")
    except Exception as error:  # a bug or a third-party notifier's own exception: still a verdict, not a traceback
        return Verdict(False, f"FAILED: {label}: unexpected {type(error).__name__}: {error}")
    suffix = f" (reference {reference})" if reference else ""
    return Verdict(True, f"OK: test alert delivered to {label}{suffix}")

"""How many virtual minutes after Acme's outage starts does the demo's first alert come?

Replays the bundled demo data through the real pipeline (demo source, shipped model, SQLite,
`config/demo.toml`'s detection and alerting settings) with a manual clock instead of the demo's
replay clock, so the answer depends on the polling step, not on how fast this machine scores:
every `--step` virtual minutes the demo source is polled and one processing pass runs, exactly
what the daemon does after a poll that stored mentions; from 09:00 to 13:00 on the outage's day
the step is `--fine-step`. Prints every message sent, when (clock time) it was stored, and whether
any alert fell outside the outage (a false alert).

    python bench/demo_first_alert.py [--step 5] [--fine-step 1] [--config config/demo.toml]

`--step 24` is the demo's own pace (one wall second of `listener run` is 24 virtual minutes).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.core.clock import ManualClock  # noqa: E402
from listener.config import load_config  # noqa: E402
from listener.app.daemon import run_once  # noqa: E402
from listener.app.pipeline import Pipeline  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 5, tzinfo=UTC)
OUTAGE = datetime(2026, 11, 4, 10, tzinfo=UTC)
OUTAGE_OVER = datetime(2026, 11, 4, 13, tzinfo=UTC)
"""The demo data's outage is back to baseline by about 13:00 (scripts/make_demo_data.py)."""
FINE_FROM = OUTAGE - timedelta(hours=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "demo.toml")
    parser.add_argument("--step", type=float, default=5.0, help="virtual minutes between polls (default 5)")
    parser.add_argument("--fine-step", type=float, default=1.0, help="the same around the outage (default 1)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)-8s %(message)s")

    with tempfile.TemporaryDirectory() as scratch:
        config = load_config(args.config)
        notifiers = [entry.model_copy(update={"path": f"{scratch}/alerts.jsonl"}) for entry in config.notifiers if entry.type == "console"]
        config = config.model_copy(update={
            "storage": config.storage.model_copy(update={"url": f"sqlite:///{scratch}/demo.db"}),
            "notifiers": notifiers,
        })
        clock = ManualClock(START)
        pipeline = Pipeline(config, clock=clock)
        stored_at: dict[str, datetime] = {}
        while clock.now() < END:
            fine = FINE_FROM <= clock.now() < OUTAGE_OVER
            clock.advance(timedelta(minutes=args.fine_step if fine else args.step))
            run_once(pipeline)
            for alert in pipeline.store.alerts(limit=1000):
                stored_at.setdefault(alert.key, clock.now())
        alerts = sorted(pipeline.store.alerts(limit=1000), key=lambda alert: stored_at[alert.key])

    print(
        f"demo replay ({args.config.name}): a poll and a processing pass every {args.step:g} virtual minutes, "
        f"every {args.fine_step:g} from {FINE_FROM:%H:%M} to {OUTAGE_OVER:%H:%M} on {OUTAGE:%Y-%m-%d}"
    )
    for alert in alerts:
        after = (stored_at[alert.key] - OUTAGE) / timedelta(minutes=1)
        print(
            f"  {alert.kind:8} {alert.brand:6} window {alert.window_start:%m-%d %H:%M}-{alert.window_end:%H:%M} "
            f"observed {alert.observed:3} expected {alert.expected:5.1f} {alert.severity:8} "
            f"stored at clock {stored_at[alert.key]:%m-%d %H:%M} ({after:+.0f} min after the outage started)"
        )
    firing = [alert for alert in alerts if alert.kind == "firing"]
    acme = [alert for alert in firing if alert.brand == "Acme" and OUTAGE <= alert.window_end and alert.window_start < OUTAGE_OVER]
    false_alerts = [alert for alert in firing if alert not in acme]
    if acme:
        minutes = (stored_at[acme[0].key] - OUTAGE) / timedelta(minutes=1)
        print(f"first Acme alert: {minutes:.0f} virtual minutes after the outage started")
    else:
        print("first Acme alert: none (the outage was missed)")
    print(f"false alerts (any other firing message): {len(false_alerts)}")
    return 0 if acme and not false_alerts else 1


if __name__ == "__main__":
    sys.exit(main())

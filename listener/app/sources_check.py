"""`listener sources test`: prove each configured source can reach its platform, before the daemon runs.

Each enabled source is built from config exactly as the daemon builds it and asked for `check`
(one cheap real request) for the first brand it serves. Checks run side by side in daemon threads
with a time limit, so one platform that never answers cannot hang the command. Every outcome is
one row: OK, FAILED (fix the config or credentials), UNAVAILABLE (the platform is down or rate
limiting; try later) or DISABLED.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable, Literal

from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from listener.config import BrandConfig, ListenerConfig, SourceConfig
from listener.config.types import SecretRef
from listener.core.clock import Clock, SystemClock
from listener.sources import (
    COLLECTORS,
    Collector,
    SourceMisconfigured,
    SourceUnavailable,
    build_collector,
)
from listener.sources.base import ReplayCollector

Verdict = Literal["OK", "FAILED", "UNAVAILABLE", "DISABLED"]
Builder = Callable[[SourceConfig, Clock], Collector]
VERDICT_STYLES = {"OK": "green", "FAILED": "bold red", "UNAVAILABLE": "yellow", "DISABLED": "dim"}


@dataclass(frozen=True)
class SourceCheck:
    source: str
    type: str
    brand: str | None
    verdict: Verdict
    message: str


def check_sources(
    config: ListenerConfig,
    only: str | None = None,
    timeout: float = 30.0,
    build: Builder | None = None,
    clock: Clock | None = None,
) -> list[SourceCheck]:
    """Check every configured source (or only the one named), in config order, each built as the
    daemon builds it unless a test passes `build`."""
    if build is None:
        build = partial(build_collector, max_future=config.clock.max_future)
    sources = list(config.sources)
    if only is not None:
        sources = [source for source in sources if source.name == only]
        if not sources:
            raise KeyError(f"source {only!r} is not in the config (known: {', '.join(s.name for s in config.sources)})")
    results: list[SourceCheck | None] = [None] * len(sources)
    threads: list[tuple[int, threading.Thread]] = []
    for index, source in enumerate(sources):
        served = [b for b in config.brands if source.brands is None or b.name in source.brands]
        if not source.enabled:
            results[index] = SourceCheck(source.name, source.type, None, "DISABLED", "enabled = false in config; not checked")
        elif not served:
            results[index] = SourceCheck(source.name, source.type, None, "FAILED", "serves no brand (its brands list is empty)")
        else:
            thread = threading.Thread(
                target=_run_check, args=(results, index, source, served, build, clock or SystemClock()),
                name=f"check-{source.name}", daemon=True,  # a check that hangs must not keep the command alive
            )
            thread.start()
            threads.append((index, thread))
    deadline = time.monotonic() + timeout
    for index, thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))  # they run side by side: one deadline for all
        if results[index] is None:
            source = sources[index]
            results[index] = SourceCheck(
                source.name, source.type, None, "UNAVAILABLE", f"no answer within {timeout:g}s; the platform may be down"
            )
    return [result for result in results if result is not None]


def _run_check(
    results: list[SourceCheck | None], index: int, source: SourceConfig, served: list[BrandConfig], build: Builder,
    clock: Clock,
) -> None:
    """A replay is checked for every brand it serves (it costs no request); a platform for the first."""
    verdict: Verdict
    checked = served[:1]
    try:
        collector = build(source, clock)
        if isinstance(collector, ReplayCollector):
            checked = served
            message, verdict = collector.replay_summary(served), "OK"
        else:
            message, verdict = collector.check(served[0]), "OK"
    except SourceUnavailable as error:
        wait = f" (retry in {error.retry_after:.0f}s)" if error.retry_after else ""
        message, verdict = f"{error}{wait}", "UNAVAILABLE"
    except SourceMisconfigured as error:
        message, verdict = str(error), "FAILED"
    except ValidationError as error:
        message, verdict = f"invalid settings: {error.errors()[0]['msg']}", "FAILED"
    except Exception as error:  # a collector bug is still one row, not a traceback
        message, verdict = f"{type(error).__name__}: {error}", "FAILED"
    brands = ", ".join(brand.name for brand in checked)
    results[index] = SourceCheck(source.name, source.type, brands, verdict, _without_secrets(message, source))


def _without_secrets(message: str, source: SourceConfig) -> str:
    """A platform error might echo a credential back; its value never reaches the terminal."""
    try:
        settings = COLLECTORS.get(source.type).settings_model.model_validate(source.settings)
    except (KeyError, ValidationError):
        return message
    for value in settings.__dict__.values():
        if isinstance(value, SecretRef) and (secret := value.resolve()) and len(secret) >= 4:
            message = message.replace(secret, f"<{value.variable}>")
    return message


def results_table(results: list[SourceCheck]) -> Table:
    table = Table(title="source checks")
    for column in ("source", "type", "brand", "verdict", "message"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            Text(result.source), Text(result.type), Text(result.brand or ""),
            Text(result.verdict, style=VERDICT_STYLES[result.verdict]),
            Text(result.message),  # Text, not markup: platform messages may contain [brackets]
        )
    return table


def exit_status(results: list[SourceCheck]) -> int:
    """0 when every checked source is OK (disabled ones are not checked) and at least one was."""
    checked = [result for result in results if result.verdict != "DISABLED"]
    return 0 if checked and all(result.verdict == "OK" for result in checked) else 1

"""The alert's series as a picture: a Unicode sparkline for chat and text, a PNG chart for email.

The chart shows only numbers, times and the brand from our config, never mention text, so it
needs no escaping; matplotlib's mathtext is switched off anyway so a `$` in a brand name is text.
"""

from __future__ import annotations

import io
import math
from datetime import UTC
from typing import Sequence

from listener.core.records import Alert

SPARK_LEVELS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """`▁▁▂▁█`: one character per value, scaled from zero (or the lowest negative value) to the largest.

    From zero, not from the minimum, so a flat series of 10s does not look like a spike.
    """
    finite = [value if math.isfinite(value) else 0.0 for value in values]
    if not finite:
        return ""
    low, top = min(min(finite), 0.0), max(max(finite), 0.0)
    if top == low:
        return SPARK_LEVELS[0] * len(finite)
    last = len(SPARK_LEVELS) - 1
    return "".join(SPARK_LEVELS[max(0, min(last, round((value - low) / (top - low) * last)))] for value in finite)


def chart_png(alert: Alert, width_px: int = 640, height_px: int = 240) -> bytes | None:
    """The observed series as bars over the expected line, the alert's window in red; None without evidence."""
    evidence = alert.evidence
    if evidence is None or not evidence.observed_series or len(evidence.window_starts) != len(evidence.observed_series):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    dpi = 100
    # Figure, not pyplot: no global state, so charts can be drawn from any thread.
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    starts = [start.astimezone(UTC).replace(tzinfo=None) for start in evidence.window_starts]
    width = (starts[1] - starts[0]) * 0.8 if len(starts) > 1 else (alert.window_end - alert.window_start) * 0.8
    colours = ["#c62828" if start == starts[-1] else "#90a4ae" for start in starts]
    axes.bar(starts, evidence.observed_series, width=width, color=colours, align="edge", label="observed")
    if len(evidence.expected_series) == len(starts):
        axes.step(starts, evidence.expected_series, where="post", color="#1565c0", linewidth=1.5, label="expected")
    axes.set_title(f"{alert.brand}: {alert.metric.replace('_', ' ')} per window (UTC)", fontsize=10, parse_math=False)
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    axes.tick_params(labelsize=8)
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False, loc="upper left")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.12)  # fixed: tight_layout costs ~100 ms
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()

"""Net sentiment falling: judged on the mentions against the brand at the window's volume.

Net sentiment is `listener.core.sentiment.net_sentiment`, 100 * (positive - negative) / scored
mentions, on -100..100. The count judged is the "votes against", (total - positive + negative) / 2: it rises by
one for each point the net sentiment loses per mention, so a fall in net sentiment is a rise in it.
"""

from alerts.metrics.base import Metric
from listener.core.records import WindowCount
from listener.core.sentiment import net_sentiment


def _against(window: WindowCount) -> float:
    return (window.total - window.positive + window.negative) / (2 * window.total) if window.total else 0.0


def _chart(window: WindowCount) -> float:
    value = net_sentiment(window.positive, window.neutral, window.negative)
    return 0.0 if value is None else value


PLUGIN = Metric(
    name="net_sentiment",
    noun="mentions against (for the volume)",
    description="net sentiment falling, judged on the mentions against the brand at the window's volume",
    share=_against,
    chart=_chart,
)

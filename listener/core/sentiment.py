"""Net sentiment, the one number marketing reads for "how do people feel about us", and the
negative share, the one an alert's reader compares with the usual.

Like NPS, it is the share of positive mentions minus the share of negative ones, in points from
-100 (all negative) to +100 (all positive); neutral mentions count like NPS's passives, in the
total but on neither side. The dashboard, the API, exports, digests, `listener history` and the
`net_sentiment` alert metric all use this function, so they agree on every window.
"""

from __future__ import annotations


def net_sentiment(positive: int, neutral: int, negative: int) -> float | None:
    """`100 * (positive - negative) / scored`, rounded to 0.1 point; None without scored mentions.

    Unscored mentions are left out: they have no sentiment yet, and counting them would pull the
    number towards 0 while the model catches up.
    """
    scored = positive + neutral + negative
    return round(100 * (positive - negative) / scored, 1) if scored else None


def negative_share(positive: int, neutral: int, negative: int) -> float | None:
    """`negative / scored`, a fraction; None without scored mentions (unscored ones are left
    out, as for net sentiment). Digests, alert messages and the `negative_share` alert metric
    all use this function."""
    scored = positive + neutral + negative
    return negative / scored if scored else None

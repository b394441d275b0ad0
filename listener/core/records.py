"""Plain data records passed between pipeline stages.

Stages exchange these frozen dataclasses rather than ORM rows, so that a collector, a classifier
or a notifier can be written and tested without a database session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Mention:
    """One post, comment or article as a collector found it, before scoring."""

    source: str
    external_id: str
    text: str
    created_at: datetime
    author: str | None = None
    author_reach: int | None = None
    url: str | None = None
    language: str | None = None
    likes: int = 0
    shares: int = 0
    replies: int = 0
    undated: bool = False
    """The platform gave no time: `created_at` is when the mention was first collected. Such
    mentions are stored and shown, but not counted in spike windows (see the alert rules)."""
    rating: int | None = None
    """Stars from 1 to 5, as a review site gives them; None for posts, which have no rating."""
    about_brand: bool = False
    """The collector found it where only this brand is discussed (reviews of the brand's own app),
    so it is the brand's even when its text never names it: the pipeline skips brand matching."""
    conversation_id: str | None = None
    """The platform's thread: X conversation, Reddit post (t3_), Bluesky root URI, Discourse topic."""
    in_reply_to: str | None = None
    """External id of the post this one answers, when the platform says (response-time metrics)."""


@dataclass(frozen=True)
class Sentiment:
    """A classifier's verdict on one text: the label, a signed score and how sure it is."""

    label: SentimentLabel
    score: float
    confidence: float

    def as_json(self) -> dict[str, object]:
        return {"label": self.label, "score": round(self.score, 4), "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class StoredMention:
    """A mention as read back from storage, with its brands and (once scored) its sentiment."""

    id: int
    source: str
    external_id: str
    text: str
    created_at: datetime
    author: str | None
    author_reach: int | None
    url: str | None
    language: str | None
    likes: int
    shares: int
    replies: int
    brands: tuple[str, ...] = ()
    sentiment: Sentiment | None = None
    model: str | None = None
    rating: int | None = None
    """Stars from 1 to 5 for a review; None for every other mention."""


AlertKind = Literal["firing", "escalation", "repeat", "resolved"]
ShownMentions = Literal["negative", "churn_intent", "all"]
"""Which of a window's mentions an alert shows as its top mentions (`Metric.shown`)."""


@dataclass(frozen=True)
class TermGrowth:
    """A term or hashtag that grew in negative mentions during a spike: why it spiked."""

    term: str
    spike_count: int
    baseline_rate: float
    """Expected occurrences in a window of the spike's length, from the baseline period."""


@dataclass(frozen=True)
class Story:
    """One group of a spike's negative mentions that say the same thing (`listener.core.themes`):
    named by its most distinctive terms, with how many mentions tell it."""

    name: str
    mentions: int
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class VolumeContext:
    """All of an alert window's mentions beside their usual count, and the usual negative share.

    A count of negatives alone cannot tell complaints from a launch, a viral post or news: those
    bring more mentions of every kind, and the negatives rise with them at the usual share. These
    numbers say which, at a glance.
    """

    mentions: int
    usual_mentions: float
    """The median of the brand's mentions in the windows at the same time of day on the
    baseline's earlier days (without a day of history, in the baseline's windows)."""
    usual_negative_share: float | None
    """Negative mentions over scored mentions in the baseline's windows (None: none there)."""


@dataclass(frozen=True)
class AlertEvidence:
    """What staff need to judge an alert at a glance, beyond the headline numbers."""

    window_starts: tuple[datetime, ...] = ()
    observed_series: tuple[float, ...] = ()
    """The watched metric per window leading up to and including the alert window (for a chart)."""
    expected_series: tuple[float, ...] = ()
    driving_terms: tuple[TermGrowth, ...] = ()
    sources: tuple[tuple[str, int], ...] = ()
    """(source, negative mentions in the alert window), largest first."""
    languages: tuple[tuple[str, int], ...] = ()
    stories: tuple[Story, ...] = ()
    """The window's negative mentions grouped by what they say, largest first."""
    stories_from: str | None = None
    """What the mentions were grouped by: the sentiment model's embeddings, or TF-IDF of their
    terms where the model gives none (`alerts/dispatch/evidence.py` says which)."""
    counted_until: datetime | None = None
    """Set when the alert window was judged before it was complete (an early alert): the numbers
    are the mentions counted up to this time, and the window may still be filling."""
    volume: VolumeContext | None = None
    """All mentions and the usual negative share (None for a volume alert, whose headline is that)."""


@dataclass(frozen=True)
class Alert:
    """A detected negative spike for one brand and window, with the evidence staff need to act."""

    brand: str
    rule: str
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    negative_share: float
    severity: Literal["warning", "critical"]
    score: float
    top_mentions: tuple[StoredMention, ...] = field(default_factory=tuple)
    id: int | None = None
    created_at: datetime | None = None
    kind: AlertKind = "firing"
    """firing: a new incident; repeat: still going after repeat_interval; resolved: it ended."""
    incident_key: str | None = None
    """Shared by every message of one incident, so notifiers can thread them."""
    metric: str = "negative_volume"
    evidence: AlertEvidence | None = None

    @property
    def key(self) -> str:
        """Stable identity of the alert, used for idempotent storage and message threading.

        A follow-up (repeat, resolved) may carry the numbers of a window that also opened an
        incident, so its kind is part of its identity; a firing alert's key is unchanged."""
        suffix = "" if self.kind == "firing" else f":{self.kind}"
        return f"{self.brand}:{self.rule}:{self.window_start.isoformat()}{suffix}"


# -- the pipeline's state, as storage hands it to the stages -------------------------------


@dataclass(frozen=True)
class MentionToScore:
    """What scoring needs of a stored mention: its text, and the platform's language tag if any."""

    id: int
    text: str
    language: str | None


@dataclass(frozen=True)
class WindowCount:
    start: datetime
    total: int
    negative: int
    neutral: int
    positive: int
    churn_intent: int = 0
    """Mentions whose author says they are leaving the brand (`classifiers.churn`)."""


@dataclass(frozen=True)
class DetectorState:
    evaluated_until: datetime
    incident_last_anomalous: datetime | None


@dataclass(frozen=True)
class Delivery:
    id: int
    notifier: str
    attempts: int
    alert: Alert


@dataclass(frozen=True)
class DeliveryStatus:
    alert_key: str
    brand: str
    window_start: datetime
    severity: str
    observed: int
    expected: float
    notifier: str
    status: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    kind: str = "firing"
    next_attempt_at: datetime | None = None
    """When a pending delivery is tried next (None once delivered or dead)."""
    reference: str | None = None
    alert_id: int | None = None
    """The stored message's id (`listener alerts show ID`)."""


@dataclass(frozen=True)
class IncidentState:
    """One alert group's incident, as alerts/detect/incidents.py tracks it (times are window times)."""

    key: str
    brand: str
    group_key: str
    status: Literal["open", "resolved"]
    rule: str
    metric: str
    severity: str
    started_at: datetime
    last_firing: datetime
    last_message_at: datetime | None = None
    receivers: tuple[str, ...] = ()
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class QueuedMessage:
    """An alert message to record, and the notifiers to queue it for (none when suppressed)."""

    alert: Alert
    notifiers: tuple[str, ...] = ()
    suppressed: str | None = None


@dataclass(frozen=True)
class JudgingStall:
    """A brand judged without some of its mentions, because they stayed unscored past `source_wait`."""

    brand: str
    oldest_unscored: datetime
    since: datetime
    """Daemon-clock time at which detection went on without them."""


@dataclass(frozen=True)
class Silence:
    id: int
    brand: str | None
    rule: str | None
    reason: str
    created_by: str
    created_at: datetime
    starts_at: datetime
    ends_at: datetime

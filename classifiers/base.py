"""The classifier interface and the batching every model shares.

Every runtime (the shipped head on ONNX Runtime or torch, any Hugging Face classifier) reduces to
"turn a batch of texts into an array"; the ordering, cleaning and probability-to-verdict steps live
here once, so that they cannot drift apart in how they treat odd input. This module needs numpy
only: the ONNX runtime must be able to use it without importing torch.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import emoji
import numpy as np

from listener.core.records import SENTIMENT_LABELS, Sentiment


class SentimentClassifier(Protocol):
    """Scores texts. `version` is stored with every scored mention, so scores from different models
    are never mixed up when a user switches models."""

    version: str

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        """One verdict per text, in the order given."""
        ...


class ModelLoadError(Exception):
    """A model that cannot be used; the message says what to change in the config."""


_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_SKIN_TONE = re.compile("[\U0001F3FB-\U0001F3FF]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def clean_text(text: str) -> str:
    """The text a model is shown: lone surrogates replaced, HTML entities decoded, every @handle
    made `@user`, every link `http` and every emoji its name (😡 -> "enraged face").

    Text decoded with `surrogateescape` or cut out of JSON mid-pair carries lone surrogates, which
    the Rust tokenizers refuse to encode; one such mention must not fail a whole batch (a pair split
    across two code points is joined back into its character). Handles and links carry no
    sentiment but take many word pieces and vary endlessly; tweet training data (UMSAB, SemEval,
    TweetEval) masks them exactly so, and so does Cardiff's preprocessing for their tweet models.
    It also lets the verdict cache treat a retweet by anyone as the same text. Emoji are [UNK] to
    an English WordPiece vocabulary, yet often all the sentiment a post has; their English names
    are words the model knows. Skin tones are dropped first: they name no feeling.
    """
    text = html.unescape(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    text = _URL.sub("http", _HANDLE.sub("@user", text))
    return emoji.replace_emoji(_SKIN_TONE.sub("", text), replace=_emoji_name)


def _emoji_name(_: str, data: dict) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def run_in_length_sorted_batches(
    texts: Sequence[str],
    batch_size: int,
    forward: Callable[[list[str]], np.ndarray],
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Apply `forward` to batches of similar-length texts and return its rows in input order.

    Padding is to the longest text in a batch, so mixing a one-word reply with a long thread costs
    the whole batch the long thread's length; sorting first keeps batches tight. Torch callers
    wrap the call in inference mode themselves. `on_batch` receives each batch's size, for
    progress bars.
    """
    cleaned = [clean_text(text) for text in texts]
    order = sorted(range(len(cleaned)), key=lambda index: len(cleaned[index]))
    rows: list[np.ndarray] = []
    for start in range(0, len(order), batch_size):
        batch = [cleaned[index] for index in order[start : start + batch_size]]
        rows.append(np.asarray(forward(batch), dtype=np.float32))
        if on_batch is not None:
            on_batch(len(batch))
    if not rows:
        return np.empty((0, 0), dtype=np.float32)
    sorted_rows = np.concatenate(rows)
    restored = np.empty_like(sorted_rows)
    restored[np.asarray(order)] = sorted_rows
    return restored


def sentiments_from_probabilities(probabilities: np.ndarray) -> list[Sentiment]:
    """Turn (n, 3) probabilities, columns in SENTIMENT_LABELS order, into verdicts.

    score = p(positive) - p(negative), so a confident neutral scores near 0 and a split vote between
    negative and positive does too; confidence is the chosen label's probability.
    """
    negative = SENTIMENT_LABELS.index("negative")
    positive = SENTIMENT_LABELS.index("positive")
    verdicts = []
    for row in probabilities.tolist():
        chosen = max(range(len(SENTIMENT_LABELS)), key=row.__getitem__)
        score = min(1.0, max(-1.0, row[positive] - row[negative]))
        confidence = min(1.0, max(0.0, row[chosen]))
        verdicts.append(Sentiment(label=SENTIMENT_LABELS[chosen], score=score, confidence=confidence))
    return verdicts


@runtime_checkable
class TextEmbedder(Protocol):
    """A classifier that can also return the vector its head reads: the model's own embedding of
    a text. Alert evidence groups a spike's mentions by it (`listener.core.themes`), so naming the
    stories in a spike needs no second model. Not every runtime has one (a Hugging Face classifier
    is used as a black box), so callers check with isinstance and fall back to TF-IDF."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in the order given."""
        ...


def embedder_of(classifier: SentimentClassifier) -> Callable[[Sequence[str]], np.ndarray] | None:
    """The classifier's `embed`, looking through the verdict cache; None for a runtime without one."""
    model = getattr(classifier, "inner", classifier)  # classifiers.cache.CachingClassifier wraps the model
    return model.embed if isinstance(model, TextEmbedder) else None

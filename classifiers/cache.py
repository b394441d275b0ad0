"""Remember verdicts for texts seen recently.

Retweets, quote chains and copy-paste campaigns repeat the same words verbatim, often hundreds of
times in one incident: exactly when scoring must keep up. An LRU keyed by the normalised text
scores each distinct text once, and texts repeated within one batch are scored once too.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

from classifiers.base import SentimentClassifier, clean_text
from listener.core.records import Sentiment


def normalise_text(text: str) -> str:
    """The text the model is shown: lone surrogates replaced, whitespace runs made one space.

    Tokenizers split on whitespace, so collapsing it changes no token; the model scores this
    normalised text, so a cached verdict is exactly the verdict the model would give.
    """
    return " ".join(clean_text(text).split())


class CachingClassifier:
    """Wraps a classifier with an LRU of its verdicts, `size` distinct texts at most."""

    def __init__(self, inner: SentimentClassifier, size: int):
        self.inner = inner
        self.version = inner.version
        self._size = size
        self._verdicts: OrderedDict[bytes, Sentiment] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        normalised = [normalise_text(text) for text in texts]
        # Keyed by digest: a long post held as a key would cost its whole text per cached entry.
        keys = [hashlib.blake2b(text.encode(), digest_size=16).digest() for text in normalised]
        text_of = dict(zip(keys, normalised))
        found: dict[bytes, Sentiment] = {}
        for key in keys:
            if key in self._verdicts:
                self._verdicts.move_to_end(key)
                found[key] = self._verdicts[key]
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        for key, verdict in zip(missing, self.inner.classify([text_of[key] for key in missing])):
            found[key] = verdict
            self._remember(key, verdict)
        return [found[key] for key in keys]

    def _remember(self, key: bytes, verdict: Sentiment) -> None:
        if self._size <= 0:
            return
        self._verdicts[key] = verdict
        if len(self._verdicts) > self._size:
            self._verdicts.popitem(last=False)

"""The sentiment model's own embeddings (the pooled vector its head reads), for an alert's stories:
the same on ONNX Runtime and torch, independent of batching, and absent where a runtime has none."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from classifiers import SentimentClassifier, load_classifier
from classifiers.base import embedder_of
from classifiers.cache import CachingClassifier
from listener.config import ModelConfig
from listener.core.records import Sentiment

TEXTS = ["acme is down again, 502 everywhere", "charged twice for one invoice", "", "🔥", "لا يعمل التطبيق"]


@pytest.fixture(scope="module")
def onnx_classifier() -> SentimentClassifier:
    return load_classifier(ModelConfig(batch_size=2, cache_size=0))


def test_onnx_embeddings_are_the_pooled_vectors_torch_computes(onnx_classifier: SentimentClassifier) -> None:
    embed = embedder_of(onnx_classifier)
    assert embed is not None
    vectors = embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and np.isfinite(vectors).all()
    reference = embedder_of(load_classifier(ModelConfig(batch_size=2, cache_size=0, runtime="torch")))
    assert reference is not None
    assert np.allclose(vectors, reference(TEXTS), atol=1e-3)


def test_a_texts_embedding_does_not_depend_on_its_batch(onnx_classifier: SentimentClassifier) -> None:
    embed = embedder_of(onnx_classifier)
    assert embed is not None
    together = embed(TEXTS)
    alone = np.vstack([embed([text]) for text in TEXTS])
    assert np.allclose(together, alone, atol=1e-4)
    assert not np.allclose(together[0], together[1], atol=1e-2)  # different texts, different vectors


def test_the_verdict_cache_is_looked_through() -> None:
    cached = load_classifier(ModelConfig(cache_size=10))
    assert isinstance(cached, CachingClassifier)
    embed = embedder_of(cached)
    assert embed is not None and embed(["hello"]).shape == (1, 384)


def test_a_runtime_without_embeddings_has_none() -> None:
    class LabelsOnly:
        version = "labels-only"

        def classify(self, texts: Sequence[str]) -> list[Sentiment]:
            return [Sentiment("neutral", 0.0, 1.0) for _ in texts]

    assert embedder_of(LabelsOnly()) is None
    assert embedder_of(CachingClassifier(LabelsOnly(), 10)) is None

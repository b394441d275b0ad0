"""Sentiment classifiers: the shipped offline default, or any Hugging Face classifier on disk.

Model libraries are imported only when a model is loaded, so commands that never score text
(`listener check-config`, say) start without paying for torch and transformers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listener.config import ModelConfig

if TYPE_CHECKING:
    from classifiers.base import ModelLoadError, SentimentClassifier

__all__ = ["ModelLoadError", "SentimentClassifier", "load_classifier"]


def load_classifier(config: ModelConfig) -> SentimentClassifier:
    """'default' gives the shipped default model, a shipped model's version (e.g. 'e5-small-lora-v2',
    'minilm-l6-lora-v1') that model; any other name is a Hugging Face model to load from disk.

    The default runs on ONNX Runtime unless `runtime = "torch"`; every model is wrapped in an LRU
    of recent verdicts (`cache_size`). Raises ModelLoadError with a message that says what to
    change in the config.
    """
    from classifiers.cache import CachingClassifier
    from classifiers.shipped import DEFAULT_VERSION, SHIPPED_MODELS

    classifier: SentimentClassifier
    shipped = SHIPPED_MODELS.get(DEFAULT_VERSION if config.name == "default" else config.name)
    if shipped is not None and config.runtime == "onnx":
        from classifiers.onnx_head import OnnxHeadClassifier

        classifier = OnnxHeadClassifier(config, version=shipped.version)
    else:
        _configure_torch(config)
        if shipped is not None and shipped.encoder == "e5":
            from classifiers.e5 import E5Classifier

            classifier = E5Classifier(config, shipped)
        elif shipped is not None:
            from classifiers.minilm import MiniLMClassifier

            classifier = MiniLMClassifier(config)
        else:
            from classifiers.huggingface import HuggingFaceClassifier

            classifier = HuggingFaceClassifier(config)
    return CachingClassifier(classifier, config.cache_size) if config.cache_size else classifier


def _configure_torch(config: ModelConfig) -> None:
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a daemon's log is no place for a progress bar
    # oneDNN caches kernels per input shape; with every batch a new (size, length) shape, its
    # cache grew the daemon by 200+ MB over the demo, for no measurable speed-up on CPU.
    torch.backends.mkldnn.enabled = False
    if config.threads:
        torch.set_num_threads(config.threads)


def __getattr__(name: str) -> object:
    """Export the interface lazily; classifiers.base imports torch."""
    if name in ("ModelLoadError", "SentimentClassifier"):
        from classifiers import base

        return getattr(base, name)
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")

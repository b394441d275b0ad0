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
    """'default' gives the shipped fine-tuned MiniLM; any other name is a Hugging Face model to load from disk.

    The default runs on ONNX Runtime unless `runtime = "torch"`; every model is wrapped in an LRU
    of recent verdicts (`cache_size`). Raises ModelLoadError with a message that says what to
    change in the config.
    """
    from classifiers.cache import CachingClassifier

    classifier: SentimentClassifier
    if config.name == "default" and config.runtime == "onnx":
        from classifiers.onnx_head import OnnxHeadClassifier

        classifier = OnnxHeadClassifier(config)
    else:
        _configure_torch(config)
        if config.name == "default":
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

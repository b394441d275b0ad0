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
    """'default' gives the shipped MiniLM head; any other name is a Hugging Face model to load from disk.

    Raises ModelLoadError with a message that says what to change in the config.
    """
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a daemon's log is no place for a progress bar
    # oneDNN caches kernels per input shape; with every batch a new (size, length) shape, its
    # cache grew the daemon by 200+ MB over the demo, for no measurable speed-up on CPU.
    torch.backends.mkldnn.enabled = False
    if config.name == "default":
        from classifiers.embedding_head import EmbeddingHeadClassifier

        return EmbeddingHeadClassifier(config)
    from classifiers.huggingface import HuggingFaceClassifier

    return HuggingFaceClassifier(config)


def __getattr__(name: str) -> object:
    """Export the interface lazily; classifiers.base imports torch."""
    if name in ("ModelLoadError", "SentimentClassifier"):
        from classifiers import base

        return getattr(base, name)
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")

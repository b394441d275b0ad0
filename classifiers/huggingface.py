"""Any Hugging Face sequence-classification model, by hub name or local folder.

Models are only ever loaded from disk (`local_files_only=True`): the daemon must start the same way
with or without a network, and a model that silently downloads gigabytes on first start is a
surprise nobody wants on a self-hosted box.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from classifiers.base import ModelLoadError, run_in_length_sorted_batches, sentiments_from_probabilities
from listener.config import ModelConfig
from listener.core.records import SENTIMENT_LABELS, Sentiment

LABEL_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}


class HuggingFaceClassifier:
    """Scores with a sequence-classification model, folding its labels onto negative/neutral/positive."""

    def __init__(self, config: ModelConfig):
        self.version = f"hf:{config.name}"
        self._batch_size = config.batch_size
        self._model, self._tokenizer = _load(config.name)
        id2label = {int(index): str(name) for index, name in (self._model.config.id2label or {}).items()}
        self._label_matrix = label_matrix(config.name, id2label, config.labels)
        self._max_length = min(config.max_length, self._tokenizer.model_max_length)

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        def forward(batch: list[str]) -> torch.Tensor:
            encoded = self._tokenizer(
                batch, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
            )
            logits = self._model(**encoded).logits.float()
            return (logits.softmax(dim=-1) @ self._label_matrix).numpy()

        with torch.inference_mode():
            probabilities = run_in_length_sorted_batches(texts, self._batch_size, forward)
        return sentiments_from_probabilities(probabilities)


def _load(name: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load model and tokenizer from a folder or the local Hugging Face cache, or explain how to get them."""
    folder = Path(name).expanduser()
    is_folder = folder.is_dir()
    if not is_folder and (name.startswith((".", "/", "~")) or folder.is_absolute()):
        raise ModelLoadError(f"model folder {name!r} does not exist: check model.name in the config file")
    source = str(folder) if is_folder else name
    try:
        model, loading_info = AutoModelForSequenceClassification.from_pretrained(
            source, local_files_only=True, output_loading_info=True
        )
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    except OSError as error:
        if is_folder:
            raise ModelLoadError(f"model folder {name!r} cannot be loaded: {error}") from error
        local_dir = f"./models/{name.rstrip('/').split('/')[-1]}"
        raise ModelLoadError(
            f"model {name!r} cannot be loaded offline: no local copy was found. Download it where there "
            f"is internet (e.g. `hf download {name} --local-dir {local_dir}`) and set model.name to that folder."
        ) from error
    except (ValueError, KeyError) as error:
        raise ModelLoadError(f"model {name!r} is not a model transformers can load: {error}") from error
    if loading_info["missing_keys"]:
        # A base encoder loads "successfully" with a randomly initialised head: refuse, or every
        # score it produces would be noise.
        raise ModelLoadError(
            f"model {name!r} is not a trained sequence-classification model: its checkpoint lacks "
            f"{', '.join(sorted(loading_info['missing_keys']))}. "
            "Choose a sentiment classifier, or set model.name = 'default'."
        )
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token  # GPT-style classifiers ship without a pad token
        model.config.pad_token_id = tokenizer.pad_token_id
    return model.eval(), tokenizer


def label_matrix(name: str, id2label: Mapping[int, str], configured: Mapping[str, str]) -> torch.Tensor:
    """A (model labels, 3) 0/1 matrix that sums the model's probabilities into SENTIMENT_LABELS columns.

    Summing lets several model labels share one sentiment (a 5-star model maps 1-2 stars to
    negative); a sentiment no label maps to (neutral, for a 2-label model) keeps probability 0.
    Labels are matched by name because label order differs between models and is easy to get wrong.
    """
    model_labels = [id2label[index] for index in sorted(id2label)]
    listed = ", ".join(model_labels)
    if configured:
        unknown = [label for label in configured if label not in model_labels]
        if unknown:
            raise ModelLoadError(
                f"model.labels names {', '.join(map(repr, unknown))}, which model {name!r} does not have "
                f"(its labels are: {listed})"
            )
        unmapped = [label for label in model_labels if label not in configured]
        if unmapped:
            raise ModelLoadError(
                f"model.labels does not say what {', '.join(map(repr, unmapped))} of model {name!r} means: "
                f"map every one of its labels ({listed}) to negative, neutral or positive"
            )
        targets = [configured[label] for label in model_labels]
    elif all(label.strip().lower() in LABEL_ALIASES for label in model_labels):
        targets = [LABEL_ALIASES[label.strip().lower()] for label in model_labels]
    else:
        example = "\n".join(f'{json.dumps(label)} = "..."' for label in model_labels)
        raise ModelLoadError(
            f"model {name!r} names its labels {listed}, which cannot be matched to negative/neutral/positive "
            f"automatically. Add to the config file which of them means what (see the model's card), e.g.:\n"
            f"[model.labels]\n{example}\n"
            f'with each "..." replaced by negative, neutral or positive.'
        )
    if "negative" not in targets or "positive" not in targets:
        raise ModelLoadError(
            f"model {name!r}: its labels ({listed}) must include one meaning negative and one meaning positive, "
            f"as mapped they mean {', '.join(targets)}"
        )
    matrix = torch.zeros(len(model_labels), len(SENTIMENT_LABELS))
    for row, target in enumerate(targets):
        matrix[row, SENTIMENT_LABELS.index(target)] = 1.0
    return matrix

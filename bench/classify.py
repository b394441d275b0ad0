"""Throughput and peak memory of a shipped sentiment model, each speed lever side by side.

    python bench/classify.py [DATA_DIR] [--model default|e5-small-lora-v2|minilm-l6-lora-v1] [--limit 6000]

DATA_DIR defaults to ../shared/data/umsab: real tweets in eight languages (train + val splits,
interleaved so every slice is mixed). Each measurement runs in its own child process pinned to two
CPU cores, so peak RSS is that runtime's alone (a torch import is not charged to ONNX Runtime) and
its throughput is not helped by cores a deployment would not have.

The baseline is what most users write: `transformers.pipeline("text-classification")` called one
text at a time, on the same model (encoder + head wrapped as one Hugging Face model, so its labels
are exactly ours). It is measured on a sample and its throughput extrapolated. Agreement is the
share of texts given the same label as the baseline (on its sample) and as the float32 ONNX graph
(on all texts); the score gap is the mean absolute difference from float32's scores.
Throughput is also given per CPU-second, which other jobs on a shared machine distort less.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "umsab"
CORES = 2
DUPLICATE_SHARE = 0.25  # the "retweet stream": this share of extra texts repeats earlier ones verbatim

LEVERS = {
    "baseline": "transformers pipeline, one text at a time (torch)",
    "torch-batched": "torch, batches of 16 in input order, inference mode",
    "torch-sorted": "torch, batches of 16 sorted by characters (the previous default)",
    "onnx-unsorted": "ONNX Runtime float32, batches of 16 in input order",
    "onnx": "ONNX Runtime float32, batches of 16 sorted by token count (the default)",
    "onnx-int8": "ONNX Runtime int8 dynamic quantisation (per channel), batches of 16 - not adopted",
    "onnx-cached": f"the default + LRU cache, on the stream with {DUPLICATE_SHARE:.0%} verbatim repeats",
}


def read_texts(data_dir: Path, limit: int) -> list[str]:
    """Train and val texts of every language folder, interleaved language by language."""
    per_language = []
    for folder in sorted(path for path in data_dir.iterdir() if path.is_dir()):
        texts: list[str] = []
        for split in ("train", "val"):
            file = folder / f"{split}_text.txt"
            if file.exists():
                texts += [line for line in file.read_text(encoding="utf-8").split("\n") if line.strip()]
        per_language.append(texts)
    mixed = [text for group in zip(*per_language) for text in group]
    return mixed[:limit]


# -- children: one measurement each ----------------------------------------------------------------


def pin_cores() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:CORES])


def measure(lever: str, texts: list[str], model: str) -> dict[str, object]:
    """Load the lever's runtime, score `texts`, report labels, time and peak RSS."""
    pin_cores()
    sys.path.insert(0, str(REPO))
    from listener.config import ModelConfig

    config = ModelConfig(name=model, threads=CORES, cache_size=0)
    if lever == "baseline":
        classify = baseline_pipeline(model)
    elif lever.startswith("torch"):
        from classifiers import load_classifier

        classifier = load_classifier(config.model_copy(update={"runtime": "torch"}))
        classify = classifier.classify if lever == "torch-sorted" else in_input_order(classifier.classify)
    elif lever == "onnx-int8":
        classify = int8_classifier(config).classify
    else:
        from classifiers import load_classifier

        cached = lever == "onnx-cached"
        classifier = load_classifier(config.model_copy(update={"cache_size": 10_000 if cached else 0}))
        classify = in_input_order(classifier.classify) if lever == "onnx-unsorted" else classifier.classify
    classify(texts[:8])  # warm-up: first-call allocations are not throughput
    cpu_started, started = time.process_time(), time.perf_counter()
    verdicts = []
    for offset in range(0, len(texts), 256):  # the daemon's batch size (batch_size * 8)
        verdicts += classify(texts[offset : offset + 256])
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    labels, scores = [verdict.label for verdict in verdicts], [getattr(verdict, "score", 0.0) for verdict in verdicts]
    return {"labels": labels, "scores": scores, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak_mb}


def in_input_order(classify, size: int = 16):  # noqa: ANN001, ANN202 - a lever, not an interface
    """Batches of `size` in the order given: what length sorting is measured against."""

    def run(texts: list[str]) -> list:
        return [verdict for offset in range(0, len(texts), size) for verdict in classify(texts[offset : offset + size])]

    return run


def baseline_pipeline(model_name: str):  # noqa: ANN201
    """The model as one Hugging Face sequence classifier, run by `pipeline` one text at a time.

    It is given the cleaned text (handles and links masked) that the model was trained on and the
    daemon shows it, so that agreement measures the runtime, not the preprocessing.
    """
    import torch
    from transformers import BertConfig, PreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from classifiers.base import clean_text
    from classifiers.shipped import DEFAULT_VERSION, shipped_model
    from listener.core.records import SENTIMENT_LABELS

    torch.set_num_threads(CORES)
    shipped = shipped_model(DEFAULT_VERSION if model_name == "default" else model_name)
    if shipped.encoder == "e5":
        from classifiers.e5 import load_e5_model as load_model
    else:
        from classifiers.minilm import load_default_model as load_model
    model, columns, tokenizer = load_model(shipped.artifacts_dir)

    class MiniLMSentiment(PreTrainedModel):
        config_class = BertConfig

        def __init__(self, config):  # noqa: ANN001
            super().__init__(config)
            self.model = model

        def forward(self, input_ids=None, attention_mask=None, **_):  # noqa: ANN001, ANN003
            return SequenceClassifierOutput(logits=self.model(input_ids, attention_mask)[:, columns])

    config = BertConfig.from_dict(model.encoder.config.to_dict())
    config.id2label = dict(enumerate(SENTIMENT_LABELS))
    config.label2id = {label: index for index, label in enumerate(SENTIMENT_LABELS)}
    classifier = pipeline("text-classification", model=MiniLMSentiment(config).eval(), tokenizer=tokenizer, device=-1)

    class Verdict:
        def __init__(self, label: str):
            self.label = label

    def classify(texts: list[str]) -> list[Verdict]:
        return [Verdict(classifier(clean_text(text), truncation=True, max_length=128)[0]["label"]) for text in texts]

    return classify


def int8_classifier(config):  # noqa: ANN001, ANN201
    """The exported graph with int8 weights (per channel); products of two activations stay float."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from classifiers.export import tokenizer_path
    from classifiers.onnx_head import OnnxHeadClassifier, ensure_exported
    from classifiers.shipped import DEFAULT_VERSION

    version = DEFAULT_VERSION if config.name == "default" else config.name
    float_path = ensure_exported(version)
    graph = onnx.load(str(float_path))
    weights = {initializer.name for initializer in graph.graph.initializer}
    activation_products = [
        node.name for node in graph.graph.node if node.op_type == "MatMul" and not weights.intersection(node.input)
    ]
    quantised = Path(tempfile.mkdtemp()) / "int8.onnx"
    quantize_dynamic(
        str(float_path),
        str(quantised),
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=activation_products,
    )
    for beside in float_path.parent.glob(tokenizer_path(float_path).name + "*"):  # e5's tokenizer files
        shutil.copy(beside, quantised.parent / beside.name.replace(float_path.stem, quantised.stem))
    return OnnxHeadClassifier(config, model_path=quantised, version=version)


# -- parent: run the children, compare, print --------------------------------------------------


def run_child(lever: str, texts_file: Path, count: int, model: str) -> dict[str, object]:
    command = [
        sys.executable, __file__, "--measure", lever, "--texts-file", str(texts_file), "--limit", str(count), "--model", model
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{lever} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def agreement(labels: list[str], reference: list[str]) -> float:
    shared = min(len(labels), len(reference))
    return sum(a == b for a, b in zip(labels[:shared], reference[:shared])) / shared if shared else float("nan")


def score_gap(scores: list[float], reference: list[float]) -> float:
    """Mean absolute score difference over the texts both scored."""
    shared = min(len(scores), len(reference))
    return sum(abs(a - b) for a, b in zip(scores[:shared], reference[:shared])) / shared if shared else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", default="default", help="A shipped model: default, or a version by name.")
    parser.add_argument("--limit", type=int, default=6000, help="Texts to score with the fast runtimes.")
    parser.add_argument("--baseline-sample", type=int, default=500, help="Texts for the slow baseline.")
    parser.add_argument("--sample", type=int, default=1500, help="Texts for the other slower levers.")
    parser.add_argument("--levers", default=",".join(LEVERS), help="Comma-separated subset of: " + ", ".join(LEVERS))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        texts = json.loads(args.texts_file.read_text(encoding="utf-8"))[: args.limit]
        print(json.dumps(measure(args.measure, texts, args.model)))
        return 0

    if not args.data_dir.is_dir():
        print(f"no data at {args.data_dir}: pass the umsab folder (one folder per language with *_text.txt)", file=sys.stderr)
        return 2
    texts = read_texts(args.data_dir, args.limit)
    if not texts:
        print(f"no texts found under {args.data_dir}", file=sys.stderr)
        return 2
    shuffler = random.Random(0)
    stream = texts + shuffler.choices(texts, k=int(len(texts) * DUPLICATE_SHARE))
    shuffler.shuffle(stream)

    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    languages = len([path for path in args.data_dir.iterdir() if path.is_dir()])
    console.print(
        f"{len(texts)} tweets in {languages} languages ({len(set(texts))} distinct); {CORES} cores; "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.json"
        stream_file = Path(folder) / "stream.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        stream_file.write_text(json.dumps(stream), encoding="utf-8")
        for lever in args.levers.split(","):
            full = {"onnx": len(texts), "onnx-cached": len(stream)}
            count = full.get(lever, args.baseline_sample if lever == "baseline" else args.sample)
            console.print(f"measuring {lever} on {min(count, len(stream if lever == 'onnx-cached' else texts))} texts ...")
            results[lever] = run_child(lever, stream_file if lever == "onnx-cached" else texts_file, count, args.model)

    reference = results.get("onnx") or results.get("torch-sorted")
    baseline = results.get("baseline")
    table = Table(title=f"{args.model} model: throughput and peak RSS on 2 cores")
    for column in ("lever", "texts", "texts/s", "texts/CPU-s", "x baseline", "peak RSS MB", "agree baseline", "agree float32", "|score - float32|"):
        table.add_column(column, justify="left" if column == "lever" else "right")
    for lever, result in results.items():
        rate = len(result["labels"]) / result["seconds"]
        cpu_rate = len(result["labels"]) / max(result["cpu_seconds"], 1e-9)
        base_rate = len(baseline["labels"]) / baseline["seconds"] if baseline else None
        same_texts = lever != "onnx-cached"
        table.add_row(
            lever,
            str(len(result["labels"])),
            f"{rate:.0f}",
            f"{cpu_rate:.0f}",
            f"{rate / base_rate:.1f}" if base_rate else "-",
            f"{result['peak_rss_mb']:.0f}",
            f"{agreement(result['labels'], baseline['labels']):.2%}" if baseline and same_texts else "-",
            f"{agreement(result['labels'], reference['labels']):.2%}" if reference and same_texts else "-",
            f"{score_gap(result['scores'], reference['scores']):.4f}" if reference and same_texts and lever != "baseline" else "-",
        )
    console.print(table)
    for lever in results:
        console.print(f"  {lever}: {LEVERS[lever]}")
    if "onnx" in results:
        counts = Counter(results["onnx"]["labels"])
        console.print(f"labels from the default runtime: {dict(counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

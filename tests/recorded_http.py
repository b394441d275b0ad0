"""Recorded HTTP responses replayed through a real `requests` session, for tweepy and praw tests.

The collectors run the real tweepy and praw code (request building, auth, error mapping, JSON
and gzip decoding, model objects); only the socket is replaced: `ReplayAdapter` is a requests
transport adapter that answers each request with the next recorded response for the same method
and path, and fails the test on a request nothing was recorded for, so no test reaches the net.

Two recording formats are read: vcrpy YAML cassettes (tweepy's own test suite; gzip bodies as
`!!binary`) and the JSON cassettes of praw's suite, `{"interactions": [{"request": {"method",
"uri"}, "response": {"status": {"code"}, "headers", "body": {"string"}}}]}`, which is also the
format of this project's own fixtures under tests/fixtures/.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit

import requests
import yaml
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
OWN_FIXTURES = Path(__file__).resolve().parent / "fixtures"


class UnrecordedRequest(AssertionError):
    """The code under test made a request no recording answers (it would have gone to the net)."""


@dataclass
class Recording:
    method: str
    uri: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str = "OK"
    used: bool = False

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path.rstrip("/")

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.uri).query))


class ReplayAdapter(HTTPAdapter):
    """Answers requests from `recordings`, each used once, in order among those that match.

    With `match_query`, a recording's query parameters must all be in the request (extra request
    parameters are fine), so a fixture can pin e.g. `next_token=page2` to the page it belongs to.
    """

    def __init__(self, recordings: list[Recording], match_query: bool = True):
        super().__init__()
        self.recordings = recordings
        self.match_query = match_query
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        url = urlsplit(request.url or "")
        asked = dict(parse_qsl(url.query))
        for recording in self.recordings:
            if recording.used or recording.method != request.method or recording.path != url.path.rstrip("/"):
                continue
            if self.match_query and any(asked.get(key) != value for key, value in recording.query.items()):
                continue
            recording.used = True
            raw = HTTPResponse(
                body=io.BytesIO(recording.body),
                # The body is replayed whole and as recorded: a recorded length or chunking
                # header would describe the original wire bytes, not these.
                headers=HTTPHeaderDict(
                    [(k, v) for k, v in recording.headers if k.lower() not in ("content-length", "transfer-encoding")]
                ),
                status=recording.status,
                reason=recording.reason,
                preload_content=False,
                decode_content=True,
                request_method=request.method,
            )
            return self.build_response(request, raw)
        raise UnrecordedRequest(f"no recorded response left for {request.method} {request.url}")

    def requested(self, path_suffix: str) -> list[dict[str, str]]:
        """The query parameters of every request made to a path ending in `path_suffix`."""
        return [
            dict(parse_qsl(urlsplit(r.url or "").query))
            for r in self.requests
            if urlsplit(r.url or "").path.rstrip("/").endswith(path_suffix)
        ]


def replay_session(recordings: list[Recording], match_query: bool = True) -> tuple[requests.Session, ReplayAdapter]:
    session = requests.Session()
    adapter = ReplayAdapter(recordings, match_query)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


def _headers(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((name, str(value)))
    return pairs


def _body(raw: Mapping[str, Any] | str | bytes | None) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8")
    if "base64_string" in raw:
        return base64.b64decode(raw["base64_string"])
    if "json" in raw:
        return json.dumps(raw["json"]).encode("utf-8")
    value = raw.get("string", b"")
    return value if isinstance(value, bytes) else value.encode("utf-8")


def load_cassette(path: Path) -> list[Recording]:
    """Recordings from a vcrpy YAML cassette or a praw-style JSON cassette."""
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    recordings = []
    for interaction in document["interactions"]:
        request, response = interaction["request"], interaction["response"]
        headers, body = _headers(response.get("headers", {})), _body(response.get("body"))
        if not body.startswith(b"\x1f\x8b"):  # some recorders store the body already decompressed
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        recordings.append(
            Recording(
                method=request["method"].upper(),
                uri=request["uri"],
                status=int(response["status"]["code"]),
                headers=headers,
                body=body,
                reason=response["status"].get("message") or "",
            )
        )
    return recordings


def load_fixture(*parts: str) -> list[Recording]:
    """One of this project's own recordings, e.g. `load_fixture("twitter", "rate_limited.json")`."""
    return load_cassette(OWN_FIXTURES.joinpath(*parts))

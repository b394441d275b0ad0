"""Throughput of the collectors' own work, without a network: file import and feed parsing.

File import reads a generated Brandwatch-style CSV and a JSONL file of N rows (default 100,000)
in polls of `max_rows_per_poll`, the way the daemon does, and a second pass over an unchanged
file (what every idle poll costs). Feeds: one RSS document of E entries (default 200) served from
loopback, first read and then the 304 path. Prints rows or entries per second.

    python bench/collectors.py [--rows 100000] [--entries 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.core.clock import SystemClock  # noqa: E402
from listener.config import BrandConfig  # noqa: E402
from listener.sources import COLLECTORS, SourceContext  # noqa: E402
from tests.servers import ScriptedResponse, routed_http_server  # noqa: E402

BRAND = BrandConfig(name="Acme", keywords=("acme",))


def build(type_name: str, **settings):
    plugin = COLLECTORS.get(type_name)
    return plugin.build(SourceContext("bench", plugin.settings_model.model_validate(settings), SystemClock()))


def drain(collector) -> tuple[int, float, dict]:
    started, cursor, total = time.perf_counter(), None, 0
    while True:
        result = collector.fetch(BRAND, cursor)
        cursor = result.cursor
        total += len(result.mentions)
        if not result.mentions:
            return total, time.perf_counter() - started, cursor


def bench_files(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        csv_path, jsonl_path = Path(folder) / "export.csv", Path(folder) / "export.jsonl"
        with csv_path.open("w", encoding="utf-8") as handle:
            handle.write("Report:,bench\n\nMention Id,Date,Title,Url,Full Text,Author,Twitter Followers,Language,Likes\n")
            for row in range(rows):
                handle.write(f'{row},2026-11-02 10:{row % 60:02d}:00.0,,https://x.com/s/{row},"acme row {row}, quoted",a{row % 97},"1,{row % 1000:03d}",en,{row % 7}\n')
        with jsonl_path.open("w", encoding="utf-8") as handle:
            for row in range(rows):
                handle.write(f'{{"id": "{row}", "created_at": "2026-11-02T10:00:00Z", "text": "acme row {row}", "author": "a"}}\n')
        for label, path in (("csv", csv_path), ("jsonl", jsonl_path)):
            collector = build("file", path=str(path))
            total, seconds, cursor = drain(collector)
            started = time.perf_counter()
            collector.fetch(BRAND, cursor)
            idle = time.perf_counter() - started
            print(f"file import {label}: {total} rows in {seconds:.2f}s = {total / seconds:,.0f} rows/s; idle poll {idle * 1000:.1f} ms")


def bench_feed(entries: int) -> None:
    items = "".join(
        f"<item><title>Acme story {n}</title><guid>g{n}</guid><link>https://n.example/{n}</link>"
        f"<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Body {n} about acme&lt;/p&gt;</description></item>"
        for n in range(entries)
    )
    document = f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{items}</channel></rss>'

    def route(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return ScriptedResponse(304, {"ETag": '"v1"'}, b"")
        return ScriptedResponse(200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, document)

    with routed_http_server(route) as server:
        collector = build("rss", urls=[server.url + "/feed"])
        started = time.perf_counter()
        first = collector.fetch(BRAND, None)
        full = time.perf_counter() - started
        started = time.perf_counter()
        collector.fetch(BRAND, first.cursor)
        not_modified = time.perf_counter() - started
    print(f"rss: {len(first.mentions)} entries in {full * 1000:.0f} ms = {len(first.mentions) / full:,.0f} entries/s; "
          f"304 poll {not_modified * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=200)
    arguments = parser.parse_args()
    bench_files(arguments.rows)
    bench_feed(arguments.entries)


if __name__ == "__main__":
    main()

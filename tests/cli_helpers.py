"""The config file the command-line tests call `listener` with: two brands and the demo source,
plus whatever storage and sections a test adds."""

from __future__ import annotations

from pathlib import Path

BRANDS_AND_DEMO_SOURCE = """
[[brands]]
name = "Acme"
keywords = ["acme"]

[[brands]]
name = "Globex"
keywords = ["globex"]

[[sources]]
name = "demo"
type = "demo"
"""


def write_cli_config(tmp_path: Path, storage_url: str | None = None, extra: str = "") -> Path:
    """`tmp_path/listener.toml`: `[storage] url = storage_url` (left out when None), the two
    brands and the demo source, then `extra` (more TOML sections)."""
    storage = f'\n[storage]\nurl = "{storage_url}"\n' if storage_url is not None else ""
    path = tmp_path / "listener.toml"
    path.write_text(storage + BRANDS_AND_DEMO_SOURCE + extra, encoding="utf-8")
    return path

"""The floor plan of docs/architecture.md, checked: layers, plugins and where time comes from."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from listener.config import ConfigError, parse_config
from listener.plugins import COLLECTORS, METRICS, NOTIFIERS

ROOT = Path(__file__).resolve().parent.parent
CLOCK_FREE = ("listener/core", "listener/config", "listener/storage", "alerts", "classifiers")
"""Packages below the app: they take `now` or a Clock, and never read the system time themselves."""
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


def test_imports_follow_the_layers() -> None:
    """In a process of its own: import-linter configures logging with `disable_existing_loggers`,
    which would silence every logger the later tests read with caplog."""
    script = (
        "import sys; from importlinter.cli import lint_imports; "
        f"sys.exit(lint_imports(config_filename={str(ROOT / '.importlinter')!r}, no_cache=True, no_logo=True))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
                if (function.value.id, function.attr) in WALL_CLOCK_CALLS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {function.value.id}.{function.attr}()")
            elif isinstance(function, ast.Name) and function.id == "utcnow":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: utcnow()")
    return found


def test_nothing_below_the_app_reads_the_wall_clock() -> None:
    reads = [
        read
        for package in CLOCK_FREE
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "listener/core/clock.py" and "migrations" not in path.parts
        for read in _wall_clock_reads(path)
    ]
    assert reads == []


def test_every_metric_is_one_module_and_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    modules = {path.stem for path in (ROOT / "alerts/metrics").glob("*.py") if path.stem not in ("__init__", "base")}
    assert set(METRICS.names()) == modules
    for name in METRICS.names():
        metric = METRICS.get(name)
        assert metric.noun and metric.description
        assert f"`{name}`" in readme, f"metric {name} is not documented in the README"


def test_every_builtin_plugin_registers_through_the_registry() -> None:
    for registry, folder in ((COLLECTORS, "listener/sources"), (NOTIFIERS, "alerts/notify/notifiers")):
        defining = sorted(path.stem for path in (ROOT / folder).glob("*.py") if "\nPLUGIN = " in path.read_text(encoding="utf-8"))
        registered = sorted(registry.get(name).build.__module__.rpartition(".")[2] for name in registry.names())
        assert registered == defining


def test_a_source_whose_sdk_is_missing_is_a_config_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tweepy", None)  # as if `pip install social-listener` without [x]
    raw = {
        "brands": [{"name": "Acme", "keywords": ["acme"]}],
        "sources": [{"name": "x", "type": "twitter"}],
        "rules": [{"name": "r", "metric": "negative_mood"}],
    }
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "listener.toml")
    problems = error.value.problems
    assert "sources[0].type: source type 'twitter' needs the 'tweepy' package, which is not installed: " \
        "pip install 'social-listener[x]'" in problems
    assert any(problem.startswith("rules[0].metric: unknown metric type 'negative_mood'") for problem in problems)

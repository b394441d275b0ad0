"""The README documents every command and every config field, so the docs cannot drift silently."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from alerts.notify.notifiers import NOTIFIERS
from listener.cli.main import main
from listener.config import ListenerConfig
from listener.sources import COLLECTORS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "listener") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("command", command_paths(main))
def test_every_command_is_documented(command: str) -> None:
    assert f"`{command}" in README, f"README has no entry for `{command}`"


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        nested = [arg for arg in inner if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if nested:
            keys.extend(config_keys(nested[0], f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def documented(key: str) -> bool:
    """A key counts as documented when its TOML line (maybe commented out) appears in the README."""
    name = key.rsplit(".", 1)[-1]
    return re.search(rf"^\s*#?\s*{re.escape(name)}\s*=", README, re.MULTILINE) is not None


@pytest.mark.parametrize("key", config_keys(ListenerConfig))
def test_every_config_field_is_documented(key: str) -> None:
    assert documented(key), f"README's configuration example lacks `{key}`"


@pytest.mark.parametrize("type_name", COLLECTORS.names() + NOTIFIERS.names())
def test_every_plugin_setting_is_documented(type_name: str) -> None:
    registry = COLLECTORS if type_name in COLLECTORS.names() else NOTIFIERS
    for key in registry.get(type_name).settings_model.model_fields:
        assert documented(key), f"README does not document the {type_name} setting `{key}`"

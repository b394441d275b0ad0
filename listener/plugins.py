"""Registries for pluggable stages, filled by built-ins and by installed packages.

A third-party package adds a source or notifier by declaring an entry point in the group
`social_listener.collectors` or `social_listener.notifiers` that points at a `CollectorType` or
`NotifierType`; the built-ins register through the same path, so they have no special powers.
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import entry_points
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Named(Protocol):
    @property
    def name(self) -> str: ...


PluginT = TypeVar("PluginT", bound=Named)


class Registry(Generic[PluginT]):
    def __init__(self, kind: str, group: str, builtin_modules: list[str]):
        self._kind = kind
        self._group = group
        self._builtin_modules = builtin_modules
        self._plugins: dict[str, PluginT] | None = None

    def _load(self) -> dict[str, PluginT]:
        if self._plugins is None:
            plugins: dict[str, PluginT] = {}
            for module_name in self._builtin_modules:
                plugin = import_module(module_name).PLUGIN
                plugins[plugin.name] = plugin
            for entry_point in entry_points(group=self._group):
                try:
                    plugin = entry_point.load()
                except Exception:  # a broken third-party plugin must not stop the daemon
                    log.exception("could not load %s plugin %r", self._kind, entry_point.name)
                    continue
                plugins.setdefault(plugin.name, plugin)
            self._plugins = plugins
        return self._plugins

    def get(self, name: str) -> PluginT:
        plugins = self._load()
        if name not in plugins:
            raise KeyError(f"unknown {self._kind} type {name!r} (known: {', '.join(sorted(plugins))})")
        return plugins[name]

    def names(self) -> list[str]:
        return sorted(self._load())

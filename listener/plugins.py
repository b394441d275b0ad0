"""Registries for pluggable stages, filled by built-ins and by installed packages.

A third-party package adds a source or notifier by declaring an entry point in the group
`social_listener.collectors` or `social_listener.notifiers` that points at a `CollectorType` or
`NotifierType`; the built-ins register through the same path, so they have no special powers.

The registries live here, below every plugin package, and find the built-ins by package name:
config validates a source's or notifier's settings against its plugin's model without importing
the plugin packages, so the bottom layers never know the plugins.
"""

from __future__ import annotations

import logging
import pkgutil
import sys
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from importlib.util import find_spec
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from alerts.metrics.base import Metric
    from alerts.notify.notifiers.base import NotifierType
    from listener.sources.base import CollectorType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extra:
    """An optional dependency of a plugin: the modules it imports when used, and the package extra
    that installs them. A config naming the plugin without them gets one line saying what to
    install, not a traceback from deep inside a poll."""

    name: str
    modules: tuple[str, ...]

    def missing(self) -> str | None:
        """The first module that is not installed, if any (found without importing it: config
        validation must not pay for an SDK's import)."""
        for module in self.modules:
            installed = sys.modules[module] is not None if module in sys.modules else find_spec(module) is not None
            if not installed:
                return module
        return None

    def install_hint(self) -> str:
        return f"pip install 'social-listener[{self.name}]'"


class Named(Protocol):
    @property
    def name(self) -> str: ...


PluginT = TypeVar("PluginT", bound=Named)


class Registry(Generic[PluginT]):
    """Plugins of one kind: every module of the built-in `package` that defines `PLUGIN`, then
    the entry points of `group`. Adding a built-in source or notifier is adding one module."""

    def __init__(self, kind: str, group: str, package: str):
        self._kind = kind
        self._group = group
        self._package = package
        self._plugins: dict[str, PluginT] | None = None

    def _builtin_modules(self) -> list[str]:
        package = import_module(self._package)
        return [
            f"{self._package}.{info.name}"
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_") and info.name != "base"
        ]

    def _load(self) -> dict[str, PluginT]:
        if self._plugins is None:
            plugins: dict[str, PluginT] = {}
            for module_name in self._builtin_modules():
                plugin = getattr(import_module(module_name), "PLUGIN", None)
                if plugin is not None:
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

    def settings_model(self, name: str) -> type:
        """The pydantic model of the named plugin's own settings (KeyError names the known ones)."""
        return self.get(name).settings_model

    def missing_requirement(self, name: str) -> str | None:
        """Why the named plugin cannot run here, in one line, when an optional dependency is missing."""
        extra: Extra | None = getattr(self.get(name), "extra", None)
        module = extra.missing() if extra is not None else None
        if module is None or extra is None:
            return None
        return f"{self._kind} type {name!r} needs the {module!r} package, which is not installed: {extra.install_hint()}"

    def names(self) -> list[str]:
        return sorted(self._load())


COLLECTORS: Registry[CollectorType] = Registry("source", "social_listener.collectors", "listener.sources")
NOTIFIERS: Registry[NotifierType] = Registry("notifier", "social_listener.notifiers", "alerts.notify.notifiers")
METRICS: Registry[Metric] = Registry("metric", "social_listener.metrics", "alerts.metrics")

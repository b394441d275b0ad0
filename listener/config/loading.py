"""The one TOML configuration file, validated with pydantic.

Validation runs three checks, each whatever the others found: the file's overall shape; each
source's and notifier's own settings against the model its plugin declares (so that adding a
source type never means editing this module); and the names one section uses from another. Every
problem is reported as `FILE: field.path: problem`, all at once, so a user fixes a broken file in
one go.

Relative paths (a SQLite `storage.url`, a source's file) are read against the config file's
folder, so the daemon finds the same files whichever directory it is started from.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import (
    BaseModel,
    ValidationError,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from listener.config.alerting import (
    DEFAULT_RULE,
    DetectionConfig,
    NotifierConfig,
    RouteConfig,
    RuleConfig,
    SilenceConfig,
)
from listener.config.base import ConfigError, _problems
from listener.config.brands import SourceConfig
from listener.config.digests import DigestConfig
from listener.config.root import ListenerConfig
from listener.config.surveys import SurveyFileConfig
from listener.config.types import RelativeToConfig
from listener.plugins import COLLECTORS, METRICS, NOTIFIERS, Registry

MAX_BASELINE = timedelta(days=90)
"""The longest history a rule learns from: every pass reads all of it for every brand."""


def _entries(raw: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    """The tables of an array-of-tables section, with their positions (anything else is the
    schema check's to report)."""
    entries = raw.get(section)
    if not isinstance(entries, list):
        return []
    return [(index, entry) for index, entry in enumerate(entries) if isinstance(entry, dict)]


def _names(raw: dict[str, Any], section: str) -> list[str]:
    """The names a section defines, valid entries or not: an entry with a mistake elsewhere is
    reported for that mistake, not again as an undefined name wherever it is used."""
    return [entry["name"] for _, entry in _entries(raw, section) if isinstance(entry.get("name"), str)]


def _valid_entries(raw: dict[str, Any], section: str, model: type[BaseModel]) -> list[tuple[int, Any]]:
    """The entries of a section that are valid on their own, to check what they refer to."""
    valid = []
    for index, entry in _entries(raw, section):
        try:
            valid.append((index, model.model_validate(entry)))
        except ValidationError:
            continue
    return valid


def _plugin_settings_problems(raw: dict[str, Any]) -> list[str]:
    """Each source's and notifier's own settings, checked against its plugin's model, and every
    metric a rule or route names, against the installed metrics."""

    problems: list[str] = []
    sections: list[tuple[str, type[BaseModel], Registry[Any]]] = [
        ("sources", SourceConfig, COLLECTORS),
        ("notifiers", NotifierConfig, NOTIFIERS),
    ]
    for section, base_model, registry in sections:
        settings_model_for = registry.settings_model
        for index, entry in _entries(raw, section):
            if not isinstance(entry.get("type"), str) or not entry["type"]:
                continue
            try:
                settings_model = settings_model_for(entry["type"])
            except KeyError as unknown:
                problems.append(f"{section}[{index}].type: {unknown.args[0]}")
                continue
            if missing := registry.missing_requirement(entry["type"]):
                problems.append(f"{section}[{index}].type: {missing}")
            settings = {key: value for key, value in entry.items() if key not in base_model.model_fields}
            try:
                settings_model.model_validate(settings)
            except ValidationError as error:
                problems.extend(_problems(error, (section, index)))
    problems.extend(_metric_problems(raw))
    return problems


def _metric_problems(raw: dict[str, Any]) -> list[str]:
    named: list[tuple[str, Any]] = [(f"rules[{index}].metric", entry.get("metric")) for index, entry in _entries(raw, "rules")]
    for index, entry in _entries(raw, "routes"):
        metrics = entry.get("metrics")
        if isinstance(metrics, list):
            named.extend((f"routes[{index}].metrics[{position}]", name) for position, name in enumerate(metrics))
    problems = []
    for location, name in named:
        if isinstance(name, str):
            try:
                METRICS.get(name)
            except KeyError as unknown:
                problems.append(f"{location}: {unknown.args[0]}")
    return problems


def _cross_reference_problems(raw: dict[str, Any]) -> list[str]:
    """Names must be unique in their section, and every name one section uses from another must
    be defined there (Alertmanager's receivers, in our sections)."""
    problems: list[str] = []
    for section in ("brands", "sources", "notifiers", "rules", "digests", "topics"):
        seen: set[str] = set()
        for index, entry in _entries(raw, section):
            name = entry.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                problems.append(f"{section}[{index}].name: duplicate name {name!r}")
            seen.add(name)
    brands = _names(raw, "brands")
    notifiers = _names(raw, "notifiers")
    rules = _names(raw, "rules") if _entries(raw, "rules") else [DEFAULT_RULE]

    def require(location: str, value: str, names: list[str], what: str) -> None:
        if value not in names:
            problems.append(f"{location}: {what} {value!r} is not defined (known: {', '.join(names) or 'none'})")

    for index, source in _valid_entries(raw, "sources", SourceConfig):
        for brand in source.brands or []:
            require(f"sources[{index}].brands", brand, brands, "brand")
    for index, rule in _valid_entries(raw, "rules", RuleConfig):
        for brand in rule.brands or []:
            require(f"rules[{index}].brands", brand, brands, "brand")
    for index, route in _valid_entries(raw, "routes", RouteConfig):
        for brand in route.brands:
            require(f"routes[{index}].brands", brand, brands, "brand")
        for rule_name in route.rules:
            require(f"routes[{index}].rules", rule_name, rules, "rule")
        for receiver in route.receivers:
            require(f"routes[{index}].receivers", receiver, notifiers, "receiver")
    for index, silence in _valid_entries(raw, "silences", SilenceConfig):
        if silence.brand is not None:
            require(f"silences[{index}].brand", silence.brand, brands, "brand")
        if silence.rule is not None:
            require(f"silences[{index}].rule", silence.rule, rules, "rule")
    emails = [
        entry["name"] for _, entry in _entries(raw, "notifiers") if entry.get("type") == "email" and isinstance(entry.get("name"), str)
    ]
    for index, survey in _valid_entries(raw, "surveys", SurveyFileConfig):
        require(f"surveys[{index}].brand", survey.brand, brands, "brand")
    for index, digest in _valid_entries(raw, "digests", DigestConfig):
        for brand in digest.brands or []:
            require(f"digests[{index}].brands", brand, brands, "brand")
        if digest.notifier not in emails:
            problems.append(
                f"digests[{index}].notifier: {digest.notifier!r} is not an email notifier "
                f"(email notifiers: {', '.join(emails) or 'none configured'})"
            )
    return problems


def _bound_problems(raw: dict[str, Any]) -> list[str]:
    """Values each section accepts alone but no pass could finish with."""
    problems: list[str] = []
    baselines: list[tuple[str, timedelta | None]] = []
    detection = raw.get("detection", {})
    if isinstance(detection, dict):
        try:
            baselines.append(("detection.baseline", DetectionConfig.model_validate(detection).baseline))
        except ValidationError:
            pass
    baselines += [(f"rules[{index}].baseline", rule.baseline) for index, rule in _valid_entries(raw, "rules", RuleConfig)]
    for location, baseline in baselines:
        if baseline is not None and baseline > MAX_BASELINE:
            problems.append(f"{location}: {baseline.days} days is too long: at most {MAX_BASELINE.days} days (90d)")
    return problems


def _relative_to(base_dir: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` with its relative SQLite path and plugin path settings made absolute against the
    config file's folder; values that do not parse are left for validation to report."""

    resolved = dict(raw)
    storage = raw.get("storage")
    if isinstance(storage, dict) and isinstance(storage.get("url"), str):
        resolved["storage"] = {**storage, "url": _sqlite_relative_to(base_dir, storage["url"])}
    for section, settings_model_for in (("sources", COLLECTORS.settings_model), ("notifiers", NOTIFIERS.settings_model)):
        if not isinstance(raw.get(section), list):
            continue
        entries = list(raw[section])
        for index, entry in _entries(raw, section):
            try:
                settings_model = settings_model_for(entry.get("type"))
            except (KeyError, TypeError):
                continue
            entries[index] = {
                key: str(base_dir / value)
                if isinstance(value, str) and value and _is_config_path(settings_model, key)
                else value
                for key, value in entry.items()
            }
        resolved[section] = entries
    if isinstance(raw.get("surveys"), list):
        surveys = list(raw["surveys"])
        for index, entry in _entries(raw, "surveys"):
            if isinstance(entry.get("file"), str) and entry["file"]:
                surveys[index] = {**entry, "file": str(base_dir / entry["file"])}
        resolved["surveys"] = surveys
    return resolved


def _is_config_path(settings_model: type[BaseModel], key: str) -> bool:
    field = settings_model.model_fields.get(key)
    return field is not None and (
        any(isinstance(marker, RelativeToConfig) for marker in field.metadata) or _marks_path(field.annotation)
    )


def _marks_path(annotation: Any) -> bool:
    """Whether a `ConfigPath` is in the annotation, also inside `ConfigPath | None`."""
    if any(isinstance(marker, RelativeToConfig) for marker in getattr(annotation, "__metadata__", ())):
        return True
    return any(_marks_path(argument) for argument in get_args(annotation))


def _sqlite_relative_to(base_dir: Path, url: str) -> str:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str(base_dir / database)).render_as_string(hide_password=False)


def parse_config(raw: dict[str, Any], path: Path | str = "<config>", base_dir: Path | None = None) -> ListenerConfig:
    """Validate a parsed TOML document, including each plugin's own settings and every name one
    section uses from another; relative paths are read against `base_dir` when one is given."""
    if base_dir is not None:
        raw = _relative_to(base_dir, raw)
    problems: list[str] = []
    config: ListenerConfig | None = None
    try:
        config = ListenerConfig.model_validate(raw)
    except ValidationError as error:
        problems.extend(_problems(error))
    problems.extend(_plugin_settings_problems(raw))
    problems.extend(_cross_reference_problems(raw))
    problems.extend(_bound_problems(raw))
    if problems or config is None:
        raise ConfigError(path, problems)
    return config


def load_config(path: Path | str) -> ListenerConfig:
    """Read and validate a config file; every failure is a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"cannot be read: {error}"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"invalid TOML: {error}"]) from None
    return parse_config(raw, path, base_dir=path.absolute().parent)

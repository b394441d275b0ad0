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

import re
import tomllib
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from listener.query import Node, QuerySyntaxError, from_terms, normalise, parse, search_terms
from listener.settings_types import Duration, Name, Rate, RelativeToConfig, Secret


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a config key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(StrictModel):
    url: str = Field("sqlite:///listener.db", description="Any SQLAlchemy URL; SQLite needs no set-up.")

    @field_validator("url")
    @classmethod
    def _usable(cls, url: str) -> str:
        check_database_url(url)
        return url


def check_database_url(url: str) -> URL:
    """Refuse, at load, a URL the daemon could only fail on later: unreadable, an unknown
    database, a driver that is not installed. Messages never repeat the URL: it may hold a password."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        reason = "the port is not a number" if "int()" in str(error) else "it cannot be parsed"
        raise ValueError(
            f"not a database URL ({reason}): write e.g. sqlite:///listener.db or postgresql://user@host/db"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValueError(
            f"unknown database {parsed.drivername!r}: use sqlite:///FILE or postgresql://user@host/db"
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError as error:
        raise ValueError(f"the driver for {parsed.drivername!r} is not installed ({error})") from None
    return parsed


MAX_REPLAY_SPEED = 100_000.0
"""A replayed day in under a second: faster, polls and processing could no longer keep up with the
clock, and the replayed time runs past any date within minutes."""


class ClockConfig(StrictModel):
    """Which time the daemon lives in: the real one, or a replayed one for demos and rehearsals."""

    mode: Literal["system", "replay"] = "system"
    start: datetime | None = Field(None, description="Replay start (UTC); defaults to the demo data's start.")
    speed: float = Field(
        1.0, gt=0, le=MAX_REPLAY_SPEED, allow_inf_nan=False, description="Replayed seconds per wall-clock second."
    )
    max_future: Duration = Field(
        default=timedelta(days=1),
        description="Mentions dated more than this after the clock are refused as implausible.",
    )

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _replay_has_start(self) -> ClockConfig:
        if self.mode == "replay" and self.start is None:
            raise ValueError('start is required when mode = "replay", e.g. start = "2026-11-02T00:00:00Z"')
        return self


class BrandConfig(StrictModel):
    """A brand and what identifies a mention of it: a `query`, or the simpler list fields.

    Both forms compile to the same query AST (`query_ast`), which every mention is matched against
    locally and which collectors compile to their platform's search syntax.
    """

    name: Name
    query: str | None = Field(None, description="A query in the query language (see README); replaces keywords/phrases.")
    keywords: tuple[str, ...] = Field(default=(), description="Whole words, case-insensitive.")
    phrases: tuple[str, ...] = Field(default=(), description="Exact phrases, case-insensitive.")
    exclude: tuple[str, ...] = Field(default=(), description="A mention containing any of these is dropped.")
    languages: tuple[str, ...] = Field(default=(), description="ISO 639-1 codes; empty means any.")

    @field_validator("query")
    @classmethod
    def _parses(cls, query: str | None) -> str | None:
        if query is None:
            return None
        try:
            search_terms(parse(query))
        except QuerySyntaxError as error:
            raise ValueError(error.detail) from None
        return query

    @model_validator(mode="after")
    def _has_terms(self) -> BrandConfig:
        if self.query is not None and (self.keywords or self.phrases):
            raise ValueError(f"brand {self.name!r}: give either a query or keywords/phrases, not both")
        if self.query is None and not self.keywords and not self.phrases:
            raise ValueError(f"brand {self.name!r} needs at least one keyword or phrase, or a query")
        blank = [term for term in (*self.keywords, *self.phrases, *self.exclude) if not normalise(term)]
        if blank:
            raise ValueError(f"brand {self.name!r} has an empty search term")
        return self

    @property
    def query_ast(self) -> Node:
        """The whole brand as one query: the query (or any keyword or phrase), none of the
        excluded terms, one of the languages."""
        return _brand_ast(self)


@lru_cache(maxsize=1024)
def _brand_ast(brand: BrandConfig) -> Node:
    return from_terms(
        brand.keywords,
        brand.phrases,
        brand.exclude,
        brand.languages,
        query=parse(brand.query) if brand.query is not None else None,
    )


class SourceConfig(BaseModel):
    """A collector instance. Keys beyond these are the collector type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    type: str = Field(min_length=1)
    interval: Duration = Field(default=timedelta(minutes=5), description="How often the source is polled.")
    enabled: bool = True
    brands: list[str] | None = Field(None, description="Brands this source searches; default all.")

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ModelConfig(StrictModel):
    """The sentiment model: the shipped offline default, or any Hugging Face classifier."""

    name: str = Field(
        "default",
        description="'default' (offline, shipped), a shipped model by version ('e5-small-lora-v1', multilingual; "
        "'minilm-l6-lora-v1'), or a Hugging Face name or local path.",
    )
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        default_factory=dict,
        description="Maps the model's own label names to negative/neutral/positive.",
    )
    batch_size: int = Field(16, ge=1, le=1024, description="Texts per model call; 16 measured fastest on CPU.")
    max_length: int = Field(128, ge=8, le=4096, description="Tokens per text; longer texts are truncated.")
    runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="The default model's runtime: ONNX Runtime (faster, ~400 MB less memory) or torch."
    )
    threads: int = Field(0, ge=0, le=256, description="CPU threads for the model; 0 = one per core.")
    cache_size: int = Field(10_000, ge=0, description="Distinct recent texts whose verdicts are remembered; 0 = none.")
    detect_languages: tuple[str, ...] = Field(
        default=("en", "es", "pt", "fr", "de", "it", "nl", "ar", "hi", "ja", "zh", "ru", "tr", "ko"),
        description="ISO 639-1 codes the language detector chooses from; empty turns detection off.",
    )

    @field_validator("detect_languages")
    @classmethod
    def _known_languages(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        from listener.language import check_language_codes

        return check_language_codes(codes)


REPLACED_SETTINGS = {
    "threshold": "the tail probability a window had to beat",
    "rise_quantile": "the share of the baseline's rises a window had to beat",
}


def refuse_replaced_settings(data: Any) -> Any:
    """Refuse `threshold` and `rise_quantile`, saying how to convert, instead of a bare "extra field".

    Both were raw probabilities nobody could relate to pages; `false_alarms` says how often chance
    alone may page, whatever the window length (issue 11).
    """
    if isinstance(data, dict):
        replaced = [name for name in REPLACED_SETTINGS if name in data]
        if replaced:
            raise ValueError(
                f"{' and '.join(replaced)} {'were' if len(replaced) > 1 else 'was'} replaced by false_alarms, the alerts "
                "per brand and rule that chance alone may raise (default \"1/quarter\"); delete "
                f"{' and '.join(replaced)}, and if alerts came too often or too rarely set e.g. false_alarms = \"1/month\" "
                "(more alerts) or \"1/year\" (fewer)"
            )
    return data


class DetectionConfig(StrictModel):
    """Negative-spike detection, per brand, over fixed windows of mention time."""

    window: Duration = Field(default=timedelta(minutes=15))
    baseline: Duration = Field(
        default=timedelta(days=7), description="History the expected count (same time of day, earlier days) is learnt from."
    )
    min_baseline_windows: int = Field(8, ge=1, description="No alert until this many windows of history exist.")
    min_count: int = Field(5, ge=1, description="Never alert on fewer negative mentions than this in one window.")
    min_ratio: float = Field(2.0, ge=1.0, description="Observed must be at least this multiple of expected.")
    false_alarms: Rate = Field(
        default="1/quarter",
        validate_default=True,
        description="Alerts per brand and rule that may come from chance alone, e.g. 1/month, 2/week, 1/day.",
    )
    critical_ratio: float = Field(5.0, ge=1.0, description="Observed/expected at or above which severity is critical.")
    seasonal: bool = Field(
        True, description="Expect what the same time of day brought on the baseline's earlier days (else its median)."
    )
    cooldown: Duration = Field(
        default=timedelta(hours=24), description="Anomalous windows less than this apart are one incident (one alert)."
    )
    lateness: Duration = Field(
        default=timedelta(minutes=5), description="Judge a window only once every source polled this long after it closed."
    )
    source_wait: Duration = Field(
        default=timedelta(minutes=30), description="Stop waiting for a source that has not polled, or a mention not scored, for this long."
    )
    top_mentions: int = Field(5, ge=0, le=50)

    @model_validator(mode="before")
    @classmethod
    def _refuse_replaced(cls, data: Any) -> Any:
        return refuse_replaced_settings(data)


class NotifierConfig(BaseModel):
    """A notifier instance. Keys beyond these are the notifier type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    type: str = Field(min_length=1)
    enabled: bool = True

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class DeliveryConfig(StrictModel):
    """Outbox retry policy: exponential backoff, then dead letter."""

    max_attempts: int = Field(8, ge=1)
    initial_backoff: Duration = Field(default=timedelta(seconds=5))
    max_backoff: Duration = Field(default=timedelta(minutes=10))


# -- alert rules, grouping, routing and silences (alerts/rules.py, incidents.py, routing.py) ---

Metric = Literal["negative_volume", "negative_share", "net_sentiment", "volume"]
_QUIET_HOURS = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """`"22:00-07:00"` -> (22:00, 07:00); the range may wrap past midnight."""
    match = _QUIET_HOURS.match(text)
    if match is None:
        raise ValueError(f"invalid quiet hours {text!r}: use local HH:MM-HH:MM, e.g. 22:00-07:00")
    start = time(int(match.group(1)), int(match.group(2)))
    end = time(int(match.group(3)), int(match.group(4)))
    if start == end:
        raise ValueError(f"invalid quiet hours {text!r}: start and end are the same time")
    return start, end


class RuleConfig(StrictModel):
    """One thing to watch per brand. Detection settings left out are taken from `[detection]`."""

    name: Name
    metric: Metric = "negative_volume"
    brands: list[str] | None = Field(None, description="Brands this rule watches; default all.")
    enabled: bool = True
    window: Duration | None = None
    baseline: Duration | None = None
    min_baseline_windows: int | None = Field(None, ge=1)
    min_count: int | None = Field(None, ge=1, description="Fewest mentions counted by the metric to alert on.")
    min_ratio: float | None = Field(None, ge=1.0)
    false_alarms: Rate | None = None
    critical_ratio: float | None = Field(None, ge=1.0)
    split_by: list[Literal["source", "language"]] = Field(
        default_factory=list, description="Judge each source and/or language on its own."
    )
    quiet_hours: str | None = Field(None, description="Local HH:MM-HH:MM with no new notifications.")
    timezone: str = Field("UTC", description="IANA time zone of quiet_hours.")

    @model_validator(mode="before")
    @classmethod
    def _refuse_replaced(cls, data: Any) -> Any:
        return refuse_replaced_settings(data)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin") from None
        return value

    @field_validator("split_by")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("split_by lists a dimension twice")
        return value


class AlertingConfig(StrictModel):
    """How firing windows become incidents and messages (Alertmanager's grouping semantics)."""

    group_by: list[Literal["brand", "rule", "metric", "source", "language"]] = Field(
        default_factory=lambda: ["brand"], description="Firing windows sharing these are one incident; brand always is."
    )
    repeat_interval: Duration = Field(default=timedelta(hours=4), description="Re-send while an incident lasts.")
    resolve_after: Duration | None = Field(
        None, description="No firing window for this long ends an incident; default [detection].cooldown."
    )
    send_resolved: bool = Field(True, description="Also send a message when an incident ends.")


class RouteConfig(StrictModel):
    """Which receivers (notifier names) get an alert; empty match lists match anything."""

    brands: list[str] = Field(default_factory=list)
    severities: list[Literal["warning", "critical"]] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    receivers: list[str] = Field(default_factory=list, description="Notifier names; empty sends nothing.")
    continue_matching: bool = Field(False, description="Keep matching later routes after this one matched.")


class SilenceConfig(StrictModel):
    """A planned silence (maintenance, a launch): incidents are recorded but not delivered."""

    brand: str | None = Field(None, description="Default: every brand.")
    rule: str | None = Field(None, description="Default: every rule.")
    starts: datetime
    ends: datetime
    reason: str = Field(min_length=1)

    @field_validator("starts", "ends")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _ordered(self) -> SilenceConfig:
        if self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self


DEFAULT_RULE = "negative_spike"
"""The rule `[detection]` alone defines when no `[[rules]]` are configured."""


class WebConfig(StrictModel):
    """The dashboard and JSON API (`listener serve`, and `listener run` unless disabled).

    Passwords are stored only as argon2 hashes (`listener web hash-password`), either in the file
    or in an environment variable named by `${NAME}`; API tokens and the session secret only ever
    come from the environment.
    """

    enabled: bool = Field(True, description="Whether `listener run` also serves the dashboard.")
    host: str = Field("127.0.0.1", min_length=1, description="Loopback by default: put a TLS proxy in front to expose it.")
    port: int = Field(8000, ge=1, le=65535)
    users: dict[str, str] = Field(
        default_factory=dict, description="Login name -> argon2 hash, or ${ENV} holding one."
    )
    api_tokens: list[Secret] = Field(default_factory=list, description="Bearer tokens for the API, from the environment.")
    session_secret: Secret | None = Field(
        None, description="Signs session cookies; unset means a random one per process (logins end on restart)."
    )
    session_max_age: Duration = Field(default=timedelta(hours=12), description="How long a login lasts.")
    secure_cookies: bool = Field(False, description="Send the session cookie over HTTPS only (behind a TLS proxy).")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the dashboard answers besides localhost and `host` (e.g. the proxy's public "
        "name, or *.example.com); a request for any other Host gets 400.",
    )

    @field_validator("users")
    @classmethod
    def _hashed_passwords(cls, users: dict[str, str]) -> dict[str, str]:
        for name, stored in users.items():
            if not name.strip():
                raise ValueError("a user name is empty")
            if not (stored.startswith("$argon2") or _is_env_reference(stored)):
                raise ValueError(
                    f"user {name!r}: give an argon2 hash from `listener web hash-password` or an environment "
                    "variable reference such as ${LISTENER_PASSWORD_HASH}; never a plain password"
                )
        return users


# -- scheduled digests (listener/digest.py) ---------------------------------------------------

_LOCAL_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
ClockTime = time
"""datetime.time under a name that DigestConfig's `time` field does not shadow."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestConfig(StrictModel):
    """A daily or weekly email per brand: the period's charts, numbers, notable mentions and alerts.

    A daily digest sent on day D covers local day D-1; a weekly one covers the seven local days
    before the send day. Each (digest, brand, period) is sent once, however often the daemon restarts.
    """

    name: Name
    brands: list[str] | None = Field(None, description="Brands to send a digest for; default all.")
    schedule: Literal["daily", "weekly"] = "daily"
    time: str = Field("08:00", description="Local HH:MM at which the digest goes out.")
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        "monday", description="Weekly digests: the day they go out."
    )
    timezone: str = Field("UTC", description="IANA time zone of time, weekday and the period's days.")
    notifier: str = Field(min_length=1, description="An email notifier whose SMTP server and sender are used.")
    recipients: list[str] = Field(default_factory=list, description="Default: the notifier's recipients.")
    top_mentions: int = Field(5, ge=0, le=20, description="Notable mentions listed per kind.")
    enabled: bool = True

    @field_validator("time")
    @classmethod
    def _local_time(cls, value: str) -> str:
        if _LOCAL_TIME.match(value) is None:
            raise ValueError(f"invalid time {value!r}: use local HH:MM, e.g. 08:00")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin") from None
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        from email.utils import getaddresses

        for value in values:
            parsed = getaddresses([value])
            if len(parsed) != 1 or "@" not in parsed[0][1]:
                raise ValueError(f"{value!r} is not an email address such as marketing@example.com")
        return values

    @property
    def local_time(self) -> ClockTime:
        hour, minute = self.time.split(":")
        return ClockTime(int(hour), int(minute))


class ListenerConfig(StrictModel):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    brands: list[BrandConfig] = Field(min_length=1)
    sources: list[SourceConfig] = Field(min_length=1)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    rules: list[RuleConfig] = Field(default_factory=list, description="Default: one rule from [detection].")
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    routes: list[RouteConfig] = Field(default_factory=list, description="Default: every enabled notifier.")
    silences: list[SilenceConfig] = Field(default_factory=list)
    web: WebConfig = Field(default_factory=WebConfig)
    digests: list[DigestConfig] = Field(default_factory=list)
    process_interval: Duration = Field(
        default=timedelta(seconds=10), description="How often new mentions are scored and windows checked."
    )

    def brand(self, name: str) -> BrandConfig:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(f"brand {name!r} is not in the config (known: {', '.join(b.name for b in self.brands)})")


def _is_env_reference(value: str) -> bool:
    return re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", value) is not None


class ConfigError(Exception):
    """A configuration file that cannot be used, with every problem found in it."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {problem}" for problem in problems))


def format_location(location: tuple[int | str, ...]) -> str:
    """`('sources', 0, 'interval')` -> `sources[0].interval`."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _problems(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> list[str]:
    problems = []
    for item in error.errors():
        location = format_location(prefix + tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(f"{location}: {message}" if location else message)
    return problems


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
    """Each source's and notifier's own settings, checked against its plugin's model."""
    from alerts.notifiers import notifier_settings_model
    from listener.sources import collector_settings_model

    problems: list[str] = []
    sections: list[tuple[str, type[BaseModel], Any]] = [
        ("sources", SourceConfig, collector_settings_model),
        ("notifiers", NotifierConfig, notifier_settings_model),
    ]
    for section, base_model, settings_model_for in sections:
        for index, entry in _entries(raw, section):
            if not isinstance(entry.get("type"), str) or not entry["type"]:
                continue
            try:
                settings_model = settings_model_for(entry["type"])
            except KeyError as unknown:
                problems.append(f"{section}[{index}].type: {unknown.args[0]}")
                continue
            settings = {key: value for key, value in entry.items() if key not in base_model.model_fields}
            try:
                settings_model.model_validate(settings)
            except ValidationError as error:
                problems.extend(_problems(error, (section, index)))
    return problems


def _cross_reference_problems(raw: dict[str, Any]) -> list[str]:
    """Names must be unique in their section, and every name one section uses from another must
    be defined there (Alertmanager's receivers, in our sections)."""
    problems: list[str] = []
    for section in ("brands", "sources", "notifiers", "rules", "digests"):
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
    from alerts.notifiers import notifier_settings_model
    from listener.sources import collector_settings_model

    resolved = dict(raw)
    storage = raw.get("storage")
    if isinstance(storage, dict) and isinstance(storage.get("url"), str):
        resolved["storage"] = {**storage, "url": _sqlite_relative_to(base_dir, storage["url"])}
    for section, settings_model_for in (("sources", collector_settings_model), ("notifiers", notifier_settings_model)):
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

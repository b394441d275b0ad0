"""Server-rendered pages: the login form and the per-brand overview.

Everything a mention's author wrote reaches the page either through Jinja2 (autoescaped) or
through the JSON data island (`tojson` escapes `<`, `>` and `&`), which the script only ever puts
into the page with textContent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from alerts.notify.render import describe_share, describe_volume, kind_label
from listener.config import ListenerConfig
from listener.core.buckets import BUCKETS, Bucket, bucket_next
from listener.core.records import AlertEvidence
from listener.core.terms import brand_words
from listener.core.themes import describe
from listener.storage.filters import iso
from listener.storage.queries import AlertRecord, Analytics, MentionFilter, SeriesRow
from listener.storage.topics import alert_evidence
from listener.web.auth import (
    LoginBusy,
    authenticator,
    check_csrf,
    client_address,
    csrf_token,
    require_page_user,
    safe_next,
)
from listener.web.params import mention_filter
from listener.web.plotly_asset import plotly_url
from listener.web.responses_api import response_panel
from listener.web.topics_api import overview_for

TEMPLATES = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True)
)

TEMPLATES.env.globals["kind_label"] = kind_label
TEMPLATES.env.globals["plotly_url"] = plotly_url

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    if authenticator(request).current_user(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token_field)
    auth = authenticator(request)
    now, client = auth.clock.now(), client_address(request)
    if wait := auth.throttle.blocked_for(client, username, now):
        minutes = max(1, round(wait.total_seconds() / 60))
        message = f"Too many failed logins from here: try again in {minutes} minute{'s' if minutes > 1 else ''}."
        return _login_page(request, safe_next(next), error=message, status_code=429)
    try:
        verified = auth.verify_login(username, password)
    except LoginBusy:
        response = _login_page(request, safe_next(next), error="Too many logins at once: try again in a moment.", status_code=503)
        response.headers["Retry-After"] = "1"
        return response
    if not verified:
        auth.throttle.failed(client, username, now)
        return _login_page(request, safe_next(next), error="Wrong user name or password.", status_code=401)
    auth.throttle.succeeded(client, username)
    auth.log_in(request, username)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    check_csrf(request, csrf_token_field)
    authenticator(request).log_out(request)
    return RedirectResponse("/login", status_code=303)


def _login_page(request: Request, next_path: str, error: str | None = None, status_code: int = 200) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": csrf_token(request), "next": next_path, "error": error},
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    user: Annotated[str, Depends(require_page_user)],
    selected: Annotated[MentionFilter, Depends(mention_filter)],
    bucket: Bucket | None = None,
) -> Response:
    config: ListenerConfig = request.app.state.config
    queries: Analytics = request.app.state.analytics
    brand_names = [brand.name for brand in config.brands]
    brand = config.brand(selected.brand or brand_names[0])
    selected = replace(selected, brand=brand.name)
    bucket = bucket or _default_bucket(queries, selected)
    series = queries.series(selected, bucket)
    alerts = queries.alerts(selected, limit=200)
    comparison = queries.compare_periods(selected)
    page_data = {
        "brand": selected.brand,
        "bucket": bucket,
        "filter": _filter_query(selected),
        "series": [_chart_row(row, bucket) for row in series],
        "min_net_mentions": MIN_NET_MENTIONS,
        **_chart_alerts(alerts, series, bucket, alert_evidence(request.app.state.store.engine, [alert.id for alert in alerts])),
        "share_of_voice": queries.share_of_voice(selected, brand_names),
        "model_changes": [change.as_json() for change in queries.model_changes(selected)],
    }
    context = {
        "user": user,
        "csrf_token": csrf_token(request),
        "brands": brand_names,
        "selected": selected,
        "bucket": bucket,
        "buckets": BUCKETS,
        "choices": queries.known_values(),
        "configured_sources": [source.name for source in config.sources],
        "totals": _totals(series),
        "comparison": comparison,
        "comparison_label": period_label(comparison.length),
        "alerts": alerts,
        "authors_by_reach": queries.top_authors(selected, "reach", 10),
        "authors_by_negative": queries.top_authors(selected, "negative", 10),
        "terms": queries.top_terms(selected, 10, excluded=brand_words(brand.name, [*brand.keywords, *brand.phrases])),
        "page_data": page_data,
        "export_query": _export_query(selected, bucket),
        "since_value": _input_value(selected.since),
        "until_value": _input_value(selected.until),
        "judging_stalls": request.app.state.store.judging_stalls(),
        "responses": response_panel(request, selected),
        "topics": [topic.name for topic in config.topics],
        "topic_overview": overview_for(request, selected) if config.topics else None,
    }
    return TEMPLATES.TemplateResponse(request, "overview.html", context)


SPIKE_KINDS = ("firing", "escalation")
MIN_NET_MENTIONS = 10
"""A bucket with fewer mentions leaves a gap in the net sentiment line: at night two or three
mentions swing it to ±1, which reads as news. Its value is still marked, and shown on hover."""


def _chart_row(row: SeriesRow, bucket: Bucket) -> dict[str, object]:
    """A series row as the volume chart draws it: with its bucket's end (each bar spans its whole
    bucket) and `net_sentiment_charted`, None where the line leaves a gap."""
    charted = row.net_sentiment if row.mentions >= MIN_NET_MENTIONS else None
    return {**row.as_json(), "bucket_end": iso(bucket_next(row.bucket_start, bucket)), "net_sentiment_charted": charted}


def _spike(alert: AlertRecord, evidence: AlertEvidence | None) -> dict[str, object]:
    """An alert marker's data, with two lines of its evidence as every alert message says them:
    its stories, and all mentions beside the usual with the negative share beside its usual one
    (empty for alerts stored without them)."""
    volume = ""
    if evidence is not None and evidence.volume is not None:
        share = describe_share(alert.negative_share, evidence.volume)
        volume = f"All mentions: {describe_volume(evidence.volume, alert.negative_share, alert.kind)}. Negative share: {share}."
    stories = describe(evidence.stories, evidence.stories_from) if evidence is not None else ""
    return {**alert.as_json(), "stories": stories, "volume": volume}


def _chart_alerts(
    alerts: list[AlertRecord], series: list[Any], bucket: Bucket, evidence: dict[int, AlertEvidence] | None = None
) -> dict[str, list[dict[str, object]]]:
    """What the volume chart marks: `spikes`, the windows that opened or escalated an incident,
    and `resolutions`, where one ended. A repeat is the same spike again and a resolution is no
    spike at all (its window is quiet), so neither gets a spike marker; a resolution outside the
    charted buckets is left out rather than stretching the time axis over empty days. Each spike
    carries the `stories` and `volume` lines of its evidence, which its drill-down shows."""
    evidence = evidence or {}
    spikes = [_spike(alert, evidence.get(alert.id)) for alert in alerts if alert.kind in SPIKE_KINDS]
    resolutions: list[dict[str, object]] = []
    if series:
        first, end = series[0].bucket_start, bucket_next(series[-1].bucket_start, bucket)
        resolutions = [
            alert.as_json() for alert in alerts if alert.kind == "resolved" and first <= alert.window_start < end
        ]
    return {"spikes": spikes, "resolutions": resolutions}


def _default_bucket(queries: Analytics, selected: MentionFilter) -> Bucket:
    """Hours for a few days, days for a few months, weeks beyond: a readable number of bars."""
    span = queries.span(selected)
    if span is None or span <= timedelta(days=4):
        return "hour"
    return "day" if span <= timedelta(days=120) else "week"


def _totals(series: list[Any]) -> dict[str, int]:
    """The KPIs. Scoring lags collection, so `unscored` is shown beside the labels: negative +
    neutral + positive + unscored is always `mentions`."""
    totals = {key: sum(getattr(row, key) for row in series) for key in ("mentions", "negative", "neutral", "positive")}
    totals["unscored"] = totals["mentions"] - totals["negative"] - totals["neutral"] - totals["positive"]
    return totals


def period_label(length: timedelta) -> str:
    """"Last 7 days vs the 7 before", or for a shorter selected range e.g. "Selected 36 hours vs the 36 before"."""
    if length == timedelta(weeks=1):
        return "Last 7 days vs the 7 before"
    for unit, width in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
        if length >= width and length % width == timedelta(0):
            break
    else:
        unit, width = "minute", timedelta(minutes=1)
    count = max(1, round(length / width))
    if count == 1:
        return f"Selected {unit} vs the {unit} before"
    return f"Selected {count} {unit}s vs the {count} before"


def _filter_query(selected: MentionFilter) -> dict[str, Any]:
    """The filter as API query parameters, for the drill-down requests the page's script makes."""
    query: dict[str, Any] = {
        "brand": selected.brand,
        "since": iso(selected.since) if selected.since else None,
        "until": iso(selected.until) if selected.until else None,
        "source": list(selected.sources),
        "language": list(selected.languages),
        "sentiment": list(selected.sentiments),
        "q": selected.search,
        "topic": list(selected.topics),
    }
    return {key: value for key, value in query.items() if value}


def _export_query(selected: MentionFilter, bucket: str) -> str:
    return urlencode({**_filter_query(selected), "bucket": bucket}, doseq=True)


def _input_value(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


"""`/metrics`: this process's Prometheus metrics (`listener.app.metrics`), in the text format.

Not behind the dashboard login, like `/healthz`: a Prometheus server scrapes it with no session.
It holds counts per source name and nothing a mention says; keep the dashboard's port private if
even source names must not be seen.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

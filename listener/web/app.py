"""The dashboard's FastAPI application: pages, JSON API, static files, auth and error shapes."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from listener.config import ListenerConfig
from listener.core.clock import Clock
from listener.storage.database import open_database
from listener.storage.queries import Analytics
from listener.storage.repository import Store
from listener.storage.web_sessions import WebSessionStore
from listener.web import api, churn_api, metrics_api, pages, ratings_api, responses_api, surveys_api, topics_api
from listener.web.auth import Authenticator, LoginRequired, login_url, require_api_user
from listener.web.errors import install_error_handlers
from listener.web.hardening import HardeningMiddleware, allowed_hosts
from listener.web.openapi import describe_deployment
from listener.web.plotly_asset import (
    CACHE_FOREVER,
    PLOTLY_JS,
    accepts_gzip,
    plotly_gzipped,
    plotly_url,
)

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")

def create_app(config: ListenerConfig, store: Store | None = None, host: str | None = None, clock: Clock | None = None) -> FastAPI:
    """The web app over `store` (by default, the configured database), listening on `host` (by
    default [web] host), which it also accepts as the Host header. `clock` times sessions, logins
    and download names (the system clock unless a test passes one)."""
    store = store or Store(open_database(config.storage.url))
    app = FastAPI(
        title="social-listener API",
        version="1",
        description="Mentions, sentiment series and alerts of the configured brands. "
        "Authenticate with a login session or `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind the same authentication as the API
    )
    app.state.config = config
    app.state.store = store
    app.state.analytics = Analytics(store, config.clock.max_future)
    app.state.auth = Authenticator(config.web, WebSessionStore(store.engine), clock=clock)
    if not config.web.users and not config.web.api_tokens:
        log.warning("dashboard: no [web] users or api_tokens are configured, so nobody can log in")
    app.add_middleware(
        SessionMiddleware,
        secret_key=_session_secret(config),
        session_cookie="listener_session",
        max_age=int(config.web.session_max_age.total_seconds()),
        same_site="lax",
        https_only=config.web.secure_cookies,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host or config.web.host, config.web.allowed_hosts))
    app.add_middleware(HardeningMiddleware)  # outermost: also over the 400 and 500 answers

    @app.exception_handler(LoginRequired)
    async def _to_login(_request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(login_url(error.next_path), status_code=303)

    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, Any]:
        """`status` answers whether the database is reachable, as before; `stalled_brands` lists the
        brands the daemon judges without some of their mentions (unscored past source_wait), so a
        monitor can page on a brand whose alerts would otherwise fail silently."""
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "stalled_brands": [stall.brand for stall in store.judging_stalls()]}

    @app.get(plotly_url(), include_in_schema=False)
    def plotly_js(request: Request) -> Response:
        """plotly.js from the installed `plotly` package: the dashboard never loads code from a CDN."""
        headers = {"Cache-Control": CACHE_FOREVER, "Vary": "Accept-Encoding"}
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            return Response(plotly_gzipped(), media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=headers)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_api_user)])
    def openapi() -> dict[str, Any]:
        return app.openapi()

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router)
    app.include_router(surveys_api.router)
    app.include_router(ratings_api.router)
    app.include_router(responses_api.router)
    app.include_router(churn_api.router)
    app.include_router(metrics_api.router)
    app.include_router(topics_api.router)
    app.include_router(pages.router)
    describe_deployment(app, [brand.name for brand in config.brands], [topic.name for topic in config.topics])
    return app


def _session_secret(config: ListenerConfig) -> str:
    secret = config.web.session_secret.resolve() if config.web.session_secret else None
    if secret:
        return secret
    log.info("dashboard: no session secret set (web.session_secret), so logins last until this process restarts")
    return secrets.token_urlsafe(32)


"""Running the web app: in the foreground (`listener serve`) or beside the daemon (`listener run`).

Beside the daemon it runs in a thread, so a dashboard that cannot start (its port is taken) is
logged and the daemon keeps collecting: losing the charts must never mean losing mentions.
"""

from __future__ import annotations

import logging
import threading
import time

import uvicorn

from listener.config import ListenerConfig
from listener.storage.repository import Store
from listener.web.app import create_app

log = logging.getLogger(__name__)


def _server(config: ListenerConfig, store: Store | None, host: str, port: int) -> uvicorn.Server:
    app = create_app(config, store, host)
    # log_config=None: uvicorn's records go through the CLI's own logging set-up.
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off", access_log=False))


def serve(config: ListenerConfig, host: str | None = None, port: int | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    host, port = host or config.web.host, port or config.web.port
    server = _server(config, None, host, port)
    log.info("dashboard on http://%s:%d/ (API under /api/v1, OpenAPI at /openapi.json)", host, port)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind; say what to change instead
        pass
    if not server.started:
        log.error("cannot listen on %s:%d (port in use?): pass --port or set [web] port", host, port)
        raise SystemExit(2)


class BackgroundServer:
    """The dashboard in a daemon thread; `stop()` lets requests in flight finish."""

    def __init__(self, config: ListenerConfig, store: Store | None = None, host: str | None = None, port: int | None = None):
        self.host, self.port = host or config.web.host, port if port is not None else config.web.port
        self.server = _server(config, store, self.host, self.port)
        self.thread = threading.Thread(target=self._run, name="dashboard", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn exits when it cannot bind
            pass
        if not self.server.started:
            log.error(
                "dashboard not started: cannot listen on %s:%d (port in use?); set [web] port, or enabled = false",
                self.host, self.port,
            )

    def start(self) -> BackgroundServer:
        self.thread.start()
        return self

    def wait_started(self, timeout: float = 10.0) -> bool:
        """Whether the server listens within `timeout` seconds (False if it failed to start)."""
        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.server.started

    @property
    def url(self) -> str:
        """The address it listens on; with port 0 the OS picked the port."""
        port = self.server.servers[0].sockets[0].getsockname()[1] if self.server.servers else self.port
        return f"http://{self.host}:{port}"

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

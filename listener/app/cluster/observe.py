"""`/metrics` and `/healthz` of a scheduler or worker node, on `[cluster] metrics_port`.

The dashboard serves them for `listener run`; cluster nodes have no dashboard, so each runs this
small HTTP server in a thread. `/healthz` answers 200 with the node's role and readiness (a
scheduler: whether it leads or stands by, both healthy), 503 while the node is not ready.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from listener.app.cluster.shared_metrics import metrics_are_shared

log = logging.getLogger(__name__)

Readiness = Callable[[], dict[str, object]]
"""The node's state for /healthz; `ready` False answers 503."""


def _registry() -> CollectorRegistry:
    """This process's metrics, or, in a prefork worker, every process's summed (`shared_metrics`)."""
    if not metrics_are_shared():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def serve_observability(port: int, readiness: Readiness, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(_registry()))
            elif self.path == "/healthz":
                state = readiness()
                self._reply(200 if state.get("ready") else 503, "application/json", json.dumps(state).encode())
            else:
                self._reply(404, "text/plain", b"not found: /metrics or /healthz\n")

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - scrapes are not news
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="observability", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics, health on /healthz", host, server.server_address[1])
    return server

"""Counters of a prefork worker's children on the parent's `/metrics`.

`listener worker --concurrency N` forks N children that do the work; the parent, which serves
`/metrics`, does none. Each process's counters live in its own memory, so the parent would report
zeros. prometheus-client's multiprocess mode keeps every process's values in files of one folder
instead, and `/metrics` sums them. The mode is chosen when prometheus-client is imported, so the
worker command calls `share_metrics_across_processes` before anything imports it.

Gauges say how they combine (`listener.app.metrics`): a source's backoff is the longest any live
child waits. Counters of children that died stay in the sums, as Prometheus expects of counters.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's own setting: where every process writes its values."""


def share_metrics_across_processes() -> str:
    """Put this process and its future children in multiprocess mode; return the folder.

    A folder the environment already names (a deployment that keeps it on tmpfs, say) is used as
    it is; otherwise a fresh one is made and removed at exit. Must run before prometheus-client is
    imported: afterwards it is refused, as the metrics already made would count alone."""
    if "prometheus_client" in sys.modules and FOLDER_VARIABLE not in os.environ:
        raise RuntimeError("share_metrics_across_processes must run before prometheus_client is imported")
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder is None:
        folder = tempfile.mkdtemp(prefix="listener-metrics-")
        os.environ[FOLDER_VARIABLE] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def metrics_are_shared() -> bool:
    return FOLDER_VARIABLE in os.environ


def forget_dead_process(pid: int) -> None:
    """Drop a child's live gauges when it exits (Celery's `worker_process_shutdown`)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)

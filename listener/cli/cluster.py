"""`listener scheduler` and `listener worker`: the roles of the multi-node mode (`[cluster]`)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from listener.cli.common import config_option, load
from listener.cli.log_format import log_format_option
from listener.config import QUEUE_ROLES, ListenerConfig


@click.command()
@config_option
@log_format_option
def scheduler(config_path: str | None) -> None:
    """Schedule the cluster's work: one scheduler leads (a PostgreSQL advisory lock), the others
    stand by and take over within seconds when it dies. Runs until SIGINT/SIGTERM."""
    from listener.app.cluster.scheduler import run_scheduler

    config = load(config_path)
    _require_cluster(config)
    stop = threading.Event()

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    run_scheduler(config, stop)


def _parse_roles(_ctx: click.Context, _param: click.Parameter, value: str) -> list[str]:
    roles = [role.strip() for role in value.split(",") if role.strip()]
    unknown = [role for role in roles if role not in QUEUE_ROLES]
    if unknown or not roles:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {','.join(QUEUE_ROLES)}")
    return roles


@click.command()
@config_option
@log_format_option
@click.option(
    "--queues", "roles", default=",".join(QUEUE_ROLES), show_default=True, callback=_parse_roles,
    help="Kinds of work this worker takes (their queue names come from [cluster.queues]).",
)  # fmt: skip
@click.option(
    "--concurrency", default=1, show_default=True, type=click.IntRange(1, 256),
    help="Worker processes; 1 runs tasks in this process, more fork one child each (each loads the model).",
)  # fmt: skip
def worker(config_path: str | None, roles: list[str], concurrency: int) -> None:
    """Run a Celery worker for the cluster's work until SIGINT/SIGTERM (finishing the task in hand)."""
    if concurrency > 1:  # the children do the work: /metrics must sum them (before prometheus is imported)
        from listener.app.cluster.shared_metrics import share_metrics_across_processes

        share_metrics_across_processes()
    from listener.app.cluster.worker import run_worker

    config = load(config_path)
    _require_cluster(config)
    run_worker(config, roles, concurrency)


def _require_cluster(config: ListenerConfig) -> None:
    if config.cluster is None:
        raise click.UsageError(
            "the config has no [cluster] section: add one (README, Running a cluster) or use `listener run`"
        )
    try:
        import celery  # noqa: F401 - only whether it is installed
    except ImportError:
        raise click.UsageError("the cluster needs Celery: pip install 'social-listener[cluster]'") from None

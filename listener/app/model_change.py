"""Say when the model about to score is not the one that scored the stored history.

An upgrade can change the shipped default (minilm-l6-lora-v1 to e5-small-lora-v2), and a config
edit can name another model. Either way the detector goes on comparing the new model's negative
counts with a history the old one labelled: a model that calls more mentions negative reads as a
spike, one that calls fewer can hide one. The dashboard marks the date of the change; this tells
the operator at start-up, with the one command that moves what the detector reads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from alerts.detect.rules import rules_from_config
from alerts.detect.windows import history_reach
from listener.config import ListenerConfig
from listener.storage.repository import Store

log = logging.getLogger(__name__)


def detector_reach(config: ListenerConfig) -> timedelta | None:
    """How far back the detector reads: the longest of its rules' histories."""
    return max((history_reach(rule) for rule in rules_from_config(config)), default=None)


def warn_of_model_change(store: Store, config: ListenerConfig, version: str, now: datetime) -> str | None:
    """Log (and return) a warning when the newest scored mention was scored by another model.

    Best effort: with the database away at start-up the check is skipped (and said), since the
    model must still load and the pass that needed it has its own outage handling."""
    try:
        latest = store.latest_scoring_model()
    except SQLAlchemyError as error:
        log.info("could not check which model scored the stored mentions: %s", error)
        return None
    if latest is None or latest[0] == version:
        return None
    previous, until = latest
    reach = detector_reach(config)
    since = (now - reach).date().isoformat() if reach is not None else until.date().isoformat()
    message = (
        f"sentiment model changed: stored mentions up to {until:%Y-%m-%d %H:%M} UTC were scored by {previous}, "
        f"new ones by {version}; alerts compare the two until the history is rescored: "
        f"`listener rescore --since {since}` rescores what the detector reads"
    )
    log.warning(message)
    return message

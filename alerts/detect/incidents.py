"""Incidents: judged windows in, the messages staff should get out (Alertmanager's grouping).

Firing windows of one brand (by default; `group_by` can add rule, metric, source, language) are
one incident while they keep coming no more than `resolve_after` apart. An incident gets:

- one `firing` message when it opens, however many rules, metrics or sources fire with it;
- an `escalation` at once when it goes from warning to critical: a bigger spike inside an open
  incident is news to whoever is on call, so it is sent like a new alert (and `listener
  backtest` marks it as one);
- a `repeat` with the current numbers while it keeps firing, every `repeat_interval`;
- one `resolved` message once no window has fired for `resolve_after`, dated to the first quiet
  window judged from `last_firing + resolve_after` on (the moment it became resolved), with that
  window's numbers, however the windows were batched into passes.

All of them carry the incident's key, so notifiers thread them. Times are window times (mention
time), so a replay behaves exactly like the live daemon, and `listener backtest` drives this same
book window by window: its `alert` column is where the daemon sends a `firing` message. This
module is pure: the engine loads the open incidents, feeds judged windows in time order, and
stores what comes out, with the incidents' new state, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Sequence

from alerts.detect.detector import Detection
from alerts.detect.rules import Rule
from listener.core.records import AlertKind
from listener.core.records import IncidentState, WindowCount

SEVERITY_RANK = {"warning": 1, "critical": 2}


@dataclass(frozen=True)
class Firing:
    """One judged window of one rule (and split), anomalous or not."""

    rule: Rule
    window: WindowCount
    detection: Detection
    split: tuple[tuple[str, str], ...] = ()
    """(dimension, value) pairs of a split rule, e.g. (("source", "reddit"),)."""
    counted_until: datetime | None = None
    """Set when the window was judged before it was complete (`alerts/detect/early.py`): its count is
    the mentions collected and scored up to this daemon-clock time, and can only grow."""

    @property
    def start(self) -> datetime:
        return self.window.start

    @property
    def end(self) -> datetime:
        return self.window.start + self.rule.window

    @property
    def rule_label(self) -> str:
        """The rule's name, with its split when it has one: `negative_spike[source=reddit]`."""
        if not self.split:
            return self.rule.name
        return f"{self.rule.name}[{','.join(f'{name}={value}' for name, value in self.split)}]"


@dataclass(frozen=True)
class GroupingPolicy:
    group_by: tuple[str, ...] = ("brand",)
    repeat_interval: timedelta = timedelta(hours=4)
    resolve_after: timedelta = timedelta(hours=2)
    send_resolved: bool = True


@dataclass(frozen=True)
class Message:
    """A message the incident calls for; the engine decides whether and where it is delivered."""

    kind: AlertKind
    incident: IncidentState
    firing: Firing | None
    """Whose numbers the message shows: the window that fired, or for `resolved` the first quiet
    window judged from `last_firing + resolve_after` on (None when this pass judged no such window
    of the incident's group, e.g. a split with no mention since: nothing to show)."""
    retry: bool = False
    """A `firing` message for an incident whose first message reached nobody (silenced, quiet
    hours): worth sending now only if it would reach someone; otherwise dropped unrecorded."""


def group_key(brand: str, firing: Firing, group_by: Sequence[str]) -> str:
    """`Acme`, or with more labels `Acme|rule=negative_spike|source=reddit`."""
    split = dict(firing.split)
    labels = {"rule": firing.rule.name, "metric": firing.rule.metric, **split}
    parts = [brand] + [f"{name}={labels.get(name, '*')}" for name in group_by if name != "brand"]
    return "|".join(parts)


class IncidentBook:
    """The open incidents of one brand, advanced window by window."""

    def __init__(self, brand: str, policy: GroupingPolicy, open_incidents: Sequence[IncidentState] = ()):
        self.brand = brand
        self.policy = policy
        self.open: dict[str, IncidentState] = {incident.group_key: incident for incident in open_incidents}
        self._changed: dict[str, IncidentState] = {}
        self._resolving: dict[str, Firing] = {}
        """Per open incident's group, the first quiet window judged from `last_firing +
        resolve_after` on: the window that resolves it, whichever pass the resolution happens in."""

    @property
    def changed(self) -> list[IncidentState]:
        """Incidents opened, updated or resolved since the book was loaded: what to store."""
        return list(self._changed.values())

    def observe(self, firing: Firing) -> list[Message]:
        """Feed one judged window (in time order); returns the messages it calls for."""
        group = group_key(self.brand, firing, self.policy.group_by)
        incident = self.open.get(group)
        messages: list[Message] = []
        if not firing.detection.anomalous:
            if incident is not None and firing.start >= incident.last_firing + self.policy.resolve_after:
                self._resolving.setdefault(group, firing)
            return messages
        if incident is not None and firing.start - incident.last_firing > self.policy.resolve_after:
            messages.append(self._resolve(incident))
            incident = None
        severity = firing.detection.severity or "warning"
        if incident is None:
            incident = IncidentState(
                key=f"{group}@{firing.start.isoformat()}",
                brand=self.brand,
                group_key=group,
                status="open",
                rule=firing.rule_label,
                metric=firing.rule.metric,
                severity=severity,
                started_at=firing.start,
                last_firing=firing.start,
            )
            messages.append(Message("firing", self._save(incident), firing))
        else:
            escalated = SEVERITY_RANK[severity] > SEVERITY_RANK.get(incident.severity, 0)
            incident = self._save(
                replace(
                    incident,
                    last_firing=max(incident.last_firing, firing.start),
                    severity=severity if escalated else incident.severity,
                )
            )
            self._resolving.pop(group, None)  # it fired again: the quiet stretch starts over
            if not incident.receivers:
                messages.append(Message("firing", incident, firing, retry=True))
            elif escalated:
                messages.append(Message("escalation", incident, firing))
            elif (
                incident.last_message_at is None
                or firing.end - incident.last_message_at >= self.policy.repeat_interval
            ):
                messages.append(Message("repeat", incident, firing))
        return messages

    def sent(self, message: Message, receivers: Sequence[str]) -> None:
        """Record that `message` was stored and queued for `receivers` (none when suppressed)."""
        if message.kind == "resolved":
            return
        assert message.firing is not None
        incident = self.open[message.incident.group_key]
        merged = tuple(dict.fromkeys((*incident.receivers, *receivers)))
        self._save(replace(incident, last_message_at=message.firing.end, receivers=merged))

    def resolve_due(self, judged_through: datetime) -> list[Message]:
        """Resolve every open incident with no firing window for `resolve_after` up to
        `judged_through`, the start of the latest window every rule of the brand has judged."""
        return [
            self._resolve(incident)
            for incident in list(self.open.values())
            if judged_through >= incident.last_firing + self.policy.resolve_after
        ]

    def _resolve(self, incident: IncidentState) -> Message:
        """Close `incident` as of the window that resolved it (`resolved_at` is its start, normally
        `last_firing + resolve_after`), not of the latest one judged: after a backlog or a restart
        one pass judges hours of windows, and the resolution must still read the time and numbers
        it had when it happened."""
        resolving = self._resolving.pop(incident.group_key, None)
        resolved_at = resolving.start if resolving is not None else incident.last_firing + self.policy.resolve_after
        resolved = replace(incident, status="resolved", resolved_at=resolved_at)
        self._changed[incident.key] = resolved
        del self.open[incident.group_key]
        return Message("resolved", resolved, resolving)

    def _save(self, incident: IncidentState) -> IncidentState:
        self.open[incident.group_key] = incident
        self._changed[incident.key] = incident
        return incident

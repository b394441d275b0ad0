"""Routing: which receivers (configured notifier names) get an alert.

Alertmanager's tree, flattened to one level: routes are tried in order and the first that
matches wins, unless it sets `continue_matching`, in which case later routes are tried too and
every matching route's receivers are notified. An alert no route matches goes to the default
route: every enabled notifier. With no routes configured, that is every alert.
"""

from __future__ import annotations

from typing import Sequence

from listener.config import RouteConfig


def route_matches(route: RouteConfig, brand: str, severity: str, rule: str, metric: str) -> bool:
    """Every non-empty match list of the route contains the alert's value."""
    return (
        (not route.brands or brand in route.brands)
        and (not route.severities or severity in route.severities)
        and (not route.rules or rule in route.rules)
        and (not route.metrics or metric in route.metrics)
    )


def receivers_for(
    routes: Sequence[RouteConfig], brand: str, severity: str, rule: str, metric: str, enabled: Sequence[str]
) -> tuple[str, ...]:
    """The enabled receivers for an alert, in route order, each once.

    A route's receiver whose notifier is configured but not enabled (its secret is unset) is left
    out here; the notifier's own start-up line already says why it is off.
    """
    chosen: list[str] = []
    matched = False
    for route in routes:
        if not route_matches(route, brand, severity, rule, metric):
            continue
        matched = True
        chosen.extend(route.receivers)
        if not route.continue_matching:
            break
    if not matched:
        chosen = list(enabled)
    return tuple(name for name in dict.fromkeys(chosen) if name in enabled)


def explain_routes(
    routes: Sequence[RouteConfig], brand: str, severity: str, rule: str, metric: str, configured: Sequence[str]
) -> list[str]:
    """Which routes an alert matches and who it reaches, line by line (`listener alerts route-test`)."""
    lines = []
    matched = False
    for index, route in enumerate(routes):
        if not route_matches(route, brand, severity, rule, metric):
            continue
        matched = True
        continues = " (continue_matching)" if route.continue_matching else ""
        lines.append(f"routes[{index}] matches{continues}: {', '.join(route.receivers) or 'no receivers'}")
        if not route.continue_matching:
            break
    if not matched:
        lines.append(f"no route matches: default route, every enabled notifier ({', '.join(configured) or 'none'})")
    receivers = receivers_for(routes, brand, severity, rule, metric, configured)
    lines.append(f"receivers: {', '.join(receivers) or 'none'}")
    return lines

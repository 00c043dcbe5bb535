"""The route tree: which audiences an alert goes to, and through which receivers. Pure.

Alertmanager's semantics: a route matches when all its matchers do; its children are tried in order,
the first matching child wins unless it says `continue: true`, and a route none of whose children
match is itself the match. Children inherit receiver, audience and timings from their parent.
A matched route with an `audience` creates (or keeps) that audience's alert for the group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from waspada_notify.domain.config import (
    DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT,
    DEFAULT_REPEAT_INTERVAL,
    RouteConfig,
    RoutingConfig,
)
from waspada_notify.domain.matchers import Matcher, matches_all
from waspada_shared.contracts.alert import Audience


@dataclass(frozen=True, slots=True)
class Timing:
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


@dataclass(frozen=True, slots=True)
class RouteTarget:
    """Where one audience's alert goes and how often."""

    audience: Audience
    receivers: tuple[str, ...]
    timing: Timing


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    matchers: tuple[Matcher, ...]
    continue_: bool
    receiver: str | None
    audience: Audience | None
    timing: Timing
    routes: tuple[Route, ...]

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        if not matches_all(self.matchers, labels):
            return []
        found: list[Route] = []
        for child in self.routes:
            below = child.match(labels)
            if below:
                found.extend(below)
                if not child.continue_:
                    break
        return found or [self]


def _compile(cfg: RouteConfig, parent: Route | None, path: str) -> Route:
    timing = Timing(
        cfg.group_wait
        if cfg.group_wait is not None
        else (parent.timing.group_wait if parent else DEFAULT_GROUP_WAIT),
        cfg.group_interval
        if cfg.group_interval is not None
        else (parent.timing.group_interval if parent else DEFAULT_GROUP_INTERVAL),
        cfg.repeat_interval
        if cfg.repeat_interval is not None
        else (parent.timing.repeat_interval if parent else DEFAULT_REPEAT_INTERVAL),
    )
    node = Route(
        path=path,
        matchers=tuple(cfg.matchers),
        continue_=cfg.continue_,
        receiver=cfg.receiver if cfg.receiver is not None else (parent.receiver if parent else None),
        audience=cfg.audience if cfg.audience is not None else (parent.audience if parent else None),
        timing=timing,
        routes=(),
    )
    children = tuple(_compile(c, node, f"{path}.routes.{i}") for i, c in enumerate(cfg.routes))
    return Route(node.path, node.matchers, node.continue_, node.receiver, node.audience, timing, children)


class Router:
    """The compiled tree. `extra_receivers` get every routed alert (the local demo webhook)."""

    def __init__(self, config: RoutingConfig, extra_receivers: tuple[str, ...] = ()) -> None:
        self.root = _compile(config.route, None, "route")
        self.extra_receivers = extra_receivers

    def targets(self, labels: Mapping[str, str]) -> dict[Audience, RouteTarget]:
        """The audiences this alert goes to; receivers of several matching routes are merged."""
        out: dict[Audience, RouteTarget] = {}
        for route in self.root.match(labels):
            if route.audience is None:
                continue
            receivers = tuple(r for r in (route.receiver,) if r)
            known = out.get(route.audience)
            if known is None:
                out[route.audience] = RouteTarget(
                    route.audience, (*receivers, *self.extra_receivers), route.timing
                )
            else:
                merged = tuple(dict.fromkeys((*known.receivers, *receivers)))
                out[route.audience] = RouteTarget(route.audience, merged, known.timing)
        return out

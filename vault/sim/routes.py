"""Routing: which endpoint function answers a method and path, and which counter it bumps."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vault.sim.messages import Request, Response
from vault.sim.state import SimState

Handler = Callable[[SimState, Request, dict[str, str]], Response]
"""An endpoint: the shared state, the request, and the path parameters."""


@dataclass(frozen=True)
class Route:
    """One endpoint: ``/v2/{partition}/whoami``-style template, method, counter."""

    method: str
    template: str
    handler: Handler
    counter: str | None = None
    """Counter bumped by every request that reaches this route (faulted ones included)."""

    @property
    def pattern(self) -> re.Pattern[str]:
        """The template as an anchored regex; each ``{name}`` matches one path segment."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Match:
    """The outcome of routing a request."""

    route: Route | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()
    """Methods the path does answer to, when the route is None because of the method."""


class Router:
    """Finds the endpoint for a method and path."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = [(route, route.pattern) for route in routes]

    def match(self, method: str, path: str) -> Match:
        """Route a request; ``route`` is None for an unknown path or a wrong method."""
        allowed: list[str] = []
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return Match(route, found.groupdict())
            allowed.append(route.method)
        return Match(None, {}, tuple(sorted(set(allowed))))

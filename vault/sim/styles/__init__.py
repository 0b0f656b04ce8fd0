"""The provider styles the simulator speaks, one module each."""

from __future__ import annotations

from vault.sim.routes import Route
from vault.sim.styles import (
    app_token,
    github_app,
    jwt_assertion,
    jwt_bearer,
    oauth2,
    secret_exchange,
)

ROUTES: tuple[Route, ...] = (
    *app_token.ROUTES,
    *jwt_assertion.ROUTES,
    *github_app.ROUTES,
    *secret_exchange.ROUTES,
    *oauth2.ROUTES,
    *jwt_bearer.ROUTES,
)
"""Every provider endpoint."""

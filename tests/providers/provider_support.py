"""Names, secrets and settings the provider tests share with the simulator fixture."""

from __future__ import annotations

import socket
from typing import Any

from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_SECRET = "app-secret-value-0001"
ORG_ID = "org-42"
GH_APP_ID = "123456"
GH_INSTALLATION = 987
PARTITION = "acme"
SHIFTIQ_SECRET = "shiftiq-client-secret-0001"
CLIENT_ID = "client-1"
CLIENT_SECRET = "oauth-client-secret-0001"
SA_EMAIL = "reports@acme-prod.iam.gserviceaccount.com"
SA_SCOPES = ("https://www.googleapis.com/auth/bigquery.readonly", "read", "write")
COUNTER = {
    "app-token": "app-token",
    "jwt-assertion": "jwt-assertion",
    "github-app": "github-app",
    "secret-exchange": "secret-exchange",
    "oauth2-client-credentials": "oauth2",
    "jwt-bearer": "jwt-bearer",
}
"""The simulator counter prefix each preset's requests are tallied under (its sim style)."""


def settings_for(style: str, sim: Simulator) -> tuple[dict[str, Any], dict[str, str]]:
    """Working settings and secrets for ``style`` against ``sim`` (the private key excepted)."""
    if style == "app-token":
        return {"base_url": sim.url, "app_id": APP_ID}, {"app_secret": APP_SECRET}
    if style == "jwt-assertion":
        return {"base_url": sim.url, "app_id": APP_ID, "org_id": ORG_ID}, {}
    if style == "github-app":
        return {
            "base_url": sim.url,
            "app_id": GH_APP_ID,
            "installation_id": str(GH_INSTALLATION),
        }, {}
    if style == "secret-exchange":
        return {"base_url": sim.url, "partition": PARTITION}, {"client_secret": SHIFTIQ_SECRET}
    if style == "oauth2-client-credentials":
        return {
            "base_url": sim.url,
            "client_id": CLIENT_ID,
            "scope": "read",
            "revoke_url": "/oauth/revoke",
        }, {"client_secret": CLIENT_SECRET}
    if style == "jwt-bearer":
        return {
            "base_url": sim.url,
            "client_email": SA_EMAIL,
            "scope": SA_SCOPES[0],
        }, {}
    raise AssertionError(style)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

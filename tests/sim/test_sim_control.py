"""The /_sim/ control API: the same calls as the Python API, over HTTP, JSON in and out."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sim_support import KeyPair, Signer

from vault.sim import Simulator


def _ok(response: httpx.Response) -> object:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def test_register_every_style_over_http(
    sim: Simulator, client: httpx.Client, app_key: KeyPair, sign: Signer
) -> None:
    created = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    registrations = [
        {"style": "app-token", "app_id": "app_1", "app_secret": "s1"},
        {
            "style": "jwt-assertion",
            "app_id": "uni",
            "public_key_pem": app_key.public_pem,
            "org_id": "org",
        },
        {
            "style": "github-app",
            "app_id": "42",
            "public_key_pem": app_key.public_pem,
            "installation_ids": [7],
        },
        {"style": "secret-exchange", "partition": "p", "secret": "s2", "created_at": created},
        {"style": "oauth2", "client_id": "c", "client_secret": "s3", "scopes": ["read"]},
    ]
    for body in registrations:
        assert _ok(client.post("/_sim/register", json=body)) == {"ok": True}

    app = client.post("/auth/app-token", json={"app_id": "app_1", "app_secret": "s1"})
    assert app.status_code == 200
    unifize = client.post(
        "/application/token",
        headers={"Authorization": f"Bearer {sign('uni')}"},
        json={"orgId": "org"},
    )
    assert unifize.status_code == 200
    now = int(time.time())
    github = client.post(
        "/app/installations/7/access_tokens",
        headers={"Authorization": f"Bearer {sign('42', iat=now - 60, exp=now + 600)}"},
    )
    assert github.status_code == 201
    shiftiq = client.post("/v2/p/security/tokens/generate", json={"Secret": "s2"})
    assert shiftiq.status_code == 200
    oauth = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("c", "s3"))
    assert oauth.status_code == 200

    counters = _ok(client.get("/_sim/counters"))
    assert isinstance(counters, dict)
    for style in ("app-token", "jwt-assertion", "github-app", "secret-exchange", "oauth2"):
        assert counters[f"{style}.generate.ok"] == 1, style
    assert counters == sim.counters


@pytest.mark.parametrize(
    "body",
    [
        {"style": "nope"},
        {"style": "app-token", "app_id": "a"},
        {"style": "jwt-assertion", "app_id": "a", "public_key_pem": "junk", "org_id": "o"},
        {"style": "github-app", "app_id": "a", "public_key_pem": "x", "installation_ids": ["7"]},
        {"style": "secret-exchange", "partition": "p", "secret": "s", "created_at": "yesterday"},
        {"style": "oauth2", "client_id": "c", "client_secret": "s", "scopes": "read"},
    ],
)
def test_bad_registrations_are_400(client: httpx.Client, body: dict[str, object]) -> None:
    response = client.post("/_sim/register", json=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_clock_shift_moves_the_server_clock(sim: Simulator, client: httpx.Client) -> None:
    before = sim.now()
    answer = _ok(client.post("/_sim/clock", json={"shift": 86400}))
    assert isinstance(answer, dict)
    shifted = datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))
    assert timedelta(days=1) <= shifted - before < timedelta(days=1, seconds=5)
    assert sim.now() - before >= timedelta(days=1)
    assert client.post("/_sim/clock", json={"shift": "soon"}).status_code == 400


def test_invalidate_over_http(sim: Simulator, client: httpx.Client) -> None:
    sim.register_oauth_client("c", "s", ["read"])
    grant = {"grant_type": "client_credentials"}
    token = client.post("/oauth/token", data=grant, auth=("c", "s")).json()["access_token"]
    assert _ok(client.post("/_sim/invalidate", json={"style": "app-token"})) == {"invalidated": 0}
    assert _ok(client.post("/_sim/invalidate", json={"style": None})) == {"invalidated": 1}
    whoami = client.get("/oauth/whoami", headers={"Authorization": f"Bearer {token}"})
    assert whoami.status_code == 401
    assert client.post("/_sim/invalidate", json={"style": "nope"}).status_code == 400


def test_fault_over_http(sim: Simulator, client: httpx.Client) -> None:
    body = {"path_prefix": "/oauth", "kind": "429", "count": 2, "retry_after": 3, "delay": None}
    assert _ok(client.post("/_sim/fault", json=body)) == {"ok": True}
    first = client.post("/oauth/token")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
    assert client.post("/oauth/token").status_code == 429
    assert client.post("/oauth/token").status_code == 401
    bad = client.post("/_sim/fault", json={"path_prefix": "/oauth", "kind": "teapot"})
    assert bad.status_code == 400
    assert "unknown fault kind" in bad.json()["error"]


def test_reset_over_http(sim: Simulator, client: httpx.Client) -> None:
    client.post("/oauth/token")
    assert sim.counters["oauth2.generate"] == 1
    assert _ok(client.post("/_sim/reset")) == {"ok": True}
    assert sim.counters["oauth2.generate"] == 0


def test_control_needs_json(client: httpx.Client) -> None:
    response = client.post("/_sim/register", content=b"not json")
    assert response.status_code == 400
    assert client.get("/_sim/register").status_code == 405

"""oauth2 client credentials (RFC 6749 4.4) and revocation (RFC 7009)."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest

from vault.sim import Simulator

CLIENT_ID = "client-1"
SECRET = "s3cret:with/odd+chars"
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def registered(sim: Simulator) -> Simulator:
    sim.register_oauth_client(CLIENT_ID, SECRET, scopes=["read", "write"])
    return sim


def _basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> httpx.BasicAuth:
    return httpx.BasicAuth(client_id, secret)


def _whoami(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/oauth/whoami", headers={"Authorization": f"Bearer {token}"})


def test_basic_auth_happy_path(registered: Simulator, client: httpx.Client) -> None:
    response = client.post("/oauth/token", data=GRANT, auth=_basic())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    assert response.headers["Cache-Control"] == "no-store"
    assert _whoami(client, body["access_token"]).json() == {
        "client_id": CLIENT_ID,
        "scope": "read write",
    }


def test_basic_auth_accepts_rfc_6749_urlencoded_halves(
    registered: Simulator, client: httpx.Client
) -> None:
    encoded = httpx.BasicAuth(CLIENT_ID, urllib.parse.quote_plus(SECRET))
    assert client.post("/oauth/token", data=GRANT, auth=encoded).status_code == 200


def test_body_auth_with_a_narrower_scope(registered: Simulator, client: httpx.Client) -> None:
    form = {**GRANT, "scope": "read", "client_id": CLIENT_ID, "client_secret": SECRET}
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 200
    assert response.json()["scope"] == "read"
    assert registered.counters["oauth2.generate.ok"] == 1


def test_form_with_a_trailing_ampersand_is_accepted(
    registered: Simulator, client: httpx.Client
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    form = b"grant_type=client_credentials&scope=read&"
    response = client.post("/oauth/token", content=form, headers=headers, auth=_basic())
    assert response.status_code == 200
    assert response.json()["scope"] == "read"


def test_bad_client_is_401_invalid_client(registered: Simulator, client: httpx.Client) -> None:
    basic = client.post("/oauth/token", data=GRANT, auth=_basic(secret="wrong"))
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    assert "error_description" in basic.json()
    assert basic.headers["WWW-Authenticate"].startswith("Basic")
    form = {**GRANT, "client_id": "nobody", "client_secret": SECRET}
    body_auth = client.post("/oauth/token", data=form)
    assert body_auth.status_code == 401
    assert body_auth.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" not in body_auth.headers
    assert client.post("/oauth/token", data=GRANT).status_code == 401


def test_other_grants_and_scopes_are_400(registered: Simulator, client: httpx.Client) -> None:
    grant = client.post("/oauth/token", data={"grant_type": "password"}, auth=_basic())
    assert grant.status_code == 400
    assert grant.json() == {"error": "unsupported_grant_type"}
    scope = client.post("/oauth/token", data={**GRANT, "scope": "admin"}, auth=_basic())
    assert scope.status_code == 400
    assert scope.json()["error"] == "invalid_scope"
    missing = client.post("/oauth/token", data={}, auth=_basic())
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


def test_revoke_is_200_even_for_an_unknown_token(
    registered: Simulator, client: httpx.Client
) -> None:
    form = {"token": "never-issued", "token_type_hint": "access_token"}
    response = client.post("/oauth/revoke", data=form, auth=_basic())
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert registered.counters["oauth2.revoke"] == 1


def test_revoke_kills_a_real_token(registered: Simulator, client: httpx.Client) -> None:
    token = client.post("/oauth/token", data=GRANT, auth=_basic()).json()["access_token"]
    form = {"token": token, "token_type_hint": "access_token"}
    assert client.post("/oauth/revoke", data=form, auth=_basic()).status_code == 200
    whoami = _whoami(client, token)
    assert whoami.status_code == 401
    assert whoami.json() == {"error": "invalid_token"}


def test_revoke_needs_client_auth(registered: Simulator, client: httpx.Client) -> None:
    token = client.post("/oauth/token", data=GRANT, auth=_basic()).json()["access_token"]
    refused = client.post("/oauth/revoke", data={"token": token}, auth=_basic(secret="wrong"))
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert _whoami(client, token).status_code == 200


def test_token_expires_after_an_hour(registered: Simulator, client: httpx.Client) -> None:
    token = client.post("/oauth/token", data=GRANT, auth=_basic()).json()["access_token"]
    registered.shift_clock(3590)
    assert _whoami(client, token).status_code == 200
    registered.shift_clock(20)
    assert _whoami(client, token).status_code == 401

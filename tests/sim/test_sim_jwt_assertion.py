"""jwt-assertion (Unifize style): RS256 verification by the server clock, the Org ID, 1 h tokens."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from sim_support import KeyPair, Signer

from vault.sim import Simulator

APP_ID = "unifize-app-1"
ORG = "org-7"


@pytest.fixture
def registered(sim: Simulator, app_key: KeyPair) -> Simulator:
    sim.register_jwt_app(APP_ID, app_key.public_pem, ORG)
    return sim


def _token(client: httpx.Client, assertion: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("json", {"orgId": ORG})
    headers = {"Authorization": f"Bearer {assertion}"}
    return client.post("/application/token", headers=headers, **kwargs)


def test_happy_path_issues_a_one_hour_token(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    response = _token(client, sign(APP_ID))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accessToken", "expiresAt"}
    expected_ms = (registered.now().timestamp() + 3600) * 1000
    assert abs(body["expiresAt"] - expected_ms) < 5000
    assert body["expiresAt"] > 1e12, "expiresAt is epoch milliseconds"
    whoami = client.get(
        "/application/whoami", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert whoami.status_code == 200
    assert whoami.json() == {"app_id": APP_ID, "org_id": ORG}
    assert registered.counters["jwt-assertion.generate.ok"] == 1
    assert registered.counters["jwt-assertion.whoami"] == 1


def test_org_id_in_the_query_or_as_a_claim(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    by_query = _token(client, sign(APP_ID), json=None, params={"orgId": ORG})
    assert by_query.status_code == 200
    by_claim = _token(client, sign(APP_ID, orgId=ORG), json=None)
    assert by_claim.status_code == 200


@pytest.mark.parametrize("body", [{"orgId": "org-other"}, {}])
def test_wrong_or_missing_org_is_403(
    registered: Simulator, client: httpx.Client, sign: Signer, body: dict[str, str]
) -> None:
    response = _token(client, sign(APP_ID), json=body)
    assert response.status_code == 403
    assert response.json() == {"error": "unknown org"}


def test_signature_by_another_key_is_401(
    registered: Simulator, client: httpx.Client, sign: Signer, other_key: KeyPair
) -> None:
    response = _token(client, sign(APP_ID, key=other_key.private_pem))
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert registered.counters["jwt-assertion.generate.ok"] == 0


def test_unknown_iss_is_401(registered: Simulator, client: httpx.Client, sign: Signer) -> None:
    response = _token(client, sign("someone-else"))
    assert response.status_code == 401
    assert "unknown iss" in response.json()["error"]


def test_iat_in_the_future_is_401_beyond_30_seconds(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    now = int(time.time())
    assert _token(client, sign(APP_ID, iat=now + 20)).status_code == 200
    late = _token(client, sign(APP_ID, iat=now + 90))
    assert late.status_code == 401
    assert "future" in late.json()["error"]


def test_window_over_600_seconds_is_401(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    now = int(time.time())
    assert _token(client, sign(APP_ID, iat=now, exp=now + 600)).status_code == 200
    wide = _token(client, sign(APP_ID, iat=now, exp=now + 601))
    assert wide.status_code == 401
    assert "600" in wide.json()["error"]


def test_expired_assertion_is_401(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    now = int(time.time())
    response = _token(client, sign(APP_ID, iat=now - 700, exp=now - 100))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]


@pytest.mark.parametrize("claim", ["aud", "sub", "jti", "nbf"])
def test_unexpected_claim_is_401(
    registered: Simulator, client: httpx.Client, sign: Signer, claim: str
) -> None:
    value: Any = int(time.time()) if claim == "nbf" else "x"
    response = _token(client, sign(APP_ID, **{claim: value}))
    assert response.status_code == 401
    assert claim in response.json()["error"]


def test_non_rs256_and_garbage_assertions_are_401(
    registered: Simulator, client: httpx.Client, app_key: KeyPair
) -> None:
    now = int(time.time())
    claims = {"iss": APP_ID, "iat": now, "exp": now + 600}
    # Only RS256 is accepted, whatever key an HMAC token was made with.
    forged = jwt.encode(claims, "k" * 32, algorithm="HS256")
    assert _token(client, forged).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert _token(client, unsigned).status_code == 401
    assert _token(client, "garbage").status_code == 401
    missing = client.post("/application/token", json={"orgId": ORG})
    assert missing.status_code == 401
    assert registered.counters["jwt-assertion.generate"] == 4


def test_time_checks_use_the_shifted_server_clock(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    registered.shift_clock(3600)
    wall_clock = _token(client, sign(APP_ID))
    assert wall_clock.status_code == 401
    assert "expired" in wall_clock.json()["error"]
    server_clock = _token(client, sign(APP_ID, iat=registered.now().timestamp()))
    assert server_clock.status_code == 200


def test_access_token_expires_after_an_hour(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    access = _token(client, sign(APP_ID)).json()["accessToken"]
    headers = {"Authorization": f"Bearer {access}"}
    registered.shift_clock(3600 - 30)
    assert client.get("/application/whoami", headers=headers).status_code == 200
    registered.shift_clock(60)
    assert client.get("/application/whoami", headers=headers).status_code == 401

"""github-app: app JWT (window 660 s) buys a 1 h installation token; DELETE revokes it (204)."""

from __future__ import annotations

import http.client
import re
import time
from datetime import datetime, timedelta

import httpx
import pytest
from sim_support import KeyPair, Signer

from vault.sim import Simulator

APP_ID = "123456"
INSTALLATION = 987
OTHER_APPS_INSTALLATION = 555
ACCEPT = {"Accept": "application/vnd.github+json"}


@pytest.fixture
def registered(sim: Simulator, app_key: KeyPair) -> Simulator:
    sim.register_github_app(APP_ID, app_key.public_pem, installation_ids=[INSTALLATION])
    sim.register_github_app("999", app_key.public_pem, installation_ids=[OTHER_APPS_INSTALLATION])
    return sim


def _github_jwt(sign: Signer, **kwargs: float) -> str:
    now = int(time.time())
    kwargs.setdefault("iat", now - 60)
    kwargs.setdefault("exp", now + 600)
    return sign(APP_ID, **kwargs)


def _create(
    client: httpx.Client, assertion: str, installation: int = INSTALLATION
) -> httpx.Response:
    return client.post(
        f"/app/installations/{installation}/access_tokens",
        headers={"Authorization": f"Bearer {assertion}", **ACCEPT},
    )


def _token(client: httpx.Client, sign: Signer) -> str:
    response = _create(client, _github_jwt(sign))
    assert response.status_code == 201
    return str(response.json()["token"])


def _repositories(client: httpx.Client, token: str, scheme: str = "Bearer") -> httpx.Response:
    return client.get("/installation/repositories", headers={"Authorization": f"{scheme} {token}"})


def test_happy_path_answers_201_with_token_and_iso_expiry(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    response = _create(client, _github_jwt(sign))
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"ghs_[A-Za-z0-9]{36,}", body["token"])
    assert body["expires_at"].endswith("Z")
    expires_at = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(expires_at - (registered.now() + timedelta(hours=1))) < timedelta(seconds=5)
    for scheme in ("Bearer", "token"):
        repos = _repositories(client, body["token"], scheme)
        assert repos.status_code == 200
        assert repos.json()["installation_id"] == INSTALLATION
    assert registered.counters["github-app.generate.ok"] == 1
    assert registered.counters["github-app.whoami"] == 2


def test_window_of_660_seconds_is_accepted_661_is_not(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    now = int(time.time())
    assert _create(client, _github_jwt(sign, iat=now - 60, exp=now + 600)).status_code == 201
    wide = _create(client, _github_jwt(sign, iat=now - 60, exp=now + 601))
    assert wide.status_code == 401
    assert "660" in wide.json()["message"]


def test_bad_jwt_is_401_with_a_message(
    registered: Simulator, client: httpx.Client, sign: Signer, other_key: KeyPair
) -> None:
    forged = _create(client, _github_jwt(sign, key=other_key.private_pem))  # type: ignore[arg-type]
    assert forged.status_code == 401
    assert "signature" in forged.json()["message"]
    org_claim = _create(client, _github_jwt(sign, orgId=1))
    assert org_claim.status_code == 401, "orgId is a Unifize claim, unexpected here"
    no_jwt = client.post(f"/app/installations/{INSTALLATION}/access_tokens", headers=ACCEPT)
    assert no_jwt.status_code == 401
    assert "message" in no_jwt.json()


@pytest.mark.parametrize("installation", [1, OTHER_APPS_INSTALLATION])
def test_unknown_installation_is_404(
    registered: Simulator, client: httpx.Client, sign: Signer, installation: int
) -> None:
    response = _create(client, _github_jwt(sign), installation)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_delete_answers_204_and_kills_the_token(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    token = _token(client, sign)
    deleted = client.delete("/installation/token", headers={"Authorization": f"Bearer {token}"})
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert _repositories(client, token).status_code == 401
    again = client.delete("/installation/token", headers={"Authorization": f"token {token}"})
    assert again.status_code == 401
    assert again.json() == {"message": "Bad credentials"}
    assert registered.counters["github-app.revoke"] == 2


def test_204_leaves_the_connection_reusable(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    token = _token(client, sign)
    conn = http.client.HTTPConnection("127.0.0.1", registered.port, timeout=5)
    try:
        conn.request("DELETE", "/installation/token", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        assert response.status == 204
        assert response.read() == b""
        sock = conn.sock
        conn.request(
            "GET", "/installation/repositories", headers={"Authorization": f"Bearer {token}"}
        )
        after = conn.getresponse()
        assert after.status == 401
        assert after.read() == b'{"message":"Bad credentials"}'
        assert conn.sock is sock
    finally:
        conn.close()


def test_installation_token_expires_after_an_hour(
    registered: Simulator, client: httpx.Client, sign: Signer
) -> None:
    token = _token(client, sign)
    registered.shift_clock(3599)
    assert _repositories(client, token).status_code == 200
    registered.shift_clock(2)
    assert _repositories(client, token).status_code == 401

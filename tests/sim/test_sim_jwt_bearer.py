"""jwt-bearer (RFC 7523, Google style): the simulator's own verifier and its one-hour tokens."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sim_support import KeyPair, Signer

from vault.sim import Simulator

EMAIL = "reports@acme-prod.iam.gserviceaccount.com"
SCOPES = ["https://www.googleapis.com/auth/bigquery.readonly", "read"]
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def registered(sim: Simulator, app_key: KeyPair) -> Simulator:
    sim.register_jwt_bearer_client(EMAIL, app_key.public_pem, SCOPES)
    return sim


@pytest.fixture
def google(sign: Signer, registered: Simulator) -> Signer:
    """Google's claim set: iss, scope, aud (this simulator's /token), iat, exp = iat + 3600."""

    def build(iss: str = EMAIL, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iat": now,
            "exp": now + 3600,
            "scope": SCOPES[0],
            "aud": f"{registered.url}/token",
        }
        claims.update(overrides)
        # An override of None leaves the claim out altogether.
        return sign(iss, **{k: v for k, v in claims.items() if v is not None})

    return build


def _token(client: httpx.Client, assertion: str, **form: str) -> httpx.Response:
    return client.post("/token", data={"grant_type": GRANT, "assertion": assertion, **form})


def _refused(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    return str(body["error_description"])


def test_happy_path_issues_a_one_hour_token(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    response = _token(client, google())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    who = client.get(
        "/jwt-bearer/whoami", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert who.status_code == 200
    assert who.json() == {"client_email": EMAIL, "scope": SCOPES[0]}
    counters = registered.counters
    assert counters["jwt-bearer.generate"] == counters["jwt-bearer.generate.ok"] == 1
    assert counters["jwt-bearer.whoami"] == 1


def test_sub_and_a_form_scope_are_honoured(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    response = _token(client, google(sub="alice@acme.example"), scope="read")
    access = response.json()["access_token"]
    who = client.get("/jwt-bearer/whoami", headers={"Authorization": f"Bearer {access}"})
    assert who.json() == {
        "client_email": EMAIL,
        "scope": " ".join(SCOPES),
        "sub": "alice@acme.example",
    }


def test_signature_by_another_key_is_invalid_grant(
    registered: Simulator, client: httpx.Client, google: Signer, other_key: KeyPair
) -> None:
    said = _refused(_token(client, google(key=other_key.private_pem)), 400, "invalid_grant")
    assert "signature" in said
    assert registered.counters["jwt-bearer.generate.ok"] == 0


@pytest.mark.parametrize(
    "aud", ["https://oauth2.googleapis.com/token", "{url}/oauth/token", "{url}/token/", None]
)
def test_aud_must_be_the_endpoint_the_client_called(
    registered: Simulator, client: httpx.Client, google: Signer, aud: str | None
) -> None:
    assertion = google(aud=None if aud is None else aud.format(url=registered.url))
    said = _refused(_token(client, assertion), 400, "invalid_grant")
    assert f"{registered.url}/token" in said


def test_aud_as_a_list_naming_the_endpoint_is_accepted(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    assertion = google(aud=["https://other.example/token", f"{registered.url}/token"])
    assert _token(client, assertion).status_code == 200


def test_window_longer_than_an_hour_is_refused(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    now = int(time.time())
    said = _refused(_token(client, google(iat=now, exp=now + 3601)), 400, "invalid_grant")
    assert "3600" in said
    assert _token(client, google(iat=now, exp=now + 3600)).status_code == 200


def test_unknown_iss_is_invalid_client(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    said = _refused(
        _token(client, google("intruder@evil.iam.gserviceaccount.com")), 401, "invalid_client"
    )
    assert "intruder@evil" in said


@pytest.mark.parametrize(
    ("claim", "form"),
    [
        ("https://www.googleapis.com/auth/cloud-platform", None),
        (SCOPES[0], "write"),
        (f"{SCOPES[0]} admin", None),
    ],
)
def test_scope_outside_the_registration_is_invalid_scope(
    registered: Simulator, client: httpx.Client, google: Signer, claim: str, form: str | None
) -> None:
    extra = {"scope": form} if form else {}
    _refused(_token(client, google(scope=claim), **extra), 400, "invalid_scope")
    assert registered.counters["jwt-bearer.generate.ok"] == 0


def test_no_scope_at_all_is_invalid_scope(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    said = _refused(_token(client, google(scope="")), 400, "invalid_scope")
    assert "scope" in said.lower()


def test_time_checks_use_the_shifted_server_clock(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    now = int(time.time())
    assertion = google(iat=now, exp=now + 3600)
    registered.shift_clock(3601)
    assert "expired" in _refused(_token(client, assertion), 400, "invalid_grant")
    registered.shift_clock(-3601 - 60)
    said = _refused(_token(client, assertion), 400, "invalid_grant")
    assert "future" in said
    registered.shift_clock(60 - 25)  # iat 25 s ahead of the server: within the 30 s skew
    assert _token(client, assertion).status_code == 200


def test_grant_type_and_assertion_are_checked(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    missing_grant = client.post("/token", data={"assertion": google()})
    _refused(missing_grant, 400, "invalid_request")
    other = client.post("/token", data={"grant_type": "client_credentials", "assertion": google()})
    _refused(other, 400, "unsupported_grant_type")
    no_assertion = client.post("/token", data={"grant_type": GRANT})
    assert "assertion" in _refused(no_assertion, 400, "invalid_request")
    _refused(_token(client, "garbage"), 400, "invalid_grant")
    unexpected = _refused(_token(client, google(jti="x")), 400, "invalid_grant")
    assert "jti" in unexpected
    assert registered.counters["jwt-bearer.generate"] == 5
    assert registered.counters["jwt-bearer.generate.ok"] == 0


def test_whoami_refuses_bad_expired_and_invalidated_tokens(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    access = _token(client, google()).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert client.get("/jwt-bearer/whoami", headers=bearer).status_code == 200
    bad = client.get("/jwt-bearer/whoami", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    assert "invalid_token" in bad.headers["WWW-Authenticate"]
    registered.shift_clock(3600)
    assert client.get("/jwt-bearer/whoami", headers=bearer).status_code == 401
    registered.shift_clock(-3600)
    assert client.get("/jwt-bearer/whoami", headers=bearer).status_code == 200
    assert registered.invalidate_tokens("jwt-bearer") == 1
    assert client.get("/jwt-bearer/whoami", headers=bearer).status_code == 401


def test_revoke_is_rfc7009(registered: Simulator, client: httpx.Client, google: Signer) -> None:
    access = _token(client, google()).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    revoked = client.post("/revoke", data={"token": access, "token_type_hint": "access_token"})
    assert revoked.status_code == 200 and revoked.content == b""
    assert client.get("/jwt-bearer/whoami", headers=bearer).status_code == 401
    assert client.post("/revoke", data={"token": "unknown"}).status_code == 200
    _refused(client.post("/revoke", data={}), 400, "invalid_request")
    assert registered.counters["jwt-bearer.revoke"] == 3


def test_registration_over_the_control_api(
    sim: Simulator, client: httpx.Client, app_key: KeyPair, sign: Signer
) -> None:
    body = {
        "style": "jwt-bearer",
        "client_email": EMAIL,
        "public_key_pem": app_key.public_pem,
        "scopes": ["read"],
    }
    assert client.post("/_sim/register", json=body).json() == {"ok": True}
    now = int(time.time())
    assertion = sign(EMAIL, iat=now, exp=now + 3600, scope="read", aud=f"{sim.url}/token")
    assert _token(client, assertion).status_code == 200
    bad = client.post("/_sim/register", json={**body, "scopes": "read"})
    assert bad.status_code == 400 and "scopes" in bad.json()["error"]
    missing = client.post("/_sim/register", json={"style": "jwt-bearer", "client_email": EMAIL})
    assert missing.status_code == 400 and "public_key_pem" in missing.json()["error"]


def test_faults_apply_to_the_token_endpoint(
    registered: Simulator, client: httpx.Client, google: Signer
) -> None:
    registered.inject_fault("/token", "503")
    faulted = _token(client, google())
    assert faulted.status_code == 503
    assert _token(client, google()).status_code == 200
    assert registered.counters["jwt-bearer.generate"] == 2
    assert registered.counters["jwt-bearer.generate.ok"] == 1

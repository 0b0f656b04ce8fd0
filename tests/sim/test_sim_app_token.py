"""app-token (Happay / ISAC style): generation, the three headers, 25-hour server-side expiry."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
SECRET = "app-secret-1"


@pytest.fixture
def token(sim: Simulator, client: httpx.Client) -> str:
    sim.register_app_token_app(APP_ID, SECRET)
    response = client.post("/auth/app-token", json={"app_id": APP_ID, "app_secret": SECRET})
    assert response.status_code == 200
    return str(response.json()["app_token"])


def _whoami(client: httpx.Client, token: str, **overrides: str) -> httpx.Response:
    headers = {"App-ID": APP_ID, "App-Token": token, "Request-ID": str(uuid.uuid4())}
    headers.update(overrides)
    return client.get("/app-token/whoami", headers=headers)


def test_generate_answers_an_opaque_token_without_expiry(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.register_app_token_app(APP_ID, SECRET)
    response = client.post("/auth/app-token", json={"app_id": APP_ID, "app_secret": SECRET})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["app_token"]
    assert re.fullmatch(r"[A-Z0-9]{21}", body["app_token"])
    assert sim.counters["app-token.generate.ok"] == 1


def test_whoami_echoes_app_and_request_id(client: httpx.Client, token: str) -> None:
    request_id = str(uuid.uuid4())
    response = _whoami(client, token, **{"Request-ID": request_id})
    assert response.status_code == 200
    assert response.json() == {"app_id": APP_ID, "request_id": request_id}


@pytest.mark.parametrize(
    "body",
    [
        {"app_id": APP_ID, "app_secret": "wrong"},
        {"app_id": "app_unknown", "app_secret": SECRET},
        {"app_id": APP_ID},
    ],
)
def test_bad_app_credentials_are_401(
    sim: Simulator, client: httpx.Client, body: dict[str, str]
) -> None:
    sim.register_app_token_app(APP_ID, SECRET)
    response = client.post("/auth/app-token", json=body)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid app credentials"}
    assert sim.counters["app-token.generate"] == 1
    assert sim.counters["app-token.generate.ok"] == 0


def test_missing_or_wrong_token_or_app_is_401(client: httpx.Client, token: str) -> None:
    assert _whoami(client, "BO8SS05DS4Q9K1GRONRBP").status_code == 401
    assert _whoami(client, token, **{"App-ID": "app_other"}).status_code == 401
    no_token = client.get("/app-token/whoami", headers={"App-ID": APP_ID})
    assert no_token.status_code == 401


@pytest.mark.parametrize(
    # Fixed values: pytest-xdist needs the same test ids in every worker.
    "request_id",
    [
        "",
        "not-a-uuid",
        "d7952bb8-e616-11f1-bd50-02fc00000001",  # a UUID1
        "{8339883c-9c13-4700-94ab-5e7b72842ad8}",  # a UUID4 in braces
    ],
)
def test_request_id_must_be_a_uuid4(client: httpx.Client, token: str, request_id: str) -> None:
    response = _whoami(client, token, **{"Request-ID": request_id})
    assert response.status_code == 400


def test_token_expires_after_25_hours_by_the_server_clock(
    sim: Simulator, client: httpx.Client, token: str
) -> None:
    sim.shift_clock(25 * 3600 - 60)
    assert _whoami(client, token).status_code == 200
    sim.shift_clock(120)
    assert _whoami(client, token).status_code == 401


def test_invalidate_kills_only_the_named_style(
    sim: Simulator, client: httpx.Client, token: str
) -> None:
    assert sim.invalidate_tokens("oauth2") == 0
    assert _whoami(client, token).status_code == 200
    assert sim.invalidate_tokens("app-token") == 1
    assert _whoami(client, token).status_code == 401
    with pytest.raises(ValueError, match="unknown style"):
        sim.invalidate_tokens("nope")

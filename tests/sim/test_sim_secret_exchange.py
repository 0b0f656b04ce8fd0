"""secret-exchange (ShiftIQ style): lifetime bounds, plain-text 401s, the 90-day secret, alias."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from vault.sim import Simulator

PARTITION = "acme"
SECRET = "shiftiq-secret-1"
PATH = f"/v2/{PARTITION}/security/tokens/generate"
ALIAS = f"/v2/{PARTITION}/api/security/tokens/generate"


@pytest.fixture
def registered(sim: Simulator) -> Simulator:
    sim.register_shiftiq_secret(PARTITION, SECRET, sim.now() - timedelta(days=10))
    return sim


def _generate(client: httpx.Client, path: str = PATH, **body: object) -> httpx.Response:
    return client.post(path, json={"Secret": SECRET, **body})


def _whoami(client: httpx.Client, token: str, partition: str = PARTITION) -> httpx.Response:
    return client.get(f"/v2/{partition}/whoami", headers={"Authorization": f"Bearer {token}"})


def test_happy_path_answers_the_vendor_shape(registered: Simulator, client: httpx.Client) -> None:
    response = _generate(client, Lifetime=3600)
    assert response.status_code == 200
    body = response.json()
    assert body["TokenType"] == "Bearer"
    assert body["ExpiresIn"] == 3600
    assert body["Lifetime"] == "3,600 seconds (~1 hour)"
    claims = jwt.decode(body["AccessToken"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] != 3600, "the JWT exp must not match ExpiresIn"
    assert jwt.get_unverified_header(body["AccessToken"])["alg"] == "HS256"
    assert _whoami(client, body["AccessToken"]).json() == {"partition": PARTITION}


def test_lifetime_defaults_to_a_day(registered: Simulator, client: httpx.Client) -> None:
    body = _generate(client).json()
    assert body["ExpiresIn"] == 86400
    assert body["Lifetime"] == "86,400 seconds (~1 day)"


def test_alias_path_generates_too(registered: Simulator, client: httpx.Client) -> None:
    response = _generate(client, ALIAS, Lifetime=60)
    assert response.status_code == 200
    assert _whoami(client, response.json()["AccessToken"]).status_code == 200
    assert registered.counters["secret-exchange.generate.ok"] == 1


@pytest.mark.parametrize(
    ("lifetime", "text"),
    [(60, "60 seconds (~1 minute)"), (31_536_000, "31,536,000 seconds (~52 weeks)")],
)
def test_lifetime_bounds_are_inclusive(
    registered: Simulator, client: httpx.Client, lifetime: int, text: str
) -> None:
    response = _generate(client, Lifetime=lifetime)
    assert response.status_code == 200
    assert response.json()["ExpiresIn"] == lifetime
    assert response.json()["Lifetime"] == text


@pytest.mark.parametrize("lifetime", [59, 31_536_001, 0, -5, "3600", 3600.5, True, None])
def test_lifetime_out_of_range_is_400_plain_text(
    registered: Simulator, client: httpx.Client, lifetime: object
) -> None:
    response = _generate(client, Lifetime=lifetime)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Lifetime" in response.text
    assert registered.counters["secret-exchange.generate.ok"] == 0


def test_unknown_secret_or_partition_is_401_plain_text(
    registered: Simulator, client: httpx.Client
) -> None:
    wrong = client.post(PATH, json={"Secret": "nope"})
    other_partition = client.post("/v2/other/security/tokens/generate", json={"Secret": SECRET})
    for response in (wrong, other_partition):
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.text == "Your client secret is not recognized"


def test_expired_secret_stops_generating_but_old_tokens_live_on(
    registered: Simulator, client: httpx.Client
) -> None:
    year_token = _generate(client, Lifetime=31_536_000).json()["AccessToken"]
    registered.shift_clock(80 * 86400 - 60)  # day 89 and 23:59 since creation
    assert _generate(client, Lifetime=60).status_code == 200
    registered.shift_clock(120)  # past day 90
    expired = _generate(client, Lifetime=60)
    assert expired.status_code == 401
    assert expired.headers["Content-Type"].startswith("text/plain")
    assert expired.text == "Your client secret is expired"
    assert _whoami(client, year_token).status_code == 200


def test_token_lives_exactly_its_lifetime(registered: Simulator, client: httpx.Client) -> None:
    token = _generate(client, Lifetime=120).json()["AccessToken"]
    registered.shift_clock(110)
    assert _whoami(client, token).status_code == 200
    registered.shift_clock(20)
    assert _whoami(client, token).status_code == 401


def test_whoami_rejects_another_partition_and_garbage(
    registered: Simulator, client: httpx.Client
) -> None:
    token = _generate(client).json()["AccessToken"]
    assert _whoami(client, token, "other").status_code == 401
    assert _whoami(client, "not-a-token").status_code == 401
    assert client.get(f"/v2/{PARTITION}/whoami").status_code == 401

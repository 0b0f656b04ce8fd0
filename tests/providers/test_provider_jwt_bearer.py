"""jwt-bearer (RFC 7523, Google service accounts) end to end against the simulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest

from tests.providers.conftest import AddFn, ShiftableClock
from tests.providers.provider_support import SA_EMAIL, SA_SCOPES, settings_for
from vault import VaultAuth
from vault.core import tokens
from vault.core.clock import now
from vault.core.errors import ProviderError, UsageError
from vault.core.model import EventKind, Status, Token
from vault.core.providers import Engine, validate_settings
from vault.core.store import VaultStore
from vault.sim import Simulator

WHOAMI = "/jwt-bearer/whoami"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _settings(sim: Simulator, **extra: Any) -> dict[str, Any]:
    settings, _ = settings_for("jwt-bearer", sim)
    return {**settings, **extra}


def _sent(engine: Engine) -> tuple[httpx.Request, dict[str, str], dict[str, Any]]:
    request = engine.token_request(now())
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    return request, form, jwt.get_unverified_header(form["assertion"])


def test_request_is_a_form_with_googles_claims(sim: Simulator, rsa_pair: tuple[str, str]) -> None:
    private, public = rsa_pair
    engine = Engine("jwt-bearer", _settings(sim), {"private_key": private})
    request, form, header = _sent(engine)
    assert str(request.url) == f"{sim.url}/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert set(form) == {"grant_type", "assertion", "scope"}
    assert form["grant_type"] == GRANT and form["scope"] == SA_SCOPES[0]
    assert header["alg"] == "RS256" and "kid" not in header
    claims = jwt.decode(
        form["assertion"], public, algorithms=["RS256"], audience=f"{sim.url}/token"
    )
    assert set(claims) == {"iss", "scope", "aud", "iat", "exp"}
    assert claims["iss"] == SA_EMAIL and claims["scope"] == SA_SCOPES[0]
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - now().timestamp()) < 5


def test_subject_key_id_and_audience_are_settings(
    sim: Simulator, rsa_pair: tuple[str, str]
) -> None:
    settings = _settings(
        sim,
        subject="alice@acme.example",
        key_id="1f2e3d4c5b6a",
        assertion_aud="https://oauth2.googleapis.com/token",
        assertion_lifetime=1800,
    )
    engine = Engine("jwt-bearer", settings, {"private_key": rsa_pair[0]})
    _, form, header = _sent(engine)
    claims = jwt.decode(form["assertion"], options={"verify_signature": False})
    assert header["kid"] == "1f2e3d4c5b6a"
    assert claims["sub"] == "alice@acme.example"
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["exp"] - claims["iat"] == 1800


def test_generate_use_expire_refresh(
    sim: Simulator,
    store: VaultStore,
    add: AddFn,
    rsa_pair: tuple[str, str],
    shared_clock: ShiftableClock,
) -> None:
    add("sa", "jwt-bearer", _settings(sim), {"private_key": rsa_pair[0]})
    first = tokens.generate(store, "sa")
    assert first.expiry_source == "expires_in" and first.value.startswith("ya29.")
    assert first.expires_at is not None
    assert abs((first.expires_at - first.issued_at).total_seconds() - 3600) < 5
    with httpx.Client(auth=VaultAuth(store, "sa"), timeout=5) as client:
        who = client.get(sim.url + WHOAMI)
    assert who.status_code == 200
    assert who.json() == {"client_email": SA_EMAIL, "scope": SA_SCOPES[0]}
    assert sim.counters["jwt-bearer.generate.ok"] == 1, "a valid token is reused"

    shared_clock.shift(3600 + 60)  # the vault and the simulator age together
    assert store.reload().credentials["sa"].status() is Status.EXPIRED
    stale = httpx.get(sim.url + WHOAMI, headers={"Authorization": f"Bearer {first.value}"})
    assert stale.status_code == 401

    second = tokens.ensure(store, "sa", timedelta(seconds=60))
    assert second.value != first.value
    assert sim.counters["jwt-bearer.generate.ok"] == 2
    with httpx.Client(auth=VaultAuth(store, "sa"), timeout=5) as client:
        assert client.get(sim.url + WHOAMI).status_code == 200
    cred = store.reload().credentials["sa"]
    assert [e.kind for e in cred.history][-2:] == [EventKind.GENERATED, EventKind.REFRESHED]
    assert cred.status() is Status.VALID


def test_401_regenerates_once_through_vault_auth(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    add("sa", "jwt-bearer", _settings(sim), {"private_key": rsa_pair[0]})
    old = tokens.generate(store, "sa")
    auth = VaultAuth(store, "sa")
    with httpx.Client(auth=auth, timeout=5) as client:
        sim.invalidate_tokens("jwt-bearer")
        sim.reset_counters()
        response = client.get(sim.url + WHOAMI)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert sim.counters["jwt-bearer.generate.ok"] == 1
    assert sim.counters["jwt-bearer.whoami"] == 2
    assert auth.regenerations == 1
    cred = store.reload().credentials["sa"]
    assert cred.token is not None and cred.token.value != old.value
    assert [e.kind for e in cred.history][-2:] == [EventKind.UNAUTHORIZED, EventKind.REFRESHED]


@pytest.mark.parametrize(
    ("change", "status", "said"),
    [
        ({"scope": "https://www.googleapis.com/auth/cloud-platform"}, 400, "invalid_scope: "),
        ({"client_email": "intruder@evil.iam.gserviceaccount.com"}, 401, "invalid_client: "),
        ({"assertion_aud": "https://oauth2.googleapis.com/token"}, 400, "invalid_grant: the aud"),
        ({"token_url": "/oauth/token"}, 401, "invalid_client: "),
    ],
)
def test_refusals_are_quoted_and_keep_the_stored_token(
    sim: Simulator,
    store: VaultStore,
    add: AddFn,
    rsa_pair: tuple[str, str],
    change: dict[str, str],
    status: int,
    said: str,
) -> None:
    add("sa", "jwt-bearer", _settings(sim), {"private_key": rsa_pair[0]})
    kept = tokens.generate(store, "sa")
    with store.transaction() as data:
        data.credentials["sa"].settings.update(change)
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "sa")
    message = caught.value.message
    assert caught.value.status == status
    assert f"HTTP {status}" in message and said in message, message
    assert "PRIVATE KEY" not in message and "eyJ" not in message
    cred = store.reload().credentials["sa"]
    assert cred.token is not None and cred.token.value == kept.value
    assert cred.last_error and said in cred.last_error


def test_a_wrong_key_is_refused_with_the_providers_words(
    sim: Simulator, store: VaultStore, add: AddFn, other_rsa_pair: tuple[str, str]
) -> None:
    add("sa", "jwt-bearer", _settings(sim), {"private_key": other_rsa_pair[0]})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "sa")
    assert caught.value.status == 400
    assert 'HTTP 400 Bad Request: "invalid_grant: the assertion signature' in caught.value.message
    assert sim.counters["jwt-bearer.generate.ok"] == 0


def test_remote_revoke_when_a_revoke_url_is_set(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    add("sa", "jwt-bearer", _settings(sim, revoke_url="/revoke"), {"private_key": rsa_pair[0]})
    token = tokens.generate(store, "sa")
    result = tokens.revoke(store, "sa")
    assert result.remote and sim.counters["jwt-bearer.revoke"] == 1
    gone = httpx.get(sim.url + WHOAMI, headers={"Authorization": f"Bearer {token.value}"})
    assert gone.status_code == 401


def test_without_revoke_url_revoke_is_local_with_advice(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    add("sa", "jwt-bearer", _settings(sim), {"private_key": rsa_pair[0]})
    tokens.generate(store, "sa")
    result = tokens.revoke(store, "sa")
    assert not result.remote and sim.counters["jwt-bearer.revoke"] == 0
    assert "service account key" in result.message


def test_a_look_alike_needs_settings_only(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    # Another preset (Unifize's) turned into an RFC 7523 client by settings alone.
    settings = {
        "base_url": sim.url,
        "app_id": SA_EMAIL,
        "token_url": "/token",
        "auth": "none",
        "body_kind": "form",
        "body": {"grant_type": GRANT, "assertion": "{assertion}"},
        "org_id_placement": "none",
        "assertion_aud": "{token_url}",
        "assertion_claims": {"scope": "read write"},
        "assertion_lifetime": 3600,
    }
    add("alike", "jwt-assertion", settings, {"private_key": rsa_pair[0]})
    token = tokens.generate(store, "alike")
    who = httpx.get(sim.url + WHOAMI, headers={"Authorization": f"Bearer {token.value}"})
    assert who.json() == {"client_email": SA_EMAIL, "scope": "read write"}


def test_settings_are_checked_in_one_sentence(sim: Simulator, rsa_pair: tuple[str, str]) -> None:
    secrets = {"private_key": rsa_pair[0]}
    with pytest.raises(UsageError, match="needs the setting 'client_email'"):
        validate_settings("jwt-bearer", {"base_url": sim.url, "scope": "read"}, secrets)
    with pytest.raises(UsageError, match="needs the setting 'scope'"):
        validate_settings("jwt-bearer", {"base_url": sim.url, "client_email": SA_EMAIL}, secrets)
    with pytest.raises(UsageError, match="needs the secret 'private_key'"):
        validate_settings("jwt-bearer", _settings(sim), {})
    with pytest.raises(UsageError, match="between 1 and 3600"):
        validate_settings("jwt-bearer", _settings(sim, assertion_lifetime=3601), secrets)
    engine = Engine("jwt-bearer", _settings(sim, headers={"X-Proof": "{assertion}"}), secrets)
    engine.token_request(now())  # {assertion} in the token request's headers is fine
    misplaced = _settings(sim, request_headers={"Authorization": "Bearer {assertion}"})
    with pytest.raises(UsageError, match=r"placeholder \{assertion\} only works"):
        Engine("jwt-bearer", misplaced, secrets).token_headers(Token(value="t", issued_at=now()))

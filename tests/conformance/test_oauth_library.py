"""The oauth2-client-credentials and jwt-bearer presets against Authlib's OAuth 2.0 server.

Code nobody here wrote judges RFC 6749 4.4 (client credentials), RFC 7523 (JWT bearer grant
and client assertions), RFC 7009 (revocation) and RFC 6750 (the 401 on a dead token).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conformance.authlib_server import LIFETIME, AuthlibServer, Client
from vault import VaultAuth
from vault.core import clock, tokens
from vault.core.errors import ProviderError
from vault.core.model import Credential, Status
from vault.core.providers import provider_for
from vault.core.store import VaultStore
from vault.sim.keys import generate_key_pair

CLIENT_ID = "vault-client"
CLIENT_SECRET = "authlib-client-secret-0001"
SA = "reports@authlib.example"
SA_SECRET = "authlib-sa-secret-0002"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture
def server(keys: tuple[str, str]) -> Iterator[AuthlibServer]:
    with AuthlibServer() as running:
        running.add_client(Client(CLIENT_ID, client_secret=CLIENT_SECRET))
        running.add_client(Client(SA, client_secret=SA_SECRET, public_key_pem=keys[1]))
        yield running


def _add(store: VaultStore, name: str, style: str, settings: dict, secrets: dict) -> None:
    with store.transaction() as data:
        data.credentials[name] = Credential(
            name=name, provider=style, settings=settings, secrets=secrets
        )


def _oauth(store: VaultStore, server: AuthlibServer, secret: str = CLIENT_SECRET) -> None:
    settings = {
        "base_url": server.url,
        "client_id": CLIENT_ID,
        "scope": "read",
        "revoke_url": "/oauth/revoke",
        "test_url": "/whoami",
    }
    _add(store, "cc", "oauth2-client-credentials", settings, {"client_secret": secret})


def _jwt(store: VaultStore, server: AuthlibServer, private_pem: str, **extra: str) -> None:
    settings = {
        "base_url": server.url,
        "token_url": "/oauth/token",
        "client_email": SA,
        "scope": "read",
        "revoke_url": "/oauth/revoke",
        "revoke_auth": "client-assertion",
        **extra,
    }
    _add(store, "sa", "jwt-bearer", settings, {"private_key": private_pem})


def _whoami(server: AuthlibServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(server.url + "/whoami", headers=headers, timeout=5).status_code


# -- client credentials ------------------------------------------------------------------------


def test_token_is_issued_and_stored_with_its_expiry(
    server: AuthlibServer, store: VaultStore
) -> None:
    _oauth(store, server)
    token = tokens.generate(store, "cc")
    assert token.expiry_source == "expires_in"
    assert token.expires_at is not None
    assert abs((token.expires_at - token.issued_at).total_seconds() - LIFETIME) < 2
    assert store.reload().credentials["cc"].token == token
    assert server.registry.counts["token.200"] == 1
    assert _whoami(server, token.value) == 200


def test_a_401_regenerates_exactly_once(server: AuthlibServer, store: VaultStore) -> None:
    _oauth(store, server)
    first = tokens.generate(store, "cc").value
    server.registry.kill_all()  # server-side: Authlib's validator now answers invalid_token
    with httpx.Client(auth=VaultAuth(store, "cc"), timeout=5) as client:
        assert client.get(server.url + "/whoami").status_code == 200
    counts = server.registry.counts
    assert counts["whoami.401"] == 1 and counts["whoami.200"] == 1
    assert counts["token.200"] == 2, "one regeneration, no more"
    assert store.reload().credentials["cc"].token.value != first  # type: ignore[union-attr]


def test_rfc7009_revoke_succeeds_and_again_still_200(
    server: AuthlibServer, store: VaultStore
) -> None:
    _oauth(store, server)
    token = tokens.generate(store, "cc")
    engine = provider_for(store.reload().credentials["cc"])
    with httpx.Client(timeout=5) as client:
        first = engine.revoke(client, token)
        again = engine.revoke(client, token)  # RFC 7009 2.2: an invalid token is still 200
    assert first.remote and again.remote and "HTTP 200" in again.message
    assert server.registry.counts["revoke.200"] == 2
    assert _whoami(server, token.value) == 401
    # Through the lifecycle: forgotten here, revoked there.
    tokens.generate(store, "cc")
    assert tokens.revoke(store, "cc").remote
    assert store.reload().credentials["cc"].status() is Status.REVOKED
    assert server.registry.counts["revoke.200"] == 3


def test_wrong_client_secret_is_one_sentence_and_stores_nothing(
    server: AuthlibServer, store: VaultStore
) -> None:
    _oauth(store, server, secret="not-the-secret-0003")
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "cc")
    message = caught.value.message
    assert "HTTP 401" in message and "invalid_client" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert "not-the-secret-0003" not in message
    assert store.reload().credentials["cc"].token is None
    assert server.registry.counts["token.401"] == 1


def test_revoke_refused_for_a_wrong_secret_keeps_the_token(
    server: AuthlibServer, store: VaultStore
) -> None:
    """Authlib answers 401 invalid_client: the vault must not call that revoked."""
    _oauth(store, server)
    token = tokens.generate(store, "cc").value
    with store.transaction() as data:
        data.credentials["cc"].secrets["client_secret"] = "rotated-0004"
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "cc")
    assert "refused to revoke the token" in caught.value.message
    assert "invalid_client" in caught.value.message
    cred = store.reload().credentials["cc"]
    assert cred.token is not None and cred.token.value == token and not cred.revoked
    assert _whoami(server, token) == 200
    assert server.registry.counts["revoke.401"] == 1


# -- JWT bearer (RFC 7523) -----------------------------------------------------------------------


def test_jwt_bearer_assertion_is_verified_by_authlib(
    server: AuthlibServer, store: VaultStore, keys: tuple[str, str]
) -> None:
    _jwt(store, server, keys[0])
    token = tokens.generate(store, "sa")
    assert token.expiry_source == "expires_in"
    grant = [c for c in server.registry.assertion_claims if c["use"] == "grant"]
    assert len(grant) == 1
    claims = grant[0]
    assert claims["iss"] == SA and claims["aud"] == server.token_url
    assert claims["iat"] < claims["exp"] <= claims["iat"] + 3600
    assert _whoami(server, token.value) == 200


@pytest.mark.parametrize(
    ("extra", "shift", "words"),
    [
        ({"assertion_aud": "https://elsewhere.example/token"}, 0, "aud"),
        ({}, -7200, "expired"),
    ],
)
def test_jwt_bearer_bad_assertion_is_refused_by_authlib(
    extra: dict[str, str],
    shift: int,
    words: str,
    server: AuthlibServer,
    store: VaultStore,
    keys: tuple[str, str],
) -> None:
    _jwt(store, server, keys[0], **extra)
    clock.set_clock(lambda: datetime.now(UTC) + timedelta(seconds=shift))
    try:
        with pytest.raises(ProviderError) as caught:
            tokens.generate(store, "sa")
    finally:
        clock.set_clock(None)
    assert "invalid_grant" in caught.value.message and words in caught.value.message.lower()
    assert store.reload().credentials["sa"].token is None


def test_jwt_bearer_revoke_authenticates_with_a_client_assertion(
    server: AuthlibServer, store: VaultStore, keys: tuple[str, str]
) -> None:
    _jwt(store, server, keys[0])
    token = tokens.generate(store, "sa").value
    assert tokens.revoke(store, "sa").remote
    client = [c for c in server.registry.assertion_claims if c["use"] == "client"]
    assert len(client) == 1
    assert client[0]["iss"] == client[0]["sub"] == SA
    assert client[0]["aud"] == server.token_url and client[0]["jti"]
    assert _whoami(server, token) == 401


def test_jwt_bearer_revoke_authenticates_with_client_id_and_secret(
    server: AuthlibServer, store: VaultStore, keys: tuple[str, str]
) -> None:
    _jwt(store, server, keys[0], revoke_auth="client-secret-post", client_id=SA)
    with store.transaction() as data:
        data.credentials["sa"].secrets["client_secret"] = SA_SECRET
    token = tokens.generate(store, "sa").value
    assert tokens.revoke(store, "sa").remote
    assert _whoami(server, token) == 401
    assert not [c for c in server.registry.assertion_claims if c["use"] == "client"]


def test_jwt_bearer_revoke_without_client_auth_is_refused(
    server: AuthlibServer, store: VaultStore, keys: tuple[str, str]
) -> None:
    """Authlib's endpoint asks for client authentication: none is a 401, the token stays."""
    _jwt(store, server, keys[0], revoke_auth="none")
    token = tokens.generate(store, "sa").value
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "sa")
    assert "invalid_client" in caught.value.message
    assert store.reload().credentials["sa"].token.value == token  # type: ignore[union-attr]
    assert _whoami(server, token) == 200

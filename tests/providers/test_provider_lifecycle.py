"""Each preset end to end against the simulator: generate, use, expire, refresh, revoke."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.providers.conftest import AddFn, ShiftableClock
from tests.providers.provider_support import COUNTER, PARTITION, settings_for
from vault import VaultAuth
from vault.core import refreshing, tokens
from vault.core.model import EventKind, Status, Token
from vault.core.providers import provider_for
from vault.core.store import VaultStore
from vault.sim import Simulator

WHOAMI = {
    "app-token": "/app-token/whoami",
    "jwt-assertion": "/application/whoami",
    "github-app": "/installation/repositories",
    "secret-exchange": f"/v2/{PARTITION}/whoami",
    "oauth2-client-credentials": "/oauth/whoami",
    "jwt-bearer": "/jwt-bearer/whoami",
}
EXPIRY_SOURCE = {
    "app-token": "fixed",
    "jwt-assertion": "epoch_ms",
    "github-app": "iso8601",
    "secret-exchange": "expires_in",
    "oauth2-client-credentials": "expires_in",
    "jwt-bearer": "expires_in",
}
LIFETIME = {
    "app-token": 25 * 3600,
    "jwt-assertion": 3600,
    "github-app": 3600,
    "secret-exchange": 86400,
    "oauth2-client-credentials": 3600,
    "jwt-bearer": 3600,
}
REMOTE_REVOKE = {"github-app", "oauth2-client-credentials"}
STYLES = list(WHOAMI)


@pytest.fixture
def credential(
    request: pytest.FixtureRequest, sim: Simulator, add: AddFn, rsa_pair: tuple[str, str]
) -> str:
    style: str = request.param
    settings, secrets = settings_for(style, sim)
    if style in ("jwt-assertion", "github-app", "jwt-bearer"):
        secrets = {"private_key": rsa_pair[0]}
    add("cred", style, settings, secrets)
    return style


def call_with(store: VaultStore, sim: Simulator, style: str, token: Token) -> httpx.Response:
    """One API call with exactly ``token`` attached (no regeneration), as the preset says."""
    engine = provider_for(store.data.credentials["cred"])
    request = httpx.Request("GET", sim.url + WHOAMI[style])
    engine.apply(request, token)
    with httpx.Client(timeout=5) as client:
        return client.send(request)


@pytest.mark.parametrize("credential", STYLES, indirect=True)
def test_generate_use_expire_refresh_revoke(
    credential: str, store: VaultStore, sim: Simulator, shared_clock: ShiftableClock
) -> None:
    style = credential
    counter = COUNTER[style]

    first = tokens.generate(store, "cred")
    assert first.expiry_source == EXPIRY_SOURCE[style]
    assert first.expires_at is not None
    lifetime = (first.expires_at - first.issued_at).total_seconds()
    assert abs(lifetime - LIFETIME[style]) < 5
    assert sim.counters[f"{counter}.generate.ok"] == 1

    # Use: the attached token is accepted by the simulator's own check.
    with httpx.Client(auth=VaultAuth(store, "cred"), timeout=5) as client:
        assert client.get(sim.url + WHOAMI[style]).status_code == 200
    assert sim.counters[f"{counter}.generate.ok"] == 1, "a valid token must be reused"

    # Expire: the vault's clock (which the simulator follows) moves past the expiry.
    shared_clock.shift(lifetime + 60)
    cred = store.reload().credentials["cred"]
    assert cred.status() is Status.EXPIRED
    assert call_with(store, sim, style, first).status_code == 401

    # Refresh: ensure replaces the expired token and the new one works.
    second = tokens.ensure(store, "cred", timedelta(seconds=60))
    assert second.value != first.value
    assert second.expires_at is not None and second.expires_at > shared_clock()
    assert sim.counters[f"{counter}.generate.ok"] == 2
    assert call_with(store, sim, style, second).status_code == 200
    cred = store.reload().credentials["cred"]
    assert [e.kind for e in cred.history][-2:] == [EventKind.GENERATED, EventKind.REFRESHED]
    assert cred.status() is Status.VALID

    # Revoke: remote where the provider has an endpoint, otherwise local with advice.
    result = tokens.revoke(store, "cred")
    cred = store.reload().credentials["cred"]
    assert cred.token is None and cred.revoked and cred.status() is Status.REVOKED
    assert cred.history[-1].kind == EventKind.REVOKED
    if style in REMOTE_REVOKE:
        assert result.remote
        assert sim.counters[f"{counter}.revoke"] == 1
        assert call_with(store, sim, style, second).status_code == 401
        assert "at the provider" in result.message
    else:
        assert not result.remote
        assert "locally only" in result.message
        assert "provider" in result.message.split("locally only", 1)[1]
        # The provider still honours it: that is exactly what the message warns about.
        assert call_with(store, sim, style, second).status_code == 200

    # After a revoke, the next ensure generates afresh.
    third = tokens.ensure(store, "cred")
    assert third.value not in (first.value, second.value)
    assert not store.reload().credentials["cred"].revoked


@pytest.mark.parametrize("credential", STYLES, indirect=True)
def test_ensure_reuses_a_valid_token(credential: str, store: VaultStore, sim: Simulator) -> None:
    token = tokens.ensure(store, "cred")
    again = tokens.ensure(store, "cred", timedelta(seconds=60))
    assert again.value == token.value
    assert sim.counters[f"{COUNTER[credential]}.generate"] == 1


@pytest.mark.parametrize("credential", ["oauth2-client-credentials"], indirect=True)
def test_ensure_replaces_a_token_expiring_within_min_valid(
    credential: str, store: VaultStore, sim: Simulator
) -> None:
    token = tokens.ensure(store, "cred")
    # 3600 s tokens: asking for two hours of validity forces a new one.
    fresher = tokens.ensure(store, "cred", timedelta(hours=2))
    assert fresher.value != token.value
    assert sim.counters["oauth2.generate.ok"] == 2


def test_revoke_without_token_says_so(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, secrets = settings_for("app-token", sim)
    add("cred", "app-token", settings, secrets)
    result = tokens.revoke(store, "cred")
    assert not result.remote
    assert "holds no token" in result.message


def test_refresh_many_reports_each_name(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, secrets = settings_for("app-token", sim)
    for i in range(10):
        add(f"ok{i}", "app-token", settings, secrets)
    add("bad", "app-token", settings, {"app_secret": "wrong-secret-value"})
    names = [*(f"ok{i}" for i in range(10)), "bad", "missing"]
    outcomes = refreshing.refresh_many(store, names, concurrency=4)
    assert list(outcomes) == names
    assert all(outcomes[f"ok{i}"].ok for i in range(10))
    assert not outcomes["bad"].ok and "HTTP 401" in (outcomes["bad"].error or "")
    assert not outcomes["missing"].ok and "No credential" in (outcomes["missing"].error or "")
    data = store.reload()
    assert all(data.credentials[f"ok{i}"].token is not None for i in range(10))
    assert data.credentials["bad"].token is None
    assert data.credentials["bad"].last_error == outcomes["bad"].error
    assert sim.counters["app-token.generate.ok"] == 10

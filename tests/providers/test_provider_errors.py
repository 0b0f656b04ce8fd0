"""Every error path against the simulator: one sentence, the token kept, last_error recorded."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from tests.providers.conftest import AddFn, ShiftableClock
from tests.providers.provider_support import (
    APP_SECRET,
    CLIENT_SECRET,
    PARTITION,
    SHIFTIQ_SECRET,
    free_port,
    settings_for,
)
from vault.core import tokens
from vault.core.clock import now
from vault.core.errors import ProviderError, UsageError
from vault.core.model import EventKind, Status
from vault.core.providers import SecretExpired
from vault.core.store import VaultStore
from vault.sim import Simulator

GENERATE = "/auth/app-token"


@pytest.fixture
def app(sim: Simulator, store: VaultStore, add: AddFn) -> str:
    """An app-token credential that already holds a working token."""
    settings, secrets = settings_for("app-token", sim)
    add("app", "app-token", {**settings, "timeout": 0.5}, secrets)
    tokens.generate(store, "app")
    return "app"


def assert_kept(store: VaultStore, name: str, before: str, error: ProviderError) -> None:
    """The stored token survived, and the failure is on the credential as one sentence."""
    cred = store.reload().credentials[name]
    assert cred.token is not None and cred.token.value == before
    assert cred.last_error == error.message
    assert cred.status() is Status.ERROR
    assert cred.history[-1].kind == EventKind.FAILED
    assert error.message.count("\n") == 0 and error.message.endswith(".")
    assert "the stored token was kept" in error.message


def token_of(store: VaultStore, name: str) -> str:
    token = store.reload().credentials[name].token
    assert token is not None
    return token.value


@pytest.mark.parametrize(
    ("kind", "status", "said"),
    [
        ("500", 500, None),
        ("503", 503, None),
        ("malformed", 200, "not valid JSON"),
        ("html", 200, "HTML page"),
    ],
)
def test_provider_failures_keep_the_token(
    kind: str, status: int, said: str | None, app: str, store: VaultStore, sim: Simulator
) -> None:
    before = token_of(store, app)
    sim.inject_fault(GENERATE, kind)
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, app)
    err = caught.value
    assert err.status == status
    assert f"HTTP {status}" in err.message
    if said:
        assert said in err.message
    else:
        # The provider's own words are quoted (JSON error field or the HTML page's title).
        assert err.provider_message and f'"{err.provider_message}"' in err.message
    assert APP_SECRET not in err.message
    assert_kept(store, app, before, err)


def test_success_clears_last_error(app: str, store: VaultStore, sim: Simulator) -> None:
    sim.inject_fault(GENERATE, "500")
    with pytest.raises(ProviderError):
        tokens.generate(store, app)
    tokens.generate(store, app)
    cred = store.reload().credentials[app]
    assert cred.last_error is None and cred.status() is Status.VALID


def test_timeout_keeps_the_token(app: str, store: VaultStore, sim: Simulator) -> None:
    before = token_of(store, app)
    sim.inject_fault(GENERATE, "slow", delay=2.0)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, app)
    assert time.monotonic() - started < 1.5
    assert caught.value.status is None
    assert "did not answer in time" in caught.value.message
    assert_kept(store, app, before, caught.value)


def test_connection_refused_keeps_the_token(app: str, store: VaultStore) -> None:
    before = token_of(store, app)
    with store.transaction() as data:
        data.credentials[app].settings["base_url"] = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, app)
    assert "could not connect to 127.0.0.1" in caught.value.message
    assert_kept(store, app, before, caught.value)


def test_wrong_secret_quotes_the_provider(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, _ = settings_for("app-token", sim)
    add("app", "app-token", settings, {"app_secret": "not-the-secret-0001"})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "app")
    assert caught.value.status == 401
    assert 'HTTP 401 Unauthorized: "invalid app credentials"' in caught.value.message
    assert "not-the-secret-0001" not in caught.value.message
    assert store.reload().credentials["app"].last_error == caught.value.message


@pytest.mark.parametrize("kind", ["429", "403-rate"])
def test_rate_limit_backs_off_then_succeeds(
    kind: str, app: str, store: VaultStore, sim: Simulator
) -> None:
    before = token_of(store, app)
    sim.reset_counters()
    sim.inject_fault(GENERATE, kind, count=2, retry_after=0)
    fresh = tokens.generate(store, app)
    assert fresh.value != before
    assert sim.counters["app-token.generate"] == 3
    assert sim.counters["app-token.generate.ok"] == 1


def test_rate_limit_honours_retry_after(app: str, store: VaultStore, sim: Simulator) -> None:
    # The wait counts in the call's one deadline: give it room beyond the fixture's 0.5 s.
    with store.transaction() as data:
        data.credentials[app].settings["timeout"] = 5.0
    sim.inject_fault(GENERATE, "429", count=1, retry_after=1)
    started = time.monotonic()
    tokens.generate(store, app)
    assert 0.9 <= time.monotonic() - started < 3


@pytest.mark.parametrize("kind", ["429", "403-rate"])
def test_rate_limit_gives_up_after_a_bounded_number_of_tries(
    kind: str, app: str, store: VaultStore, sim: Simulator
) -> None:
    before = token_of(store, app)
    sim.reset_counters()
    sim.inject_fault(GENERATE, kind, count=10, retry_after=0)
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, app)
    assert sim.counters["app-token.generate"] == 3
    status = 429 if kind == "429" else 403
    assert caught.value.status == status
    assert "after 3 attempts" in caught.value.message
    if kind == "403-rate":
        assert '"Rate Limit Exceeded"' in caught.value.message
    assert_kept(store, app, before, caught.value)


def test_retry_after_beyond_the_cap_fails_at_once(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    sim.reset_counters()
    sim.inject_fault(GENERATE, "429", count=1, retry_after=120)
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, app)
    assert sim.counters["app-token.generate"] == 1
    assert "try again in 120 s" in caught.value.message


def test_an_ordinary_403_is_not_retried(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("jwt-assertion", sim)
    add("u", "jwt-assertion", {**settings, "org_id": "wrong-org"}, {"private_key": rsa_pair[0]})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "u")
    assert sim.counters["jwt-assertion.generate"] == 1
    assert 'HTTP 403 Forbidden: "unknown org"' in caught.value.message


# -- secret-exchange rules -------------------------------------------------------------------


def shiftiq(sim: Simulator, add: AddFn, **settings: object) -> None:
    base, secrets = settings_for("secret-exchange", sim)
    add("siq", "secret-exchange", {**base, **settings}, secrets, now() - timedelta(days=10))


@pytest.mark.parametrize("lifetime", [59, 31_536_001])
def test_lifetime_out_of_range_is_refused_before_sending(
    lifetime: int, sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    shiftiq(sim, add, lifetime=lifetime)
    with pytest.raises(UsageError) as caught:
        tokens.generate(store, "siq")
    assert "60 to 31,536,000 seconds" in caught.value.message
    assert sim.counters["secret-exchange.generate"] == 0
    assert store.reload().credentials["siq"].last_error == caught.value.message


@pytest.mark.parametrize("lifetime", [60, 3600, 31_536_000])
def test_lifetime_in_range_is_sent_and_expires_in_trusted(
    lifetime: int, sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    shiftiq(sim, add, lifetime=lifetime)
    token = tokens.generate(store, "siq")
    assert token.expiry_source == "expires_in"
    assert token.expires_at is not None
    # The simulator's JWT exp is an hour off on purpose; ExpiresIn must win.
    assert abs((token.expires_at - token.issued_at).total_seconds() - lifetime) < 5


def test_expired_secret_is_refused_before_sending_with_its_date(
    sim: Simulator, store: VaultStore, add: AddFn, shared_clock: ShiftableClock
) -> None:
    shiftiq(sim, add)
    before = tokens.generate(store, "siq").value
    shared_clock.shift(81 * 86400)  # day 91 of the secret (created 10 days ago)
    sim.reset_counters()
    with pytest.raises(SecretExpired) as caught:
        tokens.ensure(store, "siq")
    expired_on = store.reload().credentials["siq"].secret_expires_at
    assert expired_on is not None
    assert expired_on.date().isoformat() in caught.value.message
    assert sim.counters["secret-exchange.generate"] == 0
    assert_kept(store, "siq", before, caught.value)


def test_provider_side_secret_expiry_shows_its_plain_text(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    base, _ = settings_for("secret-exchange", sim)
    sim.register_shiftiq_secret(PARTITION, "old-secret-0002", now() - timedelta(days=95))
    # The vault was not told when the secret was made, so only the provider can say.
    add("siq", "secret-exchange", base, {"client_secret": "old-secret-0002"})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "siq")
    assert caught.value.status == 401
    assert '"Your client secret is expired"' in caught.value.message
    assert caught.value.provider_message == "Your client secret is expired"


def test_unknown_secret_shows_its_plain_text(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    base, _ = settings_for("secret-exchange", sim)
    add("siq", "secret-exchange", base, {"client_secret": "never-registered-01"})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "siq")
    assert '"Your client secret is not recognized"' in caught.value.message
    assert SHIFTIQ_SECRET not in caught.value.message


def test_secret_exchange_alias_path_is_a_setting(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    shiftiq(sim, add, token_url="/v2/{settings.partition}/api/security/tokens/generate")
    assert tokens.generate(store, "siq").expiry_source == "expires_in"


def test_oauth_error_description_is_quoted(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, _ = settings_for("oauth2-client-credentials", sim)
    add("o", "oauth2-client-credentials", settings, {"client_secret": "wrong-secret-0003"})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "o")
    assert "invalid_client: " in caught.value.message
    assert CLIENT_SECRET not in caught.value.message
    assert "wrong-secret-0003" not in caught.value.message


def test_oauth_client_auth_in_the_body(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, secrets = settings_for("oauth2-client-credentials", sim)
    body = {
        "grant_type": "client_credentials",
        "client_id": "{settings.client_id}",
        "client_secret": "{secret.client_secret}",
    }
    add("o", "oauth2-client-credentials", {**settings, "auth": "none", "body": body}, secrets)
    tokens.generate(store, "o")
    result = tokens.revoke(store, "o")
    assert result.remote and sim.counters["oauth2.revoke"] == 1


def test_oauth_without_revoke_url_forgets_locally(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    settings, secrets = settings_for("oauth2-client-credentials", sim)
    settings.pop("revoke_url")
    add("o", "oauth2-client-credentials", settings, secrets)
    tokens.generate(store, "o")
    result = tokens.revoke(store, "o")
    assert not result.remote and sim.counters["oauth2.revoke"] == 0
    assert "rotate the client secret" in result.message


def test_failed_remote_revoke_keeps_the_token(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("github-app", sim)
    add("gh", "github-app", settings, {"private_key": rsa_pair[0]})
    before = tokens.generate(store, "gh").value
    sim.inject_fault("/installation/token", "500")
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "gh")
    assert caught.value.message.startswith("Could not revoke a token for 'gh'")
    cred = store.reload().credentials["gh"]
    assert cred.token is not None and cred.token.value == before and not cred.revoked


def test_unknown_installation_is_a_404_sentence(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("github-app", sim)
    add("gh", "github-app", {**settings, "installation_id": "1"}, {"private_key": rsa_pair[0]})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "gh")
    assert 'HTTP 404 Not Found: "Not Found"' in caught.value.message


def test_timeout_applies_to_async_generation_too(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    import anyio

    sim.inject_fault(GENERATE, "slow", delay=2.0)

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            await tokens.agenerate(store, app, client=client)

    with pytest.raises(ProviderError) as caught:
        anyio.run(run)
    assert "did not answer in time" in caught.value.message

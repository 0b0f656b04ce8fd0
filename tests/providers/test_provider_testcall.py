"""The test call: each preset's default test_url answers the vault's token; 401 regenerates once."""

from __future__ import annotations

import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import COUNTER, settings_for
from vault.core import tokens
from vault.core.errors import UsageError
from vault.core.model import EventKind
from vault.core.providers import PRESETS, validate_settings
from vault.core.store import VaultStore
from vault.core.testcall import atest_call
from vault.sim import Simulator


def _add(style: str, sim: Simulator, add: AddFn, rsa_pair: tuple[str, str]) -> str:
    settings, secrets = settings_for(style, sim)
    if not secrets:
        secrets = {"private_key": rsa_pair[0]}
    add("c", style, settings, secrets)
    return "c"


@pytest.mark.parametrize("style", sorted(PRESETS))
async def test_default_test_url_of_every_preset_answers(
    style: str, sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    name = _add(style, sim, add, rsa_pair)
    result = await atest_call(store, name)
    assert result.ok, result.message
    assert result.status == 200 and not result.regenerated
    assert sim.counters[f"{COUNTER[style]}.whoami"] == 1
    # No token was stored: the call generated one first, like any request through the vault.
    assert sim.counters[f"{COUNTER[style]}.generate.ok"] == 1
    assert "HTTP 200" in result.message


@pytest.mark.parametrize("style", ["app-token", "secret-exchange"])
async def test_401_regenerates_exactly_once(
    style: str, sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    name = _add(style, sim, add, rsa_pair)
    old = tokens.generate(store, name)
    sim.invalidate_tokens()
    sim.reset_counters()
    result = await atest_call(store, name)
    assert result.ok and result.regenerated
    assert "401" in result.message
    assert sim.counters[f"{COUNTER[style]}.generate.ok"] == 1
    assert sim.counters[f"{COUNTER[style]}.whoami"] == 2
    cred = store.reload().credentials[name]
    assert cred.token is not None and cred.token.value != old.value
    assert [e.kind for e in cred.history[-2:]] == [EventKind.UNAUTHORIZED, EventKind.REFRESHED]
    assert old.value not in result.message and cred.token.value not in result.message


async def test_a_refused_call_reports_status_and_provider_words(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    settings, secrets = settings_for("app-token", sim)
    # A look-alike pointed at another provider's whoami: every app token is refused there.
    settings["test_url"] = "/oauth/whoami"
    add("c", "app-token", settings, secrets)
    result = await atest_call(store, "c")
    assert not result.ok and result.status == 401 and result.regenerated
    assert "invalid_token" in result.message and "refused too" in result.message
    assert sim.counters["oauth2.whoami"] == 2  # retried once, not looped


def test_test_url_is_validated_like_the_other_urls() -> None:
    settings = {"base_url": "https://api.example.com", "app_id": "a"}
    secrets = {"app_secret": "s"}
    ok = validate_settings("app-token", {**settings, "test_url": "/me"}, secrets)
    assert ok["test_url"] == "/me"
    with pytest.raises(UsageError, match="'test_url' must be an http"):
        validate_settings("app-token", {**settings, "test_url": "ftp://x/me"}, secrets)
    with pytest.raises(UsageError, match="'test_url' uses plain http"):
        validate_settings("app-token", {**settings, "test_url": "http://x.example/me"}, secrets)


async def test_no_test_url_is_one_sentence(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    settings, secrets = settings_for("app-token", sim)
    add("c", "app-token", {**settings, "test_url": ""}, secrets)
    with pytest.raises(UsageError, match="no test_url"):
        await atest_call(store, "c")

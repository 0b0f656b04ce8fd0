"""Revoke tells the truth (RFC 7009 2.2, RFC 6749 5.2), and a revoke racing a regeneration ends
in one consistent state; all against the real simulator on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import settings_for
from vault.core import refreshing, tokens
from vault.core.errors import ProviderError
from vault.core.model import Status
from vault.core.store import VaultStore
from vault.sim import Simulator

WAIT = 10.0
"""Seconds an event in these tests may take before the test fails (never a sleep)."""


def _oauth(sim: Simulator, add: AddFn, **extra: str) -> None:
    settings, secrets = settings_for("oauth2-client-credentials", sim)
    add("o", "oauth2-client-credentials", {**settings, **extra}, secrets)


def _kept(store: VaultStore, name: str, value: str) -> None:
    cred = store.reload().credentials[name]
    assert cred.token is not None and cred.token.value == value
    # Still usable; the refusal is in last_error for the list and the history.
    assert not cred.revoked and cred.status() in (Status.VALID, Status.ERROR)


def test_rfc7009_401_is_a_refusal_not_a_dead_token(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    """A 401 from an RFC 7009 endpoint means the client failed to authenticate."""
    _oauth(sim, add)
    token = tokens.generate(store, "o").value
    # The secret was rotated at the server since: the token still works, revoking cannot.
    with store.transaction() as data:
        data.credentials["o"].secrets["client_secret"] = "rotated-away-0009"
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "o")
    message = caught.value.message
    assert "refused to revoke the token" in message and "HTTP 401" in message
    assert "invalid_client" in message and "nothing was revoked" in message
    assert "rotated-away-0009" not in message and token not in message
    assert sim.counters["oauth2.revoke"] == 1
    _kept(store, "o", token)
    # The provider agrees: the token is still alive there.
    whoami = httpx.get(f"{sim.url}/oauth/whoami", headers={"Authorization": f"Bearer {token}"})
    assert whoami.status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("400", "HTTP 400", "unsupported_token_type"),
        ("403", "HTTP 403", "access_denied"),
        ("500", "HTTP 500", "internal server error"),
        ("401", "HTTP 401", "invalid_client"),
    ],
)
def test_any_refusal_keeps_the_token(
    kind: str, status: str, words: str, sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    _oauth(sim, add)
    token = tokens.generate(store, "o").value
    sim.inject_fault("/oauth/revoke", kind)
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "o")
    message = caught.value.message
    assert message.startswith("Could not revoke a token for 'o': ")
    assert "refused to revoke the token" in message and status in message and words in message
    assert message.endswith("the stored token was kept.")
    _kept(store, "o", token)


def test_503_says_the_token_still_exists(sim: Simulator, store: VaultStore, add: AddFn) -> None:
    """RFC 7009 2.2.1: after a 503 the client must assume the token still exists."""
    _oauth(sim, add)
    token = tokens.generate(store, "o").value
    sim.inject_fault("/oauth/revoke", "503")
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "o")
    assert "the token still exists there, try again later" in caught.value.message
    _kept(store, "o", token)


def test_rfc7009_200_for_an_already_dead_token_is_success(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    _oauth(sim, add)
    tokens.generate(store, "o")
    sim.invalidate_tokens("oauth2")
    result = tokens.revoke(store, "o")
    assert result.remote and "HTTP 200" in result.message
    assert store.reload().credentials["o"].status() is Status.REVOKED


def test_github_401_means_already_dead(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    """Only a bearer revoke (the token authenticates itself) may read 401 as dead."""
    settings, _ = settings_for("github-app", sim)
    add("gh", "github-app", settings, {"private_key": rsa_pair[0]})
    token = tokens.generate(store, "gh").value
    gone = httpx.delete(
        f"{sim.url}/installation/token", headers={"Authorization": f"Bearer {token}"}
    )
    assert gone.status_code == 204
    result = tokens.revoke(store, "gh")
    assert result.remote and "already dead there" in result.message
    assert store.reload().credentials["gh"].status() is Status.REVOKED


def test_jwt_bearer_revokes_with_a_client_assertion(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str],
    other_rsa_pair: tuple[str, str],
) -> None:  # fmt: skip
    """RFC 7523 2.2: the assertion is sent and verified; a bad one is invalid_client."""
    settings, _ = settings_for("jwt-bearer", sim)
    settings.update(revoke_url="/revoke", revoke_auth="client-assertion")
    add("sa", "jwt-bearer", settings, {"private_key": rsa_pair[0]})
    add("sa2", "jwt-bearer", settings, {"private_key": rsa_pair[0]})
    tokens.generate(store, "sa")
    kept = tokens.generate(store, "sa2").value
    assert tokens.revoke(store, "sa").remote
    # A key the provider does not know signs the client assertion: refused, token kept.
    with store.transaction() as data:
        data.credentials["sa2"].secrets["private_key"] = other_rsa_pair[0]
    with pytest.raises(ProviderError) as caught:
        tokens.revoke(store, "sa2")
    assert "invalid_client" in caught.value.message and "HTTP 401" in caught.value.message
    assert "signature" in caught.value.message
    _kept(store, "sa2", kept)
    assert sim.counters["jwt-bearer.revoke"] == 2


# -- revoke racing a regeneration ---------------------------------------------------------------


def _held_client(reached: threading.Event, release: threading.Event) -> httpx.Client:
    """A real client whose answers are held (after the provider answered) until ``release``."""

    def hold(response: httpx.Response) -> None:
        reached.set()
        assert release.wait(WAIT), "the other operation never finished"

    return httpx.Client(timeout=WAIT, event_hooks={"response": [hold]})


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # handed to the test thread to assert on
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_token_minted_during_a_revoke_does_not_bring_the_credential_back(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    """The regeneration was asked before the revoke finished: the revoke wins."""
    _oauth(sim, add)
    tokens.generate(store, "o")
    reached, release = threading.Event(), threading.Event()
    with _held_client(reached, release) as held:
        thread, outcome = _in_thread(lambda: tokens.generate(store, "o", client=held))
        assert reached.wait(WAIT), "the regeneration never reached the provider"
        result = tokens.revoke(store, "o")
        release.set()
        thread.join(WAIT)
    assert result.remote and "Revoked the token" in result.message
    assert len(outcome) == 1 and isinstance(outcome[0], tokens.RevokedMeanwhile)
    assert "was revoked while a new token was being generated" in str(outcome[0])
    cred = store.reload().credentials["o"]
    assert cred.token is None and cred.revoked and cred.status() is Status.REVOKED
    # The rule is about tokens minted before the revoke: a later one is stored as usual.
    assert tokens.generate(store, "o").value
    assert not store.reload().credentials["o"].revoked


def test_refresh_many_does_not_undo_a_revoke_either(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    _oauth(sim, add)
    tokens.generate(store, "o")
    reached, release = threading.Event(), threading.Event()
    with _held_client(reached, release) as held:
        thread, outcome = _in_thread(lambda: refreshing.refresh_many(store, ["o"], client=held))
        assert reached.wait(WAIT)
        tokens.revoke(store, "o")
        release.set()
        thread.join(WAIT)
    assert len(outcome) == 1 and isinstance(outcome[0], dict)
    assert not outcome[0]["o"].ok and "was revoked while" in (outcome[0]["o"].error or "")
    assert store.reload().credentials["o"].status() is Status.REVOKED


def test_a_token_stored_before_the_revoke_finished_is_kept_and_said(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    """The other order: the revoke killed the old token; the newer one survives, and says so."""
    _oauth(sim, add)
    old = tokens.generate(store, "o").value
    reached, release = threading.Event(), threading.Event()
    with _held_client(reached, release) as held:
        thread, outcome = _in_thread(lambda: tokens.revoke(store, "o", client=held))
        assert reached.wait(WAIT), "the revoke never reached the provider"
        new = tokens.generate(store, "o").value
        release.set()
        thread.join(WAIT)
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception)
    assert "A newer token was stored meanwhile and was kept" in str(outcome[0])
    assert new != old
    _kept(store, "o", new)
    dead = httpx.get(f"{sim.url}/oauth/whoami", headers={"Authorization": f"Bearer {old}"})
    assert dead.status_code == 401

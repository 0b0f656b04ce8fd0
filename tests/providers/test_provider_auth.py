"""VaultAuth: a token invalidated server-side is regenerated inside one request call, once."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import settings_for
from vault import VaultAuth
from vault.core import tokens
from vault.core.model import EventKind
from vault.core.store import VaultStore
from vault.sim import Simulator

WHOAMI = "/app-token/whoami"


@pytest.fixture
def app(sim: Simulator, store: VaultStore, add: AddFn) -> str:
    settings, secrets = settings_for("app-token", sim)
    add("app", "app-token", settings, secrets)
    return "app"


def kinds(store: VaultStore, name: str) -> list[str]:
    return [e.kind for e in store.reload().credentials[name].history]


def test_first_request_generates_when_missing(app: str, store: VaultStore, sim: Simulator) -> None:
    with httpx.Client(auth=VaultAuth(store, app), timeout=5) as client:
        response = client.get(sim.url + WHOAMI)
    assert response.status_code == 200
    assert sim.counters["app-token.generate.ok"] == 1
    assert kinds(store, app) == [EventKind.GENERATED]


def test_each_request_carries_a_fresh_request_id(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    with httpx.Client(auth=VaultAuth(store, app), timeout=5) as client:
        ids = {client.get(sim.url + WHOAMI).json()["request_id"] for _ in range(3)}
    assert len(ids) == 3


def test_401_regenerates_once_within_the_same_call(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    old = tokens.generate(store, app)
    auth = VaultAuth(store, app)
    with httpx.Client(auth=auth, timeout=5) as client:
        assert client.get(sim.url + WHOAMI).status_code == 200
        sim.invalidate_tokens("app-token")
        sim.reset_counters()
        response = client.get(sim.url + WHOAMI)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert sim.counters["app-token.generate.ok"] == 1
    assert sim.counters["app-token.whoami"] == 2
    assert auth.regenerations == 1
    cred = store.reload().credentials[app]
    assert cred.token is not None and cred.token.value != old.value
    assert kinds(store, app)[-2:] == [EventKind.UNAUTHORIZED, EventKind.REFRESHED]


def test_a_second_401_is_returned_not_looped(app: str, store: VaultStore, sim: Simulator) -> None:
    # App-token headers on an OAuth endpoint: every token is refused there.
    with httpx.Client(auth=VaultAuth(store, app), timeout=5) as client:
        response = client.get(sim.url + "/oauth/whoami")
    assert response.status_code == 401
    assert len(response.history) == 1
    assert sim.counters["app-token.generate.ok"] == 2  # the first token and one regeneration
    assert sim.counters["oauth2.whoami"] == 2


def test_concurrent_401s_cause_one_regeneration(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    auth = VaultAuth(store, app)
    workers = 8
    with httpx.Client(auth=auth, timeout=5) as client:
        assert client.get(sim.url + WHOAMI).status_code == 200
        sim.invalidate_tokens("app-token")
        sim.reset_counters()
        gate = threading.Barrier(workers)
        statuses: list[int] = []

        def call() -> None:
            gate.wait(timeout=5)
            statuses.append(client.get(sim.url + WHOAMI).status_code)

        threads = [threading.Thread(target=call) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert statuses == [200] * workers
    assert sim.counters["app-token.generate.ok"] == 1
    assert kinds(store, app).count(EventKind.UNAUTHORIZED) == 1


def test_another_holder_of_the_vault_reuses_the_regenerated_token(
    app: str, store: VaultStore, sim: Simulator, tmp_path: object
) -> None:
    # Two VaultAuth objects stand for two programs sharing one vault file.
    first, second = VaultAuth(store, app), VaultAuth(store, app)
    with httpx.Client(auth=first, timeout=5) as a, httpx.Client(auth=second, timeout=5) as b:
        assert a.get(sim.url + WHOAMI).status_code == 200
        assert b.get(sim.url + WHOAMI).status_code == 200
        sim.invalidate_tokens("app-token")
        sim.reset_counters()
        assert a.get(sim.url + WHOAMI).status_code == 200
        assert b.get(sim.url + WHOAMI).status_code == 200
    assert sim.counters["app-token.generate.ok"] == 1


def test_regeneration_failure_reaches_the_caller(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    from vault.core.errors import ProviderError

    tokens.generate(store, app)
    sim.invalidate_tokens("app-token")
    sim.inject_fault("/auth/app-token", "500")
    with httpx.Client(auth=VaultAuth(store, app), timeout=5) as client:
        with pytest.raises(ProviderError) as caught:
            client.get(sim.url + WHOAMI)
    assert "HTTP 500" in caught.value.message
    assert kinds(store, app)[-2:] == [EventKind.UNAUTHORIZED, EventKind.FAILED]


async def test_async_client_regenerates_once_for_concurrent_401s(
    app: str, store: VaultStore, sim: Simulator
) -> None:
    auth = VaultAuth(store, app)
    async with httpx.AsyncClient(auth=auth, timeout=5) as client:
        assert (await client.get(sim.url + WHOAMI)).status_code == 200
        sim.invalidate_tokens("app-token")
        sim.reset_counters()
        responses = await asyncio.gather(*(client.get(sim.url + WHOAMI) for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert sim.counters["app-token.generate.ok"] == 1
    assert auth.regenerations == 1


@pytest.mark.parametrize(
    ("style", "path"),
    [
        ("jwt-assertion", "/application/whoami"),
        ("github-app", "/installation/repositories"),
        ("oauth2-client-credentials", "/oauth/whoami"),
        ("secret-exchange", "/v2/acme/whoami"),
    ],
)
def test_401_path_for_bearer_styles(
    style: str,
    path: str,
    sim: Simulator,
    store: VaultStore,
    add: AddFn,
    rsa_pair: tuple[str, str],
) -> None:
    settings, secrets = settings_for(style, sim)
    if not secrets:
        secrets = {"private_key": rsa_pair[0]}
    add("c", style, settings, secrets)
    with httpx.Client(auth=VaultAuth(store, "c"), timeout=5) as client:
        assert client.get(sim.url + path).status_code == 200
        sim.invalidate_tokens()
        response = client.get(sim.url + path)
    assert response.status_code == 200 and len(response.history) == 1

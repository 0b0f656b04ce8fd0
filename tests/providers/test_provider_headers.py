"""header_lines: the header a copied token is sent with comes from the engine's own settings."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import APP_ID, settings_for
from vault.core import tokens
from vault.core.errors import UsageError
from vault.core.providers import header_lines, provider_for
from vault.core.store import VaultStore
from vault.sim import Simulator


def test_app_token_copies_app_id_and_app_token_but_no_request_id(
    store: VaultStore, sim: Simulator, add: AddFn
) -> None:
    add("happay", "app-token", *settings_for("app-token", sim))
    token = tokens.generate(store, "happay")
    cred = store.data.credentials["happay"]
    assert header_lines(cred) == [f"App-ID: {APP_ID}", f"App-Token: {token.value}"]
    # apply() sends the same two headers plus a fresh Request-ID: one source for both.
    request = httpx.Request("GET", sim.url + "/app-token/whoami")
    provider_for(cred).apply(request, token)
    assert request.headers["App-ID"] == APP_ID
    assert request.headers["App-Token"] == token.value
    assert uuid.UUID(request.headers["Request-ID"]).version == 4


def test_bearer_styles_copy_the_authorization_line_the_api_accepts(
    store: VaultStore, sim: Simulator, add: AddFn
) -> None:
    add("oauth", "oauth2-client-credentials", *settings_for("oauth2-client-credentials", sim))
    token = tokens.generate(store, "oauth")
    lines = header_lines(store.data.credentials["oauth"])
    assert lines == [f"Authorization: Bearer {token.value}"]
    # The copied line, pasted as is, authenticates at the provider.
    name, _, value = lines[0].partition(": ")
    answer = httpx.get(sim.url + "/oauth/whoami", headers={name: value})
    assert answer.status_code == 200


def test_look_alike_header_setting_is_what_gets_copied(
    store: VaultStore, sim: Simulator, add: AddFn
) -> None:
    settings, secrets = settings_for("secret-exchange", sim)
    settings["request_headers"] = {"X-Api-Key": "{token}", "X-Trace": "{uuid4}"}
    add("shiftiq", "secret-exchange", settings, secrets)
    token = tokens.generate(store, "shiftiq")
    assert header_lines(store.data.credentials["shiftiq"]) == [f"X-Api-Key: {token.value}"]


def test_no_token_is_one_sentence(store: VaultStore, sim: Simulator, add: AddFn) -> None:
    cred = add("happay", "app-token", *settings_for("app-token", sim))
    with pytest.raises(UsageError, match="has no token yet"):
        header_lines(cred)

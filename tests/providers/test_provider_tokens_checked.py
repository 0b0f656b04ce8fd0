"""What a provider sends is checked before it is stored: the token's characters and length,
the token type, and an expiry that must be a sane time (never "valid forever").

Every preset talks to a hostile server of our own on 127.0.0.1 (the simulator only sends
good tokens): the first answer is good, the next is hostile, and the good token must stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.hostile_support import HostileServer, json_answer, token_body
from tests.providers.conftest import AddFn
from tests.providers.provider_support import settings_for
from tests.providers.test_provider_errors import assert_kept
from vault.core import tokens
from vault.core.errors import ProviderError
from vault.core.providers import PRESETS
from vault.core.providers.tokencheck import MAX_TOKEN_CHARS
from vault.core.store import VaultStore
from vault.sim import Simulator

GOOD = "good-token-0001"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as running:
        yield running


def _hostile_credential(
    style: str, add: AddFn, sim: Simulator, server: HostileServer, rsa: tuple[str, str]
) -> str:
    settings, secrets = settings_for(style, sim)
    settings = {**settings, "base_url": server.url}
    settings.pop("revoke_url", None)
    if PRESETS[style].required_secrets and "private_key" in PRESETS[style].required_secrets:
        secrets = {**secrets, "private_key": rsa[0]}
    add(style, style, settings, secrets)
    return style


def _generate_good_then(
    store: VaultStore, name: str, server: HostileServer, body: bytes
) -> ProviderError:
    server.answer = json_answer(token_body(GOOD))
    assert tokens.generate(store, name).value == GOOD
    server.answer = json_answer(body)
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, name)
    assert_kept(store, name, GOOD, caught.value)
    return caught.value


HOSTILE_TOKENS = {
    "lf": "abc\nX-Injected: 1",
    "cr": "abc\rdef",
    "nul": "abc\x00def",
    "esc": "abc\x1b]0;owned\x07def",
    "del": "abc\x7fdef",
    "c1": "abc\x9bdef",
    "space": "abc def",
    "unicode": "t\u00f6ken",
    "huge": "a" * (MAX_TOKEN_CHARS + 1),
}


CASES = [(style, "lf") for style in sorted(PRESETS)] + [
    ("oauth2-client-credentials", kind) for kind in sorted(HOSTILE_TOKENS) if kind != "lf"
]
"""Every preset gets the header-injecting token; one preset gets every other kind."""


@pytest.mark.parametrize(("style", "kind"), CASES)
def test_a_hostile_token_is_refused_and_the_stored_one_kept(
    style: str,
    kind: str,
    store: VaultStore,
    add: AddFn,
    sim: Simulator,
    server: HostileServer,
    rsa_pair: tuple[str, str],
) -> None:
    name = _hostile_credential(style, add, sim, server, rsa_pair)
    error = _generate_good_then(store, name, server, token_body(HOSTILE_TOKENS[kind]))
    # The sentence names the problem by code point or length, never by quoting the value.
    assert "sent a token that" in error.message
    assert HOSTILE_TOKENS[kind] not in error.message
    assert "\x1b" not in error.message and "\r" not in error.message


def test_the_longest_allowed_token_and_rfc6750_characters_pass(
    store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer
) -> None:
    name = _hostile_credential("app-token", add, sim, server, ("", ""))
    b64token = "AZaz09-._~+/" + "x" * (MAX_TOKEN_CHARS - 14) + "=="
    assert len(b64token) == MAX_TOKEN_CHARS
    server.answer = json_answer(token_body(b64token))
    assert tokens.generate(store, name).value == b64token


def test_a_hostile_token_type_is_refused(
    store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer
) -> None:
    name = _hostile_credential("oauth2-client-credentials", add, sim, server, ("", ""))
    error = _generate_good_then(
        store, name, server, token_body("fine-token", token_type="Bearer\x1b[2J", expires_in=60)
    )
    assert "token type" in error.message


# -- expiry: never "valid forever" -------------------------------------------------------------

BAD_EXPIRIES: dict[str, Any] = {
    "negative": -5,
    "nan": "NaN",
    "infinite": "Infinity",
    "boolean": True,
    "list": [3600],
    "object": {"s": 3600},
    "text": "tomorrow",
    "after-2100": "2100-01-01T00:00:00Z",
    "epoch-after-2100": 4200000000,
    "ten-years-relative": 10 * 366 * 86400 + 1,
    "5000-digits": "9" * 5000,
    "huge-int": 10**400,
}


@pytest.mark.parametrize("kind", sorted(BAD_EXPIRIES))
def test_an_unreadable_expiry_is_refused_not_taken_as_forever(
    kind: str, store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer
) -> None:
    name = _hostile_credential("oauth2-client-credentials", add, sim, server, ("", ""))
    raw = token_body("fine-token", expires_in=0).replace(
        b'"expires_in": 0', b'"expires_in": ' + _json(BAD_EXPIRIES[kind])
    )
    error = _generate_good_then(store, name, server, raw)
    assert "expires_in" in error.message and "refused" in error.message


def _json(value: Any) -> bytes:
    import json

    if value in ("NaN", "Infinity"):
        return str(value).encode()  # JSON extensions Python's reader accepts
    return json.dumps(value).encode()


@pytest.mark.parametrize("exp", [10**20, "soon", True, 4200000000])
def test_a_jwt_exp_that_is_no_sane_time_is_refused(
    exp: object, store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer
) -> None:
    # No expiry field in the answer and no fixed lifetime: the JWT's exp is all there is.
    name = _hostile_credential("oauth2-client-credentials", add, sim, server, ("", ""))
    token = jwt.encode({"sub": "x", "exp": exp}, "k" * 32, "HS256")
    server.answer = json_answer(token_body(GOOD))
    tokens.generate(store, name)
    server.answer = json_answer(token_body(token, note="no expiry field"))
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, name)
    assert_kept(store, name, GOOD, caught.value)
    assert "exp claim" in caught.value.message


def test_an_answer_without_any_expiry_still_reads_as_unknown(
    store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer
) -> None:
    name = _hostile_credential("oauth2-client-credentials", add, sim, server, ("", ""))
    server.answer = json_answer(token_body("opaque-token", note="no expiry field"))
    token = tokens.generate(store, name)
    assert token.expires_at is None and token.expiry_source == "unknown"

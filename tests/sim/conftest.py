"""Fixtures for the simulator tests: a running simulator, an httpx client, RSA keys, assertions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from sim_support import KeyPair, Signer

from vault.sim import Simulator
from vault.sim.keys import generate_key_pair

CLIENT_TIMEOUT = 5.0


def _key_pair() -> KeyPair:
    return KeyPair(*generate_key_pair())


@pytest.fixture(scope="session")
def app_key() -> KeyPair:
    """The key registered for the test apps (generated once: 2048-bit generation is slow)."""
    return _key_pair()


@pytest.fixture(scope="session")
def other_key() -> KeyPair:
    """A key nobody registered, for forged signatures."""
    return _key_pair()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A running simulator on an ephemeral loopback port."""
    with Simulator() as running:
        yield running


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    """An httpx client bound to the simulator, with a timeout so no test can hang."""
    with httpx.Client(base_url=sim.url, timeout=CLIENT_TIMEOUT) as http:
        yield http


@pytest.fixture
def sign(app_key: KeyPair) -> Signer:
    """Build an RS256 assertion: ``sign(iss, iat=..., exp=..., key=..., **extra_claims)``.

    ``iat`` defaults to now and ``exp`` to ``iat + 600``, the Unifize recipe.
    """

    def build(
        iss: str,
        *,
        iat: float | None = None,
        exp: float | None = None,
        key: str | None = None,
        **extra: Any,
    ) -> str:
        issued = int(time.time()) if iat is None else int(iat)
        claims: dict[str, Any] = {"iss": iss, "iat": issued, "exp": issued + 600, **extra}
        if exp is not None:
            claims["exp"] = int(exp)
        return jwt.encode(claims, key or app_key.private_pem, algorithm="RS256")

    return build

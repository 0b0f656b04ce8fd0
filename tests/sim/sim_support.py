"""Types the simulator tests share (a module of its own: conftest is not importable by name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPair:
    """An RSA key pair as the vault would hold it (private) and register it (public)."""

    private_pem: str
    public_pem: str


Signer = Callable[..., str]
"""``sign(iss, iat=None, exp=None, key=None, **extra_claims) -> assertion``."""

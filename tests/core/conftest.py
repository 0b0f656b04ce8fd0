"""Fixtures for core tests: a real vault file on disk with a cheap KDF."""

from __future__ import annotations

from tests.store_support import PASSPHRASE as PASSPHRASE
from vault.core.model import Credential, Token


def make_credential(
    name: str, secret: str = "s3cret-value-0000", token: str | None = None
) -> Credential:
    cred = Credential(name=name, provider="app-token", settings={"app_id": f"app_{name}"})
    cred.secrets["app_secret"] = secret
    if token:
        cred.token = Token(value=token, token_type="App-Token")
    return cred

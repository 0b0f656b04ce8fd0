"""The "test call": one authenticated GET to a credential's ``test_url``, through ``VaultAuth``.

It exercises the same path as any request made through the vault (docs/providers.md): the
stored token, a new one when it is missing or about to expire, and on ``401`` one
regeneration (history ``401-seen`` then ``refreshed``) and one retry, never more. Bounded as
a token call is (``vault.core.apicall``): the credential's ``timeout`` covers the whole call, the
replay included, and the answer is capped at 1 MiB decoded, so a hostile ``test_url`` cannot
hold or flood the TUI.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from vault.core import apicall
from vault.core.auth import VaultAuth
from vault.core.errors import CredentialNotFound, UsageError
from vault.core.providers import http, limits
from vault.core.providers.engine import provider_for
from vault.core.store import VaultStore


@dataclass(frozen=True)
class CallResult:
    """What a test call saw; ``message`` is the sentence to show (never a token)."""

    name: str
    url: str
    status: int
    regenerated: bool
    """A 401 made the vault generate a new token and send the request once more."""
    message: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def atest_call(
    store: VaultStore, name: str, *, client: httpx.AsyncClient | None = None
) -> CallResult:
    """GET the credential's ``test_url`` with its token and report the outcome.

    Args:
        store: an unlocked vault.
        name: the credential.
        client: an ``httpx.AsyncClient`` to reuse; one is made otherwise. Its own ``auth`` is
            replaced by the vault's for this request.

    Raises:
        UsageError: no such credential, or it has no ``test_url``.
        ProviderError: a token could not be had (the provider's sentence), or the call could
            not connect, took longer than the credential's ``timeout`` in all, or answered
            with more than 1 MiB.
    """
    cred = store.data.credentials.get(name)
    if cred is None:
        raise CredentialNotFound(name)
    engine = provider_for(cred)
    url = engine.test_url()
    if not url:
        raise UsageError(
            f"{name!r} has no test_url setting; set one to a cheap authenticated GET "
            "(a whoami-style endpoint) to make test calls."
        )
    auth = VaultAuth(store, name)
    own = client is None
    session = client or httpx.AsyncClient(timeout=engine.timeout)
    try:
        request = session.build_request("GET", url, headers={"Accept": "application/json"})
        response = await apicall.acall(
            session, request, auth, limit=limits.MAX_BODY, timeout=engine.timeout
        )
    finally:
        if own:
            await session.aclose()
    regenerated = auth.regenerations > 0
    # The provider may quote the request back: keep secrets and tokens out of the sentence.
    known = [*cred.secrets.values()]
    latest = store.data.credentials.get(name)
    for holder in (cred, latest):
        if holder is not None and holder.token is not None:
            known.append(holder.token.value)
    text = f"Test call for {name}: {http.host_of(request)} answered "
    text += http.status_text(response.status_code)
    if regenerated:
        text += "; a 401 made the vault generate a new token and retry once"
    if not response.is_success:
        said = http.scrub(http.provider_message(response, known), known)
        text += f' ("{said}")' if said else ""
        if response.status_code == 401 and regenerated:
            text += "; the new token was refused too"
    return CallResult(name, url, response.status_code, regenerated, text + ".")


__all__ = ["CallResult", "atest_call"]

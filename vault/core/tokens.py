"""Token lifecycle over a VaultStore: generate, ensure, revoke, regenerate on 401.

Refreshing many credentials at once is ``vault.core.refreshing`` (``arefresh`` for asyncio).

Every operation talks to the provider first and only then opens one ``store.transaction()``
to record the outcome (token, history event, ``last_error``), so a slow provider never holds
the vault lock. A failure never touches the stored token: it sets ``last_error`` and adds a
``failed`` event. Each request is made holding the credential's own refresh lock
(``vault.core.refreshlock``): a process that waited for it uses the token just stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta

import anyio.to_thread
import httpx

from vault.core import refreshlock
from vault.core.clock import iso
from vault.core.errors import CredentialNotFound, ProviderError, UsageError, VaultError
from vault.core.model import Credential, EventKind, Token
from vault.core.providers import secretsettings
from vault.core.providers.base import RevokeResult, TokenResult
from vault.core.providers.engine import Engine, provider_for
from vault.core.store import VaultStore

DEFAULT_MIN_VALID = timedelta(seconds=60)
"""``ensure`` replaces a token with less than this left, so a caller never gets one that dies
mid-request."""

Note = tuple[str, str]
"""A history event (kind, detail) to record with an outcome, e.g. the 401 that caused it."""


class RevokedMeanwhile(VaultError):
    """A revoke landed while a new token was being generated; the new token was not stored."""


# -- small helpers -----------------------------------------------------------------------------


def _snapshot(store: VaultStore, name: str) -> Credential:
    """The credential as the file holds it now (another process may have changed it)."""
    try:
        return store.reload().credentials[name]
    except KeyError:
        raise CredentialNotFound(name) from None


Mark = tuple[bool, datetime | None]
"""A credential's revocation state when an operation began: (revoked, when last revoked)."""


def _mark(cred: Credential) -> Mark:
    last = next((e.at for e in reversed(cred.history) if e.kind == EventKind.REVOKED), None)
    return cred.revoked, last


def _revoked_since(cred: Credential, began: Mark | None) -> bool:
    """Whether a revoke was recorded after ``began`` (and no token was stored since)."""
    return began is not None and cred.revoked and _mark(cred) != began


def usable(token: Token | None, min_valid: timedelta, at: datetime | None = None) -> bool:
    """True when ``token`` exists and has at least ``min_valid`` left (or no known expiry)."""
    return token is not None and token.usable(min_valid, at)


def _uncap(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _failure(
    name: str, action: str, exc: VaultError, *, had_token: bool, cred: Credential
) -> ProviderError | UsageError:
    """Re-word an engine error as the one sentence the user (and ``last_error``) sees.

    The sentence is masked once more with everything ``cred`` holds: it goes to stderr, the
    history and ``list --json``, and the engine may not have known every form (a token).
    """
    hide = secretsettings.masker(cred).scrub
    detail = _uncap(str(exc).rstrip("."))
    kept = "; the stored token was kept" if had_token else ""
    text = hide(f"Could not {action} a token for {name!r}: {detail}{kept}.")
    if isinstance(exc, ProviderError):
        # Keep the subclass (SecretExpired) so callers can tell the cases apart.
        said = hide(exc.provider_message) if exc.provider_message else None
        return type(exc)(text, status=exc.status, provider_message=said)
    return UsageError(text)


def _detail(result: TokenResult) -> str:
    if result.expires_at is None:
        return "the answer gave no expiry"
    # Whole seconds: this line is read by people in the history, not parsed.
    return f"expires {iso(result.expires_at.replace(microsecond=0))} (from {result.expiry_source})"


@contextmanager
def _client(client: httpx.Client | None, timeout: float, pool: int = 1) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    with httpx.Client(timeout=timeout, limits=limits) as own:
        yield own


@asynccontextmanager
async def _aclient(
    client: httpx.AsyncClient | None, timeout: float
) -> AsyncIterator[httpx.AsyncClient]:
    if client is not None:
        yield client
        return
    async with httpx.AsyncClient(timeout=timeout) as own:
        yield own


# -- recording outcomes (each one transaction) -------------------------------------------------


def _apply_success(cred: Credential, result: TokenResult, notes: Iterable[Note]) -> Token:
    for kind, detail in notes:
        cred.record(kind, detail)
    kind = EventKind.REFRESHED if cred.token is not None else EventKind.GENERATED
    token = result.to_token()
    cred.token = token
    cred.revoked = False
    cred.last_error = None
    cred.record(kind, _detail(result))
    return token


def _apply_failure(cred: Credential, message: str, notes: Iterable[Note]) -> None:
    for kind, detail in notes:
        cred.record(kind, detail)
    # The token stays as it was: a provider hiccup must not cost the user a working token.
    cred.last_error = message
    cred.record(EventKind.FAILED, message)


def _discarded(name: str) -> RevokedMeanwhile:
    return RevokedMeanwhile(
        f"{name!r} was revoked while a new token was being generated, so the new token was "
        "not stored; generate again if you want one."
    )


def _store_success(
    store: VaultStore,
    name: str,
    result: TokenResult,
    notes: Sequence[Note] = (),
    began: Mark | None = None,
) -> Token:
    with store.transaction() as data:
        cred = data.credentials.get(name)
        if cred is None:
            raise CredentialNotFound(name)
        # A revoke that finished while this token was being minted wins: storing it would
        # bring back a credential the user just ended. The rule is in docs/guide.md.
        discarded = _revoked_since(cred, began)
        if discarded:
            cred.record(EventKind.FAILED, _discarded(name).message)
        else:
            return _apply_success(cred, result, notes)
    raise _discarded(name)


def _store_failure(store: VaultStore, name: str, message: str, notes: Sequence[Note] = ()) -> None:
    with store.transaction() as data:
        cred = data.credentials.get(name)
        if cred is not None:
            _apply_failure(cred, message, notes)


# -- generate / ensure -------------------------------------------------------------------------


def _prepare(cred: Credential) -> Engine:
    return provider_for(cred)


def generate(
    store: VaultStore,
    name: str,
    *,
    client: httpx.Client | None = None,
    notes: Sequence[Note] = (),
) -> Token:
    """Ask the provider for a new token and store it, unless another process just did.

    The request is made holding the credential's refresh lock. When the vault, re-read once
    the lock is held, has a good token other than the one this caller's copy showed
    (``store.data``), another process refreshed meanwhile and its token is returned instead.

    Args:
        store: an unlocked vault.
        name: the credential.
        client: an ``httpx.Client`` to reuse (connection pooling); one is made otherwise.
        notes: extra history events recorded with the outcome (e.g. the 401 that caused it).

    Raises:
        ProviderError: the provider refused or failed; ``last_error`` is set, token kept.
        UsageError: the credential's settings are unusable; likewise recorded.
        VaultLocked: another process held the refresh lock past ``refreshlock.LOCK_TIMEOUT``.
    """
    before = refreshlock.seen(store.data.credentials, name)
    with refreshlock.held(store.path, name):
        fresh = refreshlock.replaced(_snapshot(store, name), before)
        if fresh is not None:
            return fresh
        return _generate_locked(store, name, client=client, notes=notes)


def _generate_locked(
    store: VaultStore, name: str, *, client: httpx.Client | None, notes: Sequence[Note] = ()
) -> Token:
    """``generate`` with the refresh lock already held: always asks the provider."""
    cred = _snapshot(store, name)
    # Taken now, before the provider is asked: a revoke recorded after this point wins.
    began = _mark(cred)
    try:
        engine = _prepare(cred)
        with _client(client, engine.timeout) as http_client:
            result = engine.generate(http_client)
    except (ProviderError, UsageError) as exc:
        failure = _failure(name, "generate", exc, had_token=cred.token is not None, cred=cred)
        _store_failure(store, name, failure.message, notes)
        raise failure from None
    return _store_success(store, name, result, notes, began)


def ensure(
    store: VaultStore,
    name: str,
    min_valid: timedelta = DEFAULT_MIN_VALID,
    *,
    client: httpx.Client | None = None,
) -> Token:
    """A token with at least ``min_valid`` left, generating one when missing or expiring.

    Never returns a token known to be expired: when a new one cannot be had, it raises.
    """
    cred = _snapshot(store, name)
    if usable(cred.token, min_valid):
        assert cred.token is not None
        return cred.token
    with refreshlock.held(store.path, name):
        cred = _snapshot(store, name)  # the previous holder may have stored one that will do
        if usable(cred.token, min_valid):
            assert cred.token is not None
            return cred.token
        return _generate_locked(store, name, client=client)


def regenerate_after_401(
    store: VaultStore, name: str, rejected: str, *, client: httpx.Client | None = None
) -> Token:
    """Replace a token the provider just answered 401 to, unless someone already did.

    ``rejected`` is the token value that was refused. If the vault already holds a different,
    unexpired token (another process or thread regenerated first), that one is returned and
    the provider is not asked again.
    """
    cred = _snapshot(store, name)
    if _replaced_401(cred, rejected):
        assert cred.token is not None
        return cred.token
    note = (EventKind.UNAUTHORIZED, "the provider answered 401; generating a new token")
    with refreshlock.held(store.path, name):
        cred = _snapshot(store, name)
        if _replaced_401(cred, rejected):
            assert cred.token is not None
            return cred.token
        return _generate_locked(store, name, client=client, notes=[note])


def _replaced_401(cred: Credential, rejected: str) -> bool:
    """Someone already stored an unexpired token other than the one the provider refused."""
    token = cred.token
    return token is not None and token.value != rejected and usable(token, timedelta())


# -- asyncio twins (network awaited; the store's file work runs in a worker thread) ------------


async def agenerate(
    store: VaultStore,
    name: str,
    *,
    client: httpx.AsyncClient | None = None,
    notes: Sequence[Note] = (),
) -> Token:
    """``generate`` for asyncio callers."""
    before = refreshlock.seen(store.data.credentials, name)
    async with refreshlock.aheld(store.path, name):
        current = await anyio.to_thread.run_sync(_snapshot, store, name)
        fresh = refreshlock.replaced(current, before)
        if fresh is not None:
            return fresh
        return await _agenerate_locked(store, name, client=client, notes=notes)


async def _agenerate_locked(
    store: VaultStore,
    name: str,
    *,
    client: httpx.AsyncClient | None,
    notes: Sequence[Note] = (),
) -> Token:
    cred = await anyio.to_thread.run_sync(_snapshot, store, name)
    began = _mark(cred)
    try:
        engine = _prepare(cred)
        async with _aclient(client, engine.timeout) as http_client:
            result = await engine.agenerate(http_client)
    except (ProviderError, UsageError) as exc:
        failure = _failure(name, "generate", exc, had_token=cred.token is not None, cred=cred)
        await anyio.to_thread.run_sync(_store_failure, store, name, failure.message, notes)
        raise failure from None
    return await anyio.to_thread.run_sync(_store_success, store, name, result, notes, began)


async def aensure(
    store: VaultStore,
    name: str,
    min_valid: timedelta = DEFAULT_MIN_VALID,
    *,
    client: httpx.AsyncClient | None = None,
) -> Token:
    """``ensure`` for asyncio callers."""
    cred = await anyio.to_thread.run_sync(_snapshot, store, name)
    if usable(cred.token, min_valid):
        assert cred.token is not None
        return cred.token
    async with refreshlock.aheld(store.path, name):
        cred = await anyio.to_thread.run_sync(_snapshot, store, name)
        if usable(cred.token, min_valid):
            assert cred.token is not None
            return cred.token
        return await _agenerate_locked(store, name, client=client)


async def aregenerate_after_401(
    store: VaultStore, name: str, rejected: str, *, client: httpx.AsyncClient | None = None
) -> Token:
    """``regenerate_after_401`` for asyncio callers."""
    cred = await anyio.to_thread.run_sync(_snapshot, store, name)
    if _replaced_401(cred, rejected):
        assert cred.token is not None
        return cred.token
    note = (EventKind.UNAUTHORIZED, "the provider answered 401; generating a new token")
    async with refreshlock.aheld(store.path, name):
        cred = await anyio.to_thread.run_sync(_snapshot, store, name)
        if _replaced_401(cred, rejected):
            assert cred.token is not None
            return cred.token
        return await _agenerate_locked(store, name, client=client, notes=[note])


# -- many at once ------------------------------------------------------------------------------


def revoke(store: VaultStore, name: str, *, client: httpx.Client | None = None) -> RevokeResult:
    """Kill the credential's token at the provider where possible, then forget it here.

    Where the provider has no revocation endpoint the token is only forgotten locally, and the
    message says what to do at the provider. A failed remote revoke keeps the token (so the
    user can try again) and records the error.
    """
    cred = _snapshot(store, name)
    token = cred.token
    if token is None:
        state = "was already revoked" if cred.revoked else "holds no token"
        return RevokeResult(False, f"{name!r} {state}; nothing to revoke.")
    try:
        engine = _prepare(cred)
        with _client(client, engine.timeout) as http_client:
            result = engine.revoke(http_client, token)
    except (ProviderError, UsageError) as exc:
        failure = _failure(name, "revoke", exc, had_token=True, cred=cred)
        _store_failure(store, name, failure.message)
        raise failure from None
    with store.transaction() as data:
        current = data.credentials.get(name)
        if current is None:
            raise CredentialNotFound(name)
        replaced = current.token is not None and current.token.value != token.value
        if not replaced:
            current.token = None
            current.revoked = True
            current.last_error = None
        where = "at the provider" if result.remote else "locally only"
        current.record(EventKind.REVOKED, f"revoked {where}")
    if result.remote:
        message = f"Revoked the token of {name!r} at the provider: {_uncap(result.message)}"
    else:
        message = f"Forgot the token of {name!r} locally only. {result.message}"
    if replaced:
        message += " A newer token was stored meanwhile and was kept; revoke again to end it."
    return RevokeResult(result.remote, message)


__all__ = [
    "DEFAULT_MIN_VALID",
    "RevokedMeanwhile",
    "aensure",
    "agenerate",
    "aregenerate_after_401",
    "ensure",
    "generate",
    "regenerate_after_401",
    "revoke",
    "usable",
]

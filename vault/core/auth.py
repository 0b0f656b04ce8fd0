"""VaultAuth: an httpx.Auth that attaches a vault credential's token and regenerates on 401.

Usable from any program::

    with httpx.Client(auth=VaultAuth(store, "github")) as client:
        client.get(url)

The first request gets the stored token (a new one when it is missing or about to expire).
When the API answers 401, a new token is generated and stored, and the request is sent once
more; a second 401 is handed back to the caller, never looped on. Concurrent requests that
all meet the same 401 cause one regeneration: the first to take the lock regenerates, the
others see the token has changed since they sent theirs and reuse the new one.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from datetime import timedelta

import httpx

from vault.core import tokens
from vault.core.errors import CredentialNotFound
from vault.core.model import Token
from vault.core.providers.engine import Engine, provider_for
from vault.core.store import VaultStore


class _Unread(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Stands in for a 401's body: yields nothing, and closing it closes the real one."""

    def __init__(self, original: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        self._original = original

    def __iter__(self) -> Iterator[bytes]:
        return iter(())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # makes this an async generator that yields nothing

    def close(self) -> None:
        if isinstance(self._original, httpx.SyncByteStream):
            self._original.close()

    async def aclose(self) -> None:
        if isinstance(self._original, httpx.AsyncByteStream):
            await self._original.aclose()


def _leave_unread(response: httpx.Response) -> None:
    """Drop a 401's body before the retry instead of letting httpx read all of it.

    httpx reads the body of every answer an auth flow answers with a new request, with no
    cap and no overall deadline: a server could send gigabytes, a gzip bomb or a byte every
    few seconds there. The retry needs nothing from that body, so it is never read; closing
    the response hangs up on the rest.
    """
    response.stream = _Unread(response.stream)


class VaultAuth(httpx.Auth):
    """Authenticate httpx requests with the token of one vault credential.

    Use it with httpx's default ``follow_redirects=False``: on a cross-host redirect httpx
    drops ``Authorization`` but keeps custom headers, so an app token (``App-Token``) would
    follow the redirect to the other host.
    """

    # The body is read up front so the request can be sent a second time after a 401.
    requires_request_body = True

    def __init__(
        self, store: VaultStore, name: str, *, min_valid: timedelta = tokens.DEFAULT_MIN_VALID
    ) -> None:
        """Args:
        store: an unlocked vault.
        name: the credential whose token to use.
        min_valid: replace the token before a request when less than this is left.
        """
        self._store = store
        self._name = name
        self._min_valid = min_valid
        self._token: Token | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._alocks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.regenerations = 0
        """How many times a 401 made this object ask for a new token (for tests and stats)."""

    def __repr__(self) -> str:
        return f"VaultAuth({self._name!r})"

    # -- shared ----------------------------------------------------------------------------

    def _fresh(self) -> Token | None:
        token = self._token
        return token if tokens.usable(token, self._min_valid) else None

    def _adopt(self, token: Token) -> Token:
        """Remember ``token`` and the engine that knows how to attach it."""
        if self._engine is None or self._token is None or self._token.value != token.value:
            cred = self._store.data.credentials.get(self._name)
            if cred is None:
                raise CredentialNotFound(self._name)
            self._engine = provider_for(cred)
        self._token = token
        return token

    def _apply(self, request: httpx.Request, token: Token) -> None:
        assert self._engine is not None
        self._engine.apply(request, token)

    def _already_replaced(self, rejected: str) -> Token | None:
        # Another request regenerated while this one waited for the lock: use its token.
        token = self._token
        if token is not None and token.value != rejected:
            return token
        return None

    # -- sync ------------------------------------------------------------------------------

    def _current(self) -> Token:
        token = self._fresh()
        if token is not None:
            return token
        with self._lock:
            token = self._fresh()
            if token is not None:
                return token
            return self._adopt(tokens.ensure(self._store, self._name, self._min_valid))

    def _replace(self, rejected: str) -> Token:
        with self._lock:
            token = self._already_replaced(rejected)
            if token is not None:
                return token
            self.regenerations += 1
            return self._adopt(tokens.regenerate_after_401(self._store, self._name, rejected))

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        self._apply(request, token)
        response = yield request
        if response.status_code != 401:
            return
        _leave_unread(response)
        token = self._replace(token.value)
        self._apply(request, token)
        yield request

    # -- async -----------------------------------------------------------------------------

    def _alock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._alocks.get(loop)
        if lock is None:
            lock = self._alocks[loop] = asyncio.Lock()
        return lock

    async def _acurrent(self) -> Token:
        token = self._fresh()
        if token is not None:
            return token
        async with self._alock():
            token = self._fresh()
            if token is not None:
                return token
            return self._adopt(await tokens.aensure(self._store, self._name, self._min_valid))

    async def _areplace(self, rejected: str) -> Token:
        async with self._alock():
            token = self._already_replaced(rejected)
            if token is not None:
                return token
            self.regenerations += 1
            fresh = await tokens.aregenerate_after_401(self._store, self._name, rejected)
            return self._adopt(fresh)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._acurrent()
        self._apply(request, token)
        response = yield request
        if response.status_code != 401:
            return
        _leave_unread(response)
        token = await self._areplace(token.value)
        self._apply(request, token)
        yield request

"""One API call through ``VaultAuth``, bounded like a token call: body cap and one deadline.

``tokenvault request`` and the TUI's test call talk to an API the user named, which is as
untrusted as a token endpoint: a dripping server must not hold them past their timeout and a
huge (or gzip-bombed) body must not fill memory. httpx's own ``timeout`` restarts with every
byte and a 401 replay gets a fresh one, so here one ``Deadline`` covers the first send, the
401 regeneration and the replay, and the final body is read raw and decoded under a cap.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx

from vault.core.auth import VaultAuth
from vault.core.providers import limits
from vault.core.providers.http import asend_guarded, send_failure, send_guarded

MAX_REQUEST_BODY = 10 * 1024 * 1024
"""Decoded bytes ``tokenvault request`` accepts by default (10 MiB; ``--max-body`` changes it)."""


class _Deadlined(httpx.Auth):
    """Wraps ``VaultAuth``: each request it yields (the replay too) gets what is left of the
    one deadline, and none is sent once the deadline has passed (the regeneration may use it)."""

    requires_request_body = True

    def __init__(self, auth: VaultAuth, deadline: limits.Deadline) -> None:
        self._auth = auth
        self._deadline = deadline

    def _bound(self, request: httpx.Request) -> None:
        if self._deadline.passed:
            raise self._deadline.error(request)
        request.extensions["timeout"] = httpx.Timeout(max(self._deadline.left(), 0.001)).as_dict()
        request.headers["Accept-Encoding"] = limits.ACCEPT_ENCODING

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._auth.sync_auth_flow(request)
        outgoing = next(flow)
        while True:
            self._bound(outgoing)
            response = yield outgoing
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._auth.async_auth_flow(request)
        outgoing = await flow.__anext__()
        while True:
            self._bound(outgoing)
            response = yield outgoing
            try:
                outgoing = await flow.asend(response)
            except StopAsyncIteration:
                return


def _finished(response: httpx.Response, body: bytes) -> httpx.Response:
    done = limits.finished(response, body)
    done.history = list(response.history)  # callers say "after regenerating the token once"
    return done


def call(
    client: httpx.Client, request: httpx.Request, auth: VaultAuth, *, limit: int, timeout: float
) -> httpx.Response:
    """Send ``request`` with ``auth``; the answer read and decoded, or ``ProviderError``.

    Args:
        limit: decoded body bytes accepted; a larger answer is refused, never cut.
        timeout: seconds for the whole call: token, first send, regeneration and replay.

    Raises:
        ProviderError: too large, past the deadline, or the connection failed (one sentence).
    """
    deadline = limits.Deadline(timeout)
    try:
        response, body = send_guarded(client, request, deadline, limit, _Deadlined(auth, deadline))
    except httpx.UnsupportedProtocol:
        raise  # the caller's URL is at fault, not the connection: it says so itself
    except httpx.TransportError as exc:
        raise send_failure(exc, request, deadline) from None
    return _finished(response, body)


async def acall(
    client: httpx.AsyncClient,
    request: httpx.Request,
    auth: VaultAuth,
    *,
    limit: int,
    timeout: float,
) -> httpx.Response:
    """``call`` for asyncio callers; the deadline cancels whatever is awaited when it passes."""
    deadline = limits.Deadline(timeout)
    try:
        response, body = await asend_guarded(
            client, request, deadline, limit, _Deadlined(auth, deadline)
        )
    except httpx.UnsupportedProtocol:
        raise  # the caller's URL is at fault, not the connection: it says so itself
    except httpx.TransportError as exc:
        raise send_failure(exc, request, deadline) from None
    return _finished(response, body)


__all__ = ["MAX_REQUEST_BODY", "acall", "call"]

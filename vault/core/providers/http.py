"""Talking to providers: one-sentence errors with the provider's own words, bounded backoff."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import httpx

from vault.core.clock import now
from vault.core.errors import ProviderError
from vault.core.providers import limits

# Masking lives in its own module; these names stay importable from here for the callers.
from vault.core.providers.mask import request_secrets, scrub

MESSAGE_LIMIT = 200
"""Characters of a provider's own message quoted back; enough to read, never a whole page."""

MAX_RETRY_AFTER = 86400.0
"""The longest Retry-After taken at its word (a day); beyond that it only ends the tries."""

MESSAGE_KEYS = ("error_description", "message", "Message", "error", "detail", "title", "msg")
"""Where JSON error bodies keep their human text (RFC 6749, GitHub, ASP.NET, RFC 7807)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait when a provider says "slow down"."""

    tries: int = 3
    """Attempts in all, the first included; small so a command never hangs."""
    base_delay: float = 0.25
    """First wait when the answer has no Retry-After; doubles each time."""
    max_wait: float = 5.0
    """Longest single wait; a longer Retry-After ends the attempts with a clear error."""


def host_of(request: httpx.Request) -> str:
    url = request.url
    return f"{url.host}:{url.port}" if url.port else url.host


def _cut(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1].rstrip() + "…"
    return text


def provider_message(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """The provider's own words from an answer: JSON error fields, an HTML title, or plain text.

    ``secrets`` are masked before the words are cut to length: a long secret (a PEM key, a
    signed assertion) echoed back must not survive as a cut-off prefix that ``scrub`` misses.
    """
    hidden = list(secrets)

    def clean(text: str) -> str:
        return _cut(scrub(text, hidden))

    try:
        raw = response.content.decode(response.encoding or "utf-8", errors="replace")
    except (httpx.ResponseNotRead, httpx.StreamError):
        return ""
    ctype = response.headers.get("content-type", "").lower()
    stripped = raw.strip()
    if not stripped:
        return ""
    if "json" in ctype or stripped[:1] in "{[":
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            parts = [str(data[k]) for k in MESSAGE_KEYS if isinstance(data.get(k), str | int)]
            # RFC 6749 gives a code and a description; show both, code first.
            if "error" in data and "error_description" in data:
                parts = [f"{data['error']}: {data['error_description']}"]
            if parts:
                return clean(parts[0])
        if data is not None:
            return clean(stripped)
    if "html" in ctype or stripped[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", raw, re.I | re.S)
        if title and title.group(1).strip():
            return clean(title.group(1))
        return clean(re.sub(r"<[^>]+>", " ", raw))
    return clean(stripped)


def status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def error_for(response: httpx.Response, secrets: Iterable[str] = ()) -> ProviderError:
    """Turn a refusal into one sentence naming the host, the status and the provider's words."""
    hidden = [*secrets, *request_secrets(response.request)]
    said = scrub(provider_message(response, hidden), hidden)
    where = host_of(response.request)
    text = f"{where} answered {status_text(response.status_code)}"
    text += f': "{said}"' if said else " with an empty body"
    return ProviderError(text, status=response.status_code, provider_message=said or None)


def transport_error(exc: httpx.TransportError, request: httpx.Request) -> ProviderError:
    """Timeouts and connection failures as a sentence; the library text may hold the URL only."""
    where = host_of(request)
    if isinstance(exc, httpx.TimeoutException):
        text = f"{where} did not answer in time ({type(exc).__name__})"
    elif isinstance(exc, httpx.ConnectError):
        text = f"could not connect to {where} (is the provider up and the URL right?)"
    else:
        text = f"the connection to {where} failed ({type(exc).__name__})"
    return ProviderError(text, status=None)


def send_failure(
    exc: httpx.TransportError, request: httpx.Request, deadline: limits.Deadline
) -> ProviderError:
    """What a failed send raises: the deadline's sentence once it has passed (the watchdog
    closed the connection), otherwise the connection's own (`transport_error`)."""
    if deadline.passed:
        return deadline.error(request)
    return transport_error(exc, request)


def send_guarded(
    client: httpx.Client,
    request: httpx.Request,
    deadline: limits.Deadline,
    limit: int,
    auth: httpx.Auth | None = None,
) -> tuple[httpx.Response, bytes]:
    """Send ``request`` and read its whole body (bounded by ``limit``) before ``deadline``.

    A watchdog closes any connection (a replay's too) still open when the deadline passes,
    so a peer that trickles bytes cannot hold the call. httpx's errors reach the caller as
    they are (`send_failure` words them). ``auth`` None keeps the client's own.
    """
    guard = limits.Watchdog(request, deadline)
    guard.start()
    try:
        if auth is None:
            response = client.send(request, stream=True)
        else:
            response = client.send(request, auth=auth, stream=True)
        try:
            guard.watch(response.extensions.get("network_stream"))
            body = limits.read_body(response, limit, deadline)
        finally:
            response.close()
    finally:
        guard.cancel()
    return response, body


async def asend_guarded(
    client: httpx.AsyncClient,
    request: httpx.Request,
    deadline: limits.Deadline,
    limit: int,
    auth: httpx.Auth | None = None,
) -> tuple[httpx.Response, bytes]:
    """``send_guarded`` for asyncio: the deadline cancels whatever is awaited when it passes.

    Raises:
        ProviderError: the deadline passed (its sentence); httpx's errors pass through.
    """
    try:
        async with asyncio.timeout(deadline.left()):
            if auth is None:
                response = await client.send(request, stream=True)
            else:
                response = await client.send(request, auth=auth, stream=True)
            try:
                body = await limits.aread_body(response, limit, deadline)
            finally:
                await response.aclose()
    except TimeoutError:
        raise deadline.error(request) from None
    return response, body


def is_rate_limited(response: httpx.Response) -> bool:
    """429 anywhere; ShiftIQ documents its limit as 403 "Rate Limit Exceeded"."""
    if response.status_code == 429:
        return True
    if response.status_code == 403:
        return "rate limit" in provider_message(response).lower()
    return False


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), or None.

    The header is the provider's word: ``inf``, ``nan``, a 5,000-digit number or a date in
    the year 9999 is no wait the vault will honour, so it reads as "no usable value".
    """
    value = response.headers.get("retry-after", "").strip()
    if not value or len(value) > 64:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            seconds = (when - now()).total_seconds()
        except (TypeError, ValueError, OverflowError):
            return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _wait_for(response: httpx.Response, attempt: int, policy: RetryPolicy) -> float | None:
    """How long to wait before the next try, or None when it is time to give up."""
    if attempt >= policy.tries:
        return None
    wait = retry_after(response)
    if wait is None:
        wait = policy.base_delay * (2 ** (attempt - 1))
    if wait > policy.max_wait:
        return None
    return wait


def _rate_limited_error(
    response: httpx.Response, attempts: int, secrets: Iterable[str]
) -> ProviderError:
    err = error_for(response, secrets)
    wait = retry_after(response)
    hint = f"; try again in {int(wait + 0.999)} s" if wait else "; try again later"
    return ProviderError(
        f"{err.message} after {attempts} attempt{'s' if attempts > 1 else ''}{hint}",
        status=err.status,
        provider_message=err.provider_message,
    )


def _timeout_of(request: httpx.Request) -> float:
    """The seconds a whole call may take: the request's longest timeout, else 30 s."""
    given = [v for v in dict(request.extensions.get("timeout") or {}).values() if v]
    return float(max(given)) if given else 30.0


def _bound(request: httpx.Request, deadline: limits.Deadline) -> None:
    # Every phase gets at most what is left of the one deadline, never a fresh full timeout.
    request.extensions["timeout"] = httpx.Timeout(max(deadline.left(), 0.001)).as_dict()
    request.headers["Accept-Encoding"] = limits.ACCEPT_ENCODING


def _exchange(
    client: httpx.Client, request: httpx.Request, deadline: limits.Deadline, limit: int
) -> httpx.Response:
    """One try: the answer fully read and decoded, or ``ProviderError``."""
    if deadline.passed:
        raise deadline.error(request)
    _bound(request, deadline)
    try:
        response, body = send_guarded(client, request, deadline, limit)
    except httpx.TransportError as exc:
        raise send_failure(exc, request, deadline) from None
    return limits.finished(response, body)


async def _aexchange(
    client: httpx.AsyncClient, request: httpx.Request, deadline: limits.Deadline, limit: int
) -> httpx.Response:
    if deadline.passed:
        raise deadline.error(request)
    _bound(request, deadline)
    try:
        response, body = await asend_guarded(client, request, deadline, limit)
    except httpx.TransportError as exc:
        raise send_failure(exc, request, deadline) from None
    return limits.finished(response, body)


def _pause(
    response: httpx.Response,
    attempt: int,
    policy: RetryPolicy,
    deadline: limits.Deadline,
    secrets: Iterable[str],
) -> float:
    """The wait before the next try; raise when the tries or the deadline are spent."""
    wait = _wait_for(response, attempt, policy)
    if wait is None or wait >= deadline.left():
        raise _rate_limited_error(response, attempt, secrets)
    return wait


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    policy: RetryPolicy = RetryPolicy(),
    secrets: Iterable[str] = (),
    limit: int = limits.MAX_BODY,
    timeout: float | None = None,
) -> httpx.Response:
    """Send, backing off on rate limits; return the final answer (read) or raise ``ProviderError``.

    Only rate-limit answers are retried: other errors go straight to the user, and a timeout
    is not retried so a slow provider never multiplies the wait.

    Args:
        limit: decoded body bytes accepted (the token endpoints' 1 MiB by default).
        timeout: seconds for the whole call, tries and waits included (default: the
            request's own timeout).
    """
    deadline = limits.Deadline(_timeout_of(request) if timeout is None else timeout)
    attempt = 0
    while True:
        attempt += 1
        response = _exchange(client, request, deadline, limit)
        if not is_rate_limited(response):
            return response
        time.sleep(_pause(response, attempt, policy, deadline, secrets))


async def asend(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    policy: RetryPolicy = RetryPolicy(),
    secrets: Iterable[str] = (),
    limit: int = limits.MAX_BODY,
    timeout: float | None = None,
) -> httpx.Response:
    """``send`` for asyncio callers."""
    deadline = limits.Deadline(timeout if timeout is not None else _timeout_of(request))
    attempt = 0
    while True:
        attempt += 1
        response = await _aexchange(client, request, deadline, limit)
        if not is_rate_limited(response):
            return response
        await asyncio.sleep(_pause(response, attempt, policy, deadline, secrets))

"""Bounds on a provider's answer: one total deadline per call and a cap on the decoded body.

A provider (or anything on the path) is untrusted. Without these bounds a server could hold
``token``, ``git-credential`` or the TUI for ever by dripping one byte every few seconds
(httpx's ``timeout`` bounds each read, not the whole answer), or fill memory with a huge body
or a small gzip "bomb" that inflates a thousandfold. So the body is read raw and decoded
here, with ``max_length``, counting decoded bytes, and the whole call has one deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from vault.core.errors import ProviderError

MAX_BODY = 1024 * 1024
"""Decoded bytes accepted from a token endpoint (1 MiB): token answers are a few hundred."""

ACCEPT_ENCODING = "gzip, deflate"
"""The only encodings asked for, so the only ones decoded (each under ``max_length``)."""

_DROPPED = {"content-encoding", "content-length", "transfer-encoding"}


class Deadline:
    """The moment a whole call (connect, send, every read, the waits between tries) must end."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._end

    def error(self, request: httpx.Request) -> ProviderError:
        return ProviderError(
            f"{_host(request)} did not answer in time (the whole call may take {self.seconds:g} s)",
            status=None,
        )


def _host(request: httpx.Request) -> str:
    url = request.url
    return f"{url.host}:{url.port}" if url.port else url.host


def too_large(request: httpx.Request, limit: int) -> ProviderError:
    return ProviderError(
        f"{_host(request)} sent an answer larger than {limit:,} bytes; it was refused",
        status=None,
    )


class _Decoder:
    """identity, gzip or deflate, never producing more than the cap allows."""

    def __init__(self, request: httpx.Request, encoding: str, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        kind = encoding.strip().lower()
        if kind in ("", "identity"):
            self._zlib = None
        elif kind in ("gzip", "x-gzip", "deflate"):
            # wbits 47: zlib or gzip header, detected; raw deflate is tried if that fails.
            self._zlib = zlib.decompressobj(47)
            self._raw_deflate = kind == "deflate"
        else:
            raise ProviderError(
                f"{_host(request)} answered in the content encoding {kind[:20]!r}, "
                "which the vault did not ask for",
                status=None,
            )

    def feed(self, data: bytes) -> None:
        if self._zlib is None:
            self._add(data)
            return
        try:
            while data:
                room = self.limit - self.size + 1
                out = self._zlib.decompress(data, room)
                self._add(out)
                data = self._zlib.unconsumed_tail
        except zlib.error:
            if self._raw_deflate and not self.size:
                # Some servers send raw deflate under "deflate" (no zlib header).
                self._zlib, self._raw_deflate = zlib.decompressobj(-15), False
                self.feed(data)
                return
            raise ProviderError(
                f"{_host(self.request)} sent a compressed answer that does not decompress",
                status=None,
            ) from None

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.request, self.limit)
        self.parts.append(data)

    def body(self) -> bytes:
        return b"".join(self.parts)


def _decoder(response: httpx.Response, limit: int) -> _Decoder:
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "")
    if not encoding and declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        raise too_large(response.request, limit)  # refused before a byte of it is read
    return _Decoder(response.request, encoding, limit)


def finished(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read response carrying the decoded ``body`` (callers read ``.content`` as before)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def read_body(response: httpx.Response, limit: int, deadline: Deadline) -> bytes:
    """Read a streamed response's raw bytes and decode them, within ``limit`` and ``deadline``."""
    decoder = _decoder(response, limit)
    for chunk in response.iter_raw():
        decoder.feed(chunk)
        if deadline.passed:
            raise deadline.error(response.request)
    return decoder.body()


async def aread_body(response: httpx.Response, limit: int, deadline: Deadline) -> bytes:
    """``read_body`` for asyncio callers (the caller bounds the whole call by the deadline)."""
    decoder = _decoder(response, limit)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)
        if deadline.passed:
            raise deadline.error(response.request)
    return decoder.body()


class Watchdog:
    """Shuts the connection's socket when the deadline passes, waking a blocked read.

    A blocking ``recv`` cannot be interrupted from Python, and httpx's read timeout restarts
    with every byte: so a timer thread shuts the socket down (``recv`` then returns at once)
    and the caller turns the resulting transport error into the deadline's sentence. The
    socket is learnt from httpcore's trace of a new connection, or from the response of a
    reused one.
    """

    def __init__(self, request: httpx.Request, deadline: Deadline) -> None:
        self._stream: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline.left(), self._fire)
        self._timer.daemon = True
        chained: Callable[..., Any] | None = request.extensions.get("trace")

        def trace(name: str, info: dict[str, Any]) -> None:
            if name == "connection.connect_tcp.complete":
                self.watch(info.get("return_value"))
            if chained is not None:
                chained(name, info)

        request.extensions["trace"] = trace

    def watch(self, stream: Any) -> None:
        with self._lock:
            if stream is not None:
                self._stream = stream

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            stream = self._stream
        sock = None if stream is None else stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed: nothing left to wake
                sock.shutdown(socket.SHUT_RDWR)

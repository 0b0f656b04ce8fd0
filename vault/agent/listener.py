"""Where the auth proxy listens: 127.0.0.1 or a 0600 Unix socket, until SIGINT or SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from vault.agent.proxy import Handler, Proxy
from vault.core.errors import UsageError

HOST = "127.0.0.1"
"""The only address served: the token behind the proxy is for this machine's programs."""

DRAIN_TIMEOUT = 5.0
"""Seconds requests under way get to finish after SIGINT/SIGTERM."""

MAX_CLIENTS = 64
"""Client connections served at once, one thread each (as many as the upstream pool holds).
Past it a new connection gets 503 at once instead of a thread: without a bound, any local
program could open connections until the proxy ran out of threads or memory."""

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\nContent-Length: 52\r\nConnection: close\r\n\r\n"
    b"The proxy is serving as many clients as it can now.\n"
)


class _Quiet:
    """Server mixin: a failed connection is one line on stderr, not a traceback."""

    proxy: Proxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        kind = type(sys.exc_info()[1]).__name__
        print(f"tokenvault proxy: a client connection failed ({kind}).", file=sys.stderr)


class _Bounded:
    """Server mixin: at most ``MAX_CLIENTS`` connection threads, then 503 from the accept loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            _busy(request)
            return
        try:
            super().process_request(request, client_address)  # type: ignore[misc]
        except BaseException:
            self.slots.release()  # no thread was started to release it
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[misc]
        finally:
            self.slots.release()


def _busy(connection: socket.socket) -> None:
    """Answer 503 without a thread: send, then read briefly what the client already sent
    (closing on unread bytes would reset the connection and lose the answer), then close."""
    deadline = time.monotonic() + 0.2  # the accept loop waits for this: keep it short
    with suppress(OSError):
        connection.settimeout(0.1)
        connection.sendall(_BUSY)
        connection.shutdown(socket.SHUT_WR)
        while time.monotonic() < deadline and connection.recv(65536):
            pass
    with suppress(OSError):
        connection.close()


class _TCPServer(_Quiet, _Bounded, ThreadingHTTPServer):
    daemon_threads = True


class _UnixServer(_Quiet, _Bounded, socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class _Stopped(Exception):
    """Raised from the SIGINT/SIGTERM handler to leave ``serve_forever``."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def _tcp(port: int) -> _TCPServer:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {port}.")
    try:
        return _TCPServer((HOST, port), Handler)
    except OSError as exc:
        raise UsageError(f"Cannot listen on {HOST} port {port}: {exc.strerror or exc}.") from None


def _unix(path: Path) -> _UnixServer:
    if os.path.lexists(path):
        # Never unlink what may be someone else's file or a live proxy's socket.
        raise UsageError(f"{path} already exists; remove it or choose another path.")
    if len(os.fsencode(path)) > 100:
        raise UsageError(f"{path} is too long for a Unix socket; choose a shorter path.")
    # Created 0600 from the first instant: a chmod after bind would leave a window in which
    # another user could connect and spend the token.
    old = os.umask(0o177)
    try:
        return _UnixServer(str(path), Handler)
    except OSError as exc:
        raise UsageError(f"Cannot serve on {path}: {exc.strerror or exc}.") from None
    finally:
        os.umask(old)


def serve(
    proxy: Proxy,
    *,
    port: int = 0,
    unix_socket: Path | None = None,
    announce: Callable[[str], None],
) -> None:
    """Serve ``proxy`` in the foreground until SIGINT or SIGTERM, then clean up and return.

    ``announce`` gets the one line a client needs (``TOKENVAULT_PROXY_URL=...`` with the key,
    or ``TOKENVAULT_PROXY_SOCKET=...``), once the socket is listening.

    Raises:
        UsageError: the port or socket path cannot be served.
    """
    server: _TCPServer | _UnixServer
    if unix_socket is not None:
        server = _unix(unix_socket)
        inode = os.stat(unix_socket).st_ino
        line = f"TOKENVAULT_PROXY_SOCKET={unix_socket}"
    else:
        server = _tcp(port)
        line = f"TOKENVAULT_PROXY_URL=http://{HOST}:{server.server_port}/{proxy.key}"
    server.proxy = proxy
    old = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        announce(line)
        server.serve_forever(poll_interval=0.5)
    except _Stopped:
        pass
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        # No new connections; a request under way may finish (its client already has most of
        # the answer) and log its line, within a bound so a long stream cannot hold the exit.
        server.socket.close()
        proxy.drain(DRAIN_TIMEOUT)
        server.server_close()
        proxy.client.close()
        if unix_socket is not None:
            with suppress(OSError):
                # Only our own socket: another proxy may have taken the path meanwhile.
                if os.stat(unix_socket).st_ino == inode:
                    os.unlink(unix_socket)

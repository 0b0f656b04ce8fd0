"""The HTTP plumbing: a threading HTTP/1.1 keep-alive loopback server that routes requests."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import sys
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vault.core.errors import UsageError
from vault.sim.messages import Request, Response, json_response
from vault.sim.routes import Router
from vault.sim.state import SimState

MAX_BODY = 1 << 20
"""Largest request body read; token requests are tiny, so anything bigger is refused."""
IDLE_TIMEOUT = 30.0
"""Seconds an idle keep-alive connection is held open before its thread gives up."""


def loopback_family(host: str) -> socket.AddressFamily:
    """The address family to bind ``host`` with, if it is a loopback address.

    Raises:
        UsageError: the host is not loopback; the simulator trusts anyone who can reach it
            (its control API registers apps and moves its clock), so it never leaves the machine.
    """
    literal = "127.0.0.1" if host == "localhost" else host
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise UsageError(
            f"The simulator only listens on a loopback address (such as 127.0.0.1), not {host!r}."
        )
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def answer(state: SimState, router: Router, request: Request) -> Response:
    """Count, apply any injected fault, then let the endpoint answer."""
    match = router.match(request.method, request.path)
    if match.route is not None and match.route.counter is not None:
        state.count(match.route.counter)
    # The control API is never faulted, or a test could lock itself out of its own simulator.
    if not request.path.startswith("/_sim/"):
        fault = state.take_fault(request.path)
        if fault is not None:
            canned = fault.response()
            if canned is not None:
                return canned
            # A slow fault: wait (cut short if the server stops), then answer normally.
            state.stopping.wait(fault.delay or 0.0)
    if match.route is None:
        if match.allowed:
            body = {"error": f"method {request.method} not allowed here"}
            return json_response(405, body, {"Allow": ", ".join(match.allowed)})
        return json_response(404, {"error": "no such endpoint"})
    try:
        return match.route.handler(state, request, match.params)
    except Exception as exc:
        # Report where, never the exception's text: it could quote a secret from the request.
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        sys.stderr.write(
            f"simulator: endpoint failed with {type(exc).__name__} at {frame.filename}:"
            f"{frame.lineno}\n"
        )
        return json_response(500, {"error": "the simulator failed to answer"})


class _Handler(BaseHTTPRequestHandler):
    """Reads one request at a time off a keep-alive connection and writes the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "tokenvault-sim/1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus delayed ACKs
    # would add ~40 ms to every answer on a reused connection.
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: SimHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        split = urllib.parse.urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
        )
        self._send(answer(self.server.state, self.server.router, request))

    def _read_body(self) -> bytes | None:
        """Read the whole body so the next request on this connection starts cleanly."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(json_response(411, {"error": "send a Content-Length, not chunks"}))
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            # The body cannot be skipped reliably, so the connection must end with this answer.
            self.close_connection = True
            status = 400 if length < 0 else 413
            self._send(json_response(status, {"error": "bad or oversized Content-Length"}))
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True  # the client hung up mid-body
            return None
        return body

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.content_type is not None:
                self.send_header("Content-Type", response.content_type)
            # RFC 9110 8.6: no Content-Length on 204; every other answer carries one, so the
            # client knows where it ends and can reuse the connection.
            if response.status != 204:
                self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if response.body and response.status != 204:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout against a slow fault, say): nothing to tell it.
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Method, path and status only: never the query string, headers or body (secrets).
        if self.server.verbose:
            path = urllib.parse.urlsplit(self.path).path
            status = code.value if hasattr(code, "value") else code
            sys.stderr.write(f"simulator: {self.command} {path} {status}\n")

    def log_message(self, format: str, *args: Any) -> None:
        # The stock handler logs request lines and errors verbatim; stay silent instead.
        return


class SimHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its simulator state and can drop idle connections."""

    daemon_threads = True
    # A benchmark may open many connections at once; the stock backlog of 5 would refuse some.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        state: SimState,
        router: Router,
        verbose: bool = False,
    ) -> None:
        self.address_family = family
        self.state = state
        self.router = router
        self.verbose = verbose
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._stop_requested = threading.Event()
        super().__init__(address, _Handler)

    def serve_until_stopped(self) -> None:
        """Accept connections until ``request_stop``.

        Unlike ``serve_forever`` this neither polls while idle nor makes ``stop`` wait out a
        poll interval (each test starts and stops a simulator).
        """
        while not self._stop_requested.is_set():
            self.handle_request()

    def request_stop(self) -> None:
        """Make ``serve_until_stopped`` return soon."""
        self._stop_requested.set()
        # handle_request blocks until a connection arrives: make one to wake it.
        host, port = self.server_address[:2]
        with contextlib.suppress(OSError), socket.create_connection((str(host), port), timeout=1):
            pass

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn, a reverse DNS look-up that can stall start-up.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket) -> None:
        """Remember an open client connection."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a closed client connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def drop_connections(self) -> None:
        """Shut every open connection, so no handler thread answers after the server stopped."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # OSError: the client closed it first.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # clients hang up; that is not the simulator's failure
        sys.stderr.write(f"simulator: connection failed with {type(exc).__name__}\n")

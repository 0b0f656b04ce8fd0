"""A tiny hostile provider on 127.0.0.1: it answers whatever a test sets, however it likes.

The simulator plays by the rules; this server does not. A test sets ``server.answer`` to a
function that writes the raw HTTP answer (a CR/LF token, a gzip bomb, a drip of bytes), and
every token endpoint of every preset gets it, since it ignores the path.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[BaseHTTPRequestHandler], None]

TOKEN_FIELDS = ("access_token", "token", "app_token", "AccessToken", "accessToken")
"""Every preset's token field, so one answer serves them all."""


def token_body(token: Any, **extra: Any) -> bytes:
    """A token answer every preset reads: the token under each preset's field name."""
    body: dict[str, Any] = {name: token for name in TOKEN_FIELDS}
    body.update(extra or {"expires_in": 3600})
    return json.dumps(body).encode()


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    handled = {k.lower() for k in headers or {}}
    if "content-type" not in handled:
        handler.send_header("Content-Type", "application/json")
    if "content-length" not in handled:
        handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def json_answer(body: bytes, status: int = 200, **headers: str) -> Answer:
    return lambda handler: send(handler, body, status=status, headers=headers)


def gzip_bomb(inflated: int) -> Answer:
    """``inflated`` bytes of JSON-ish zeros that travel as a few kilobytes of gzip."""
    packed = gzip.compress(b'{"access_token": "' + b"0" * inflated + b'"}', 9)
    return lambda handler: send(handler, packed, headers={"Content-Encoding": "gzip"})


def drip(every: float, stop: threading.Event) -> Answer:
    """A valid-looking answer sent one byte per ``every`` seconds until ``stop`` is set."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = token_body("dripped-token")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in body:
            if stop.wait(every):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    return answer


class HostileServer:
    """The server; ``answer`` may be replaced between requests; ``hits`` counts requests."""

    def __init__(self) -> None:
        self.answer: Answer = json_answer(token_body("good-token-0001"))
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.hits += 1
                # The vault may hang up on us mid-answer, as it should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    owner.answer(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server

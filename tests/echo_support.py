"""A loopback provider that quotes our request back in one chosen encoding, and a leak finder.

The server answers every request 401 with a plain-text body quoting each credential-like
value it received (JSON or form body values, the Authorization, App-Token and X-* headers,
a Basic header's password) in the encoding named by the last path segment, e.g.
``POST /token/b64url``. ``leaks`` then looks for any 8-character fragment of any readable form
of a secret; it builds those forms itself so that a gap in ``vault.core.providers.mask`` is
not mirrored by the test.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, quote_plus, unquote

SECRET = 'Sp4ce Secret/Välue+"q"-0042'
"""A space (for ``+``), ``/``, ``+``, a quote and a non-ASCII letter: every encoding differs."""


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def _half(value: str) -> str:
    cut = len(value) // 2
    return f"{value[:cut]} [...] {value[cut:]}"


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "quote": lambda v: quote(v, safe=""),
    "quote-lower": lambda v: _lower_hex(quote(v, safe="")),
    "plus": quote_plus,
    "plus-lower": lambda v: _lower_hex(quote_plus(v)),
    "json": lambda v: json.dumps(v),
    "json-unicode": lambda v: json.dumps(v, ensure_ascii=False),
    "b64": lambda v: base64.b64encode(v.encode()).decode(),
    "b64url": lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
    "upper": str.upper,
    "lower": str.lower,
    "prefix": lambda v: v[:9],
    "middle": lambda v: v[4:14],
    "split": _half,
}
"""How the server quotes a value, by the name in the request path."""


def _values(handler: BaseHTTPRequestHandler, body: str) -> list[str]:
    found: list[str] = []
    try:
        data = json.loads(body)
    except ValueError:
        data = {k: v[0] for k, v in parse_qs(body).items()}
    if isinstance(data, dict):
        found += [str(v) for v in data.values() if isinstance(v, str)]
    extra = [name for name in handler.headers if name.lower().startswith("x-")]
    for name in ("Authorization", "App-Token", *extra):
        value = handler.headers.get(name)
        if not value:
            continue
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "basic":
            # What a proxy decoding the header for its log line would print: the password.
            password = base64.b64decode(rest).decode().partition(":")[2]
            found.append(unquote(password))
        found.append(rest if rest else value)
    # Long values first: what the vault keeps of a message is its first 200 characters.
    return sorted((v for v in found if len(v) >= 8), key=len, reverse=True)


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        encode = ENCODINGS.get(self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0], str)
        quoted = " | ".join(encode(v) for v in _values(self, body))
        data = f"rejected request: {quoted}".encode()
        self.send_response(401)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def echo_server() -> Iterator[str]:
    """A running echo server on 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    # A short poll keeps shutdown() quick (the default waits up to half a second).
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def readable_forms(secret: str) -> set[str]:
    """Every form of ``secret`` a person could read it in (built here, not by the vault)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    raw = secret.encode()
    forms |= {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return forms


def leaks(text: str, secret: str, width: int = 8) -> list[str]:
    """Fragments of ``width`` characters of any readable form of ``secret`` found in ``text``
    (case ignored); empty when nothing leaked."""
    low = text.lower()
    found = []
    for form in readable_forms(secret):
        form = form.lower()
        if len(form) < width:
            if form in low:
                found.append(form)
            continue
        pieces = (form[i : i + width] for i in range(len(form) - width + 1))
        found += [piece for piece in pieces if piece in low]
    return sorted(set(found))

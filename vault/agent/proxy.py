"""The auth proxy: any HTTP client on this machine calls an API with a vault credential.

``tokenvault proxy NAME`` serves on 127.0.0.1 only (``vault.agent.listener``). A request
must start its path with a random capability key (``/KEY/...``) or it gets 403 and reaches
nothing: any local program or web page can reach a loopback port, only someone told the key
may spend the token. With ``--unix-socket`` the socket's 0600 mode is the gate instead, and
there is no key.

Tokens come from the same core operations as ``VaultAuth`` and ``tokenvault request``: the
proxy drives ``VaultAuth``'s own flow, so a missing or expiring token is replaced before the
request (``tokens.ensure``), a 401 regenerates once and the request goes out once more
(``tokens.regenerate_after_401``, one regeneration however many requests meet the same 401),
and the token is attached by ``Engine.apply`` (never over plain http to another host).
Redirects go back to the client untouched: following one would carry the token elsewhere.
"""

from __future__ import annotations

import hmac
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from vault.agent import forwarding
from vault.core.auth import VaultAuth
from vault.core.errors import UsageError, VaultError
from vault.core.model import Token
from vault.core.providers.engine import provider_for
from vault.core.store import VaultStore

KEY_BYTES = 24
"""Capability key entropy: 192 bits, past any guessing over a loopback socket."""

REPLAY_CAP = 10 * 1024 * 1024
"""Bodies up to this size are held in memory so a 401 can be answered by sending them again;
larger ones stream straight through and a 401 goes back to the client (the token is still
replaced, so the client's own retry succeeds)."""

CLIENT_TIMEOUT = 60.0
"""Seconds a client may stall mid-request before its connection is dropped."""

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_NO_BODY = {204, 304}


@dataclass
class Proxy:
    """What every request handler shares: the credential's auth, the upstream, the key."""

    name: str
    auth: VaultAuth = field(repr=False)
    upstream: httpx.URL
    client: httpx.Client = field(repr=False)
    replaced: frozenset[str]
    """Header names the credential attaches; a client's own values for them are dropped."""
    key: str | None = field(default=None, repr=False)
    """The capability the path must start with (None on a Unix socket)."""
    replay_cap: int = REPLAY_CAP
    _log_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _idle: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _active: int = 0

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a request from its first byte to its log line, for ``drain``."""
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for requests under way to finish and be logged."""
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout)

    def target(self, path: str) -> str | None:
        """The upstream request target for a client's ``path``, or None without the key."""
        if not path.startswith("/"):
            return None  # absolute-form (a forward-proxy request) or junk
        if self.key is None:
            return path
        prefix = f"/{self.key}".encode()
        raw = path.encode("latin-1")
        # Constant time, so the key cannot be found a byte at a time from response timing.
        if not hmac.compare_digest(raw[: len(prefix)], prefix):
            return None
        rest = path[len(prefix) :]
        if rest and rest[0] not in "/?":
            return None  # "/KEYmore" is not the key
        return rest if rest.startswith("/") else f"/{rest}"

    def url(self, target: str) -> httpx.URL:
        """The upstream URL for ``target``, under the upstream's own path; never another host."""
        base = self.upstream.raw_path.split(b"?", 1)[0].rstrip(b"/")
        url = self.upstream.copy_with(raw_path=base + target.encode("latin-1"))
        if (url.scheme, url.host, url.port) != (
            self.upstream.scheme,
            self.upstream.host,
            self.upstream.port,
        ):
            raise forwarding.BadRequest("The request target would leave the upstream host.")
        return url

    def log(self, method: str, path: str, status: int, started: float, note: str = "") -> None:
        """One line per request on stderr: never the key, a token or a query string."""
        ms = (time.monotonic() - started) * 1000
        line = f"tokenvault proxy: {method} {path} {status} {ms:.0f} ms"
        with self._log_lock:
            print(f"{line} {note}".rstrip(), file=sys.stderr, flush=True)


class Handler(BaseHTTPRequestHandler):
    """One client connection; HTTP/1.1 so keep-alive and chunked answers work."""

    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT
    server_version = "tokenvault-proxy"

    def setup(self) -> None:
        super().setup()
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            # Headers and body leave in separate writes; with Nagle's algorithm each small
            # answer would wait for the client's delayed ACK (~40 ms a request).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        # The standard access log prints the request line, which holds the key: never.
        return

    def _proxy(self) -> Proxy:
        proxy: Proxy = self.server.proxy  # type: ignore[attr-defined]
        return proxy

    def _plain(self, status: int, text: str) -> None:
        body = f"{text}\n".encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        # The body the client sent (if any) was not read: the connection cannot be reused.
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _forward(self) -> None:
        proxy = self._proxy()
        with proxy.in_flight():
            self._forward_one(proxy)

    def _forward_one(self, proxy: Proxy) -> None:
        started = time.monotonic()
        target = proxy.target(self.path)
        if target is None:
            self._refuse(proxy, started)
            return
        shown = forwarding.log_path(target)
        try:
            request, replayable = self._upstream_request(proxy, target)
        except forwarding.BadRequest as exc:
            self._plain(400, str(exc))
            proxy.log(self.command, shown, 400, started)
            return
        status, note = self._exchange(proxy, request, replayable)
        proxy.log(self.command, shown, status, started, note)

    def _upstream_request(self, proxy: Proxy, target: str) -> tuple[httpx.Request, bool]:
        """The request to send upstream, and whether its body is held for a replay."""
        try:
            url = proxy.url(target)
        except (httpx.InvalidURL, UnicodeEncodeError):
            raise forwarding.BadRequest("The request target is not a valid URL path.") from None
        headers = forwarding.request_headers(
            self.headers.items(), self.headers.get_all("Connection", []), proxy.replaced
        )
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        lengths = {value.strip() for value in self.headers.get_all("Content-Length", [])}
        if len(lengths) > 1 or (lengths and chunked):
            # Two framings (RFC 9112 6.3): a server in between could read the body either
            # way, so refuse rather than pick one (request smuggling lives in that gap).
            raise forwarding.BadRequest("The request gives its body length two different ways.")
        pieces = forwarding.body_pieces(self.rfile, length, chunked)
        body = forwarding.buffered(pieces, proxy.replay_cap)
        if not isinstance(body, bytes) and length is not None and not chunked:
            # Streamed through: keep the client's declared length rather than re-chunking it
            # (many APIs refuse chunked uploads); body_pieces holds the client to it.
            headers.append(("Content-Length", length.strip()))
        request = httpx.Request(self.command, url, headers=headers, content=body)
        return request, isinstance(body, bytes)

    def _exchange(self, proxy: Proxy, request: httpx.Request, replayable: bool) -> tuple[int, str]:
        """Send ``request`` through VaultAuth's flow and relay the answer; (status, log note)."""
        flow = proxy.auth.sync_auth_flow(request)
        note = ""
        try:
            try:
                response = proxy.client.send(next(flow), stream=True)
                if response.status_code == 401 and replayable:
                    # The 401's body is never read (an upstream could make it endless).
                    response.close()
                    response = proxy.client.send(flow.send(response), stream=True)
                    note = "regenerated"
                elif response.status_code == 401:
                    # Streamed, so it cannot be sent again. The new token is had before the 401
                    # goes back, so the client's own retry finds it. The flow reads only the
                    # status (and may drop the body it is given): it gets a stand-in, and the
                    # client the real answer.
                    with suppress(VaultError):
                        flow.send(httpx.Response(401, request=response.request))
                        note = "regenerated for the retry"
            except forwarding.BadRequest as exc:
                # The client's streamed body broke its own framing mid-upload.
                self._plain(400, str(exc))
                return 400, ""
            except VaultError as exc:
                # No token could be had, or the engine refused to send it (plain http).
                self._plain(502, str(exc))
                return 502, "no token"
            except httpx.TimeoutException:
                self._plain(504, "The upstream did not answer in time.")
                return 504, ""
            except httpx.TransportError as exc:
                self._plain(502, f"The upstream could not be reached ({type(exc).__name__}).")
                return 502, ""
            try:
                self._relay(response)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return response.status_code, "client hung up"
            finally:
                response.close()
            return response.status_code, note
        finally:
            flow.close()

    def _relay(self, response: httpx.Response) -> None:
        """Status, headers and body back to the client, the body as it arrives."""
        raw = response.headers.raw
        length = forwarding.framing(raw)
        bodiless = self.command == "HEAD" or response.status_code in _NO_BODY
        reason = "".join(c for c in response.reason_phrase if " " <= c < "\x7f")
        lines = [f"HTTP/1.1 {response.status_code} {reason}".rstrip().encode()]
        lines += [k + b": " + v for k, v in forwarding.response_headers(raw)]
        chunked = False
        if length is not None:
            lines.append(b"Content-Length: %d" % length)
        elif not bodiless:
            if self.request_version == "HTTP/1.1":
                lines.append(b"Transfer-Encoding: chunked")
                chunked = True
            else:
                self.close_connection = True  # HTTP/1.0: the body ends when the connection does
        if self.close_connection:
            lines.append(b"Connection: close")
        self.wfile.write(b"\r\n".join(lines) + b"\r\n\r\n")
        if bodiless:
            return
        try:
            # No chunk size: httpx would hold pieces back until that many bytes arrived.
            for piece in response.iter_raw():
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    self.wfile.flush()
        except httpx.HTTPError:
            # Headers are out: the only honest signal left is a cut connection.
            self.close_connection = True
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _refuse(self, proxy: Proxy, started: float) -> None:
        self._plain(403, "Forbidden: this proxy needs its key as the first path segment.")
        # Not even the path is logged: a near-miss could be most of the key.
        proxy.log(self.command, "(refused)", 403, started)

    def handle_expect_100(self) -> bool:
        # Only a request with the key earns a "go ahead" for its body.
        proxy = self._proxy()
        if proxy.target(self.path) is None:
            self._refuse(proxy, time.monotonic())
            return False
        return super().handle_expect_100()


for _method in METHODS:
    setattr(Handler, f"do_{_method}", Handler._forward)


def build(
    store: VaultStore,
    name: str,
    *,
    upstream: str | None = None,
    timeout: float = 60.0,
    unix: bool = False,
) -> Proxy:
    """The shared state for a proxy to credential ``name`` of ``store``.

    Raises:
        CredentialNotFound: no such credential.
        UsageError: the upstream is not an http(s) URL, or is plain http to another host.
    """
    from vault.core import tokens

    cred = store.data.credentials.get(name)
    if cred is None:
        from vault.core.errors import CredentialNotFound

        raise CredentialNotFound(name)
    engine = provider_for(cred)
    text = upstream or str(engine.settings.get("base_url") or "")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"The upstream must be an http(s) URL, not {text!r}.")
    if url.userinfo or url.query or url.fragment:
        raise UsageError("The upstream URL must hold no user, password, query or fragment.")
    # The engine's plain-http rule, checked now so a bad upstream fails at start rather than
    # on the first request; the placeholder token goes nowhere.
    placeholder = Token(value="placeholder")
    engine.apply(httpx.Request("GET", url), placeholder)
    replaced = frozenset(engine.token_headers(placeholder, per_request=True))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    client = httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=limits,
        follow_redirects=False,  # a redirect would carry the token to wherever it points
    )
    return Proxy(
        name=name,
        auth=VaultAuth(store, name, min_valid=tokens.DEFAULT_MIN_VALID),
        upstream=url,
        client=client,
        replaced=replaced,
        key=None if unix else secrets.token_urlsafe(KEY_BYTES),
    )

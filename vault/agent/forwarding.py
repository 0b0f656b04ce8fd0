"""What the auth proxy carries across: which headers travel, how a client's body is read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from vault.core.errors import UsageError

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 9110 section 7.6.1: headers that describe one connection, never forwarded."""

CLIENT_AUTH = frozenset({"authorization", "app-id", "app-token"})
"""Credentials a client may send itself: always replaced by the vault's, never passed on (a
stale or foreign token must not reach the API next to ours, nor pick which one it reads)."""

# Framing and addressing the proxy sets itself for the upstream leg: httpx writes Host from
# the upstream URL and Content-Length (or chunked) from the body it sends; Expect was already
# answered to the client by the server.
_REFRAMED = frozenset({"host", "content-length", "expect"})

_PROXY = "proxy-"
"""Every ``Proxy-*`` header is for a proxy on the way, not for the API."""

PIECE = 64 * 1024
"""Bytes read from the client per step while streaming a body through."""

_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 64


class Reader(Protocol):
    """The client connection's buffered reading side."""

    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...


class BadRequest(UsageError):
    """The client's request cannot be forwarded (bad framing); answered 400, never raised on."""


def connection_named(values: Iterable[str]) -> set[str]:
    """Header names listed in ``Connection`` values: hop-by-hop for this one connection."""
    return {t.strip().lower() for value in values for t in value.split(",") if t.strip()}


def request_headers(
    items: Iterable[tuple[str, str]], connection: Iterable[str], replaced: Iterable[str]
) -> list[tuple[str, str]]:
    """The client's headers as they go upstream, in order, duplicates kept.

    Args:
        items: the client's header lines.
        connection: the values of its ``Connection`` headers.
        replaced: header names the credential attaches (dropped here, set by the engine).
    """
    drop = HOP_BY_HOP | CLIENT_AUTH | _REFRAMED | connection_named(connection)
    drop |= {name.lower() for name in replaced}
    return [(k, v) for k, v in items if k.lower() not in drop and not k.lower().startswith(_PROXY)]


def response_headers(items: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's headers as they go back to the client, minus hop-by-hop and framing.

    ``Content-Length`` is dropped too: the proxy frames the body itself (see ``framing``).
    """
    pairs = list(items)
    named = connection_named(v.decode("latin-1") for k, v in pairs if k.lower() == b"connection")
    drop = HOP_BY_HOP | named | {"content-length"}
    return [(k, v) for k, v in pairs if k.decode("latin-1").lower() not in drop]


def framing(items: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The upstream body's length when it declared one it can be held to, else None (chunked).

    A response with ``Transfer-Encoding`` is framed by it, whatever ``Content-Length`` says
    (RFC 9112 section 6.3), so the length is then not trusted.
    """
    lengths: set[bytes] = set()
    for key, value in items:
        name = key.lower()
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            lengths |= {part.strip() for part in value.split(b",")}
    if len(lengths) != 1:
        return None
    (text,) = lengths
    return int(text) if text.isdigit() else None


def body_pieces(rfile: Reader, length: str | None, chunked: bool) -> Iterator[bytes]:
    """The client's request body as it arrives, decoded from chunked when it was sent so.

    Raises:
        BadRequest: a malformed ``Content-Length`` or chunk, or the body ended early.
    """
    if chunked:
        yield from _chunks(rfile)
        return
    if length is None:
        return
    text = length.strip()
    if not text.isdigit():
        raise BadRequest("The request's Content-Length is not a number.")
    left = int(text)
    while left:
        piece = rfile.read(min(left, PIECE))
        if not piece:
            raise BadRequest("The request body ended before its Content-Length.")
        left -= len(piece)
        yield piece


def _chunks(rfile: Reader) -> Iterator[bytes]:
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE + 1)
        size_text = line.split(b";", 1)[0].strip()
        if len(line) > _MAX_CHUNK_LINE or not size_text:
            raise BadRequest("The request's chunked body is malformed.")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest("The request's chunked body is malformed.") from None
        if size == 0:
            break
        left = size
        while left:
            piece = rfile.read(min(left, PIECE))
            if not piece:
                raise BadRequest("The request's chunked body ended early.")
            left -= len(piece)
            yield piece
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequest("The request's chunked body is malformed.")
    # Trailers are dropped (they are hop-by-hop here); read them so the connection stays usable.
    for _ in range(_MAX_TRAILERS):
        if rfile.readline(_MAX_CHUNK_LINE + 1) in (b"\r\n", b"\n", b""):
            return
    raise BadRequest("The request has too many trailer lines.")


def buffered(pieces: Iterator[bytes], cap: int) -> bytes | Iterator[bytes]:
    """The whole body as bytes when it fits in ``cap`` (so it can be sent again after a 401),
    else an iterator that streams it through: what was read so far, then the rest."""
    held: list[bytes] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size > cap:
            return _chain(held, pieces)
    return b"".join(held)


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from head
    yield from rest


def log_path(target: str) -> str:
    """The forwarded path for the log: no query (its values may be secrets), printable only."""
    path = target.split("?", 1)[0]
    # A client controls these bytes; escape codes must not reach the terminal showing the log.
    return "".join(c if " " < c < "\x7f" else "?" for c in path)[:200]

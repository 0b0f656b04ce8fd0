"""The agent's wire format: a 4-byte length, then one small versioned JSON object.

Both sides treat the other's bytes as untrusted: frames are capped before reading, the JSON
must be an object with the right version and operation, and anything else is an error reply,
never a crash.
"""

from __future__ import annotations

import json
import struct
from typing import TYPE_CHECKING, Any

from vault.core.errors import VaultError

if TYPE_CHECKING:  # only typed: the CLI talks through vault.agent.wire (no enum, selectors)
    import socket

VERSION = 1
"""Bumped on any incompatible change; a peer speaking another version gets an error."""

MAX_FRAME = 64 * 1024
"""Largest frame either side accepts; a longer announced length is refused before reading."""

OPS = frozenset(
    {"ping", "status", "key", "lock", "token", "summary", "schedule", "names", "list", "show"}
)
"""Every request the agent understands: liveness, status (no secret), the data key, lock,
one credential's current token, and the vault's secret-free summary.

``key`` takes an optional ``"touch": false`` so a shell prompt's ``tokenvault status`` does
not keep the vault unlocked forever by itself. ``token`` (``"name"``, ``"min_valid"`` seconds)
answers ``{"token": ...}`` only when the stored token has that long left, else ``{"token":
null}``: the agent never talks to a provider. ``token`` and ``summary`` let the two commands
scripts and shell prompts call most answer without loading the crypto stack at all.
``schedule`` (optional ``"name"``) answers the background refresh plan, names and times only
(``vault.agent.refresher.Refresher.schedule``); like ``status`` it does not touch the timer.
A ``summary`` always fits one frame: its counts are fixed-size and the next expiry's name is
cut to ``MAX_NAME`` characters (marked ``"truncated": true``), so ``status`` stays right
for a vault holding a name longer than the frame cap. ``names`` answers the credential names
for shell completion (no secret, no touch), cut to fit one frame (``"truncated": true``).
``list`` and ``show`` (``"name"``) answer ``{"rows": [...]}`` and ``{"detail": ...}`` (null:
no such credential), the secret-free rows `list --json` and `show --json` print
(``vault.agent.views``); they touch the timer like ``key``, and answer ``{"too_large": true}``
when the rows would not fit one frame, so the client opens the vault with the key instead."""

MAX_NAME = 256
"""Longest credential name a ``token`` request may carry."""

KEY_BYTES = 32
"""Length of the vault's data key (FORMAT.md, "Keys")."""


_LENGTH = struct.Struct(">I")


class ProtocolError(VaultError):
    """The peer sent something that is not a valid frame of this protocol."""


def encode(message: dict[str, Any]) -> bytes:
    """One frame: the length prefix and the UTF-8 JSON body."""
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"A message of {len(body)} bytes exceeds the {MAX_FRAME}-byte limit.")
    return _LENGTH.pack(len(body)) + body


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(encode(message))


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ProtocolError("The connection closed in the middle of a message.")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket) -> dict[str, Any]:
    """Read one frame and return its JSON object.

    Raises:
        ProtocolError: the frame is truncated, too large, not UTF-8 JSON or not an object.
        OSError: the socket failed or timed out.
    """
    (length,) = _LENGTH.unpack(_recv_exact(sock, _LENGTH.size))
    if length > MAX_FRAME:
        raise ProtocolError(f"A frame of {length} bytes exceeds the {MAX_FRAME}-byte limit.")
    body = _recv_exact(sock, length)
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("The frame is not UTF-8 JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError("The frame is not a JSON object.")
    return message


def request(op: str, **fields: Any) -> dict[str, Any]:
    return {"v": VERSION, "op": op, **fields}


def check_request(message: dict[str, Any]) -> str:
    """The operation a well-formed request asks for.

    Raises:
        ProtocolError: wrong version or unknown operation.
    """
    if message.get("v") != VERSION:
        raise ProtocolError(f"Unsupported protocol version {message.get('v')!r}; expected 1.")
    op = message.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise ProtocolError(f"Unknown operation {str(op)[:40]!r}.")
    return op


def reply(**fields: Any) -> dict[str, Any]:
    return {"v": VERSION, "ok": True, **fields}


def error(message: str) -> dict[str, Any]:
    return {"v": VERSION, "ok": False, "error": message}

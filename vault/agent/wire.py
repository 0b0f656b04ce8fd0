"""The agent's socket, found and asked with C built-ins only: the path every quick command takes.

`token NAME` and `status` run from shell prompts and scripts many times a minute, so their
start-up is the product. The usual modules cost more than the whole answer: ``typing``,
``pathlib`` (urllib.parse, ipaddress), ``hashlib`` (OpenSSL), ``socket`` (enum, selectors) and
``json`` (re) add ~20 ms to an 8 ms interpreter. This module needs only ``os``, ``sys`` and the
C modules behind those (``_socket``, ``_json``, ``_sha256`` by way of vault.core.digest), and
speaks exactly the frames of `vault.agent.protocol` (a 4-byte length, then compact JSON). It
answers the read side only: where the socket is and what the agent said. Creating the
runtime folder, starting and stopping agents stay in `vault.agent.location`,
`vault.core.rundir` and `vault.agent.client`, which ask through this module too, so both
paths always agree (tests/agent/test_wire.py checks the lookups against platformdirs and
vault.core.paths, and the frames against the protocol module).
"""

from __future__ import annotations

import _json
import _socket
import os
import sys

from vault.core.digest import sha256  # hashlib's digest without loading OpenSSL (~2 ms)
from vault.core.runpointer import is_private_folder, read_pointer

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: typing alone costs ~6 ms at start-up
    from typing import Any

APP = "tokenvault"
VERSION = 1
"""`vault.agent.protocol.VERSION`: a reply with another version is a refusal."""

MAX_FRAME = 64 * 1024
"""`vault.agent.protocol.MAX_FRAME`: a longer announced reply is refused before reading."""

CALL_TIMEOUT = 1.0
"""A live agent answers in well under a millisecond; past this the caller uses the passphrase."""

REFUSED = "The agent refused the request"
"""How a problem sentence starts when the agent answered, but no."""

_WHITESPACE = " \t\n\r"
"""What JSON allows around a value (json.decoder.WHITESPACE)."""


# -- where: the vault, the runtime folder, the socket ------------------------------------------


def _plain_linux() -> bool:
    """platformdirs' plain Unix rules apply (not Android, macOS or Windows), so we can mimic."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return False
    return not (os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT"))


def _xdg_home(variable: str, fallback: str) -> str | None:
    """platformdirs' user folder for ``variable`` (+ the app name) in the common cases, else None.

    An absolute ``$XDG_...`` wins; else ``$HOME/<fallback>`` when HOME is absolute. Anything
    else (no HOME, a relative one, another platform) is platformdirs' to decide.
    """
    if not _plain_linux():
        return None
    base = os.environ.get(variable, "")
    if not base.startswith("/"):
        home = os.environ.get("HOME", "")
        if not home.startswith("/"):
            return None
        base = home.rstrip("/") + "/" + fallback  # os.path.expanduser's spelling
    return os.path.join(base, APP)


def vault_file(override: str | None = None) -> str:
    """The vault path as `vault.core.paths.default_vault_path` names it (not yet canonical).

    ``--vault``, then ``$TOKENVAULT_VAULT``, then platformdirs' user data folder.
    """
    given = override or os.environ.get("TOKENVAULT_VAULT")
    if given:
        return os.path.expanduser(given)
    data = _xdg_home("XDG_DATA_HOME", ".local/share")
    if data is None:
        from vault.core.paths import default_vault_path

        return os.fspath(default_vault_path())
    return os.path.join(data, "vault.tvault")


def stem(vault: str) -> str:
    """``agent-<16 hex digits of sha256(canonical vault path)>``: its socket and lock names."""
    return "agent-" + sha256(os.fsencode(vault)).hexdigest()[:16]


def runtime_folder() -> str | None:
    """The folder the agents' sockets are in, or None when none can exist yet.

    The read side of `vault.core.paths.runtime_dir`, which also creates the folder: an agent
    made it before listening, so a missing pointer means no agent, not "create one".
    """
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, APP)
    state = _xdg_home("XDG_STATE_HOME", ".local/state")
    if state is None:
        from vault.core.paths import runtime_dir

        return os.fspath(runtime_dir())
    found = read_pointer(os.path.join(state, "runtime-dir"))
    return found if found is not None and is_private_folder(found) else None


def socket_file(vault: str) -> str | None:
    """Where the agent of the canonical ``vault`` listens, or None if no agent can be running."""
    folder = runtime_folder()
    return None if folder is None else os.path.join(folder, stem(vault) + ".sock")


# -- what: one request, one reply ---------------------------------------------------------------


def _value(value: object) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return _json.encode_basestring_ascii(value)
    raise TypeError(type(value).__name__)


def encode(message: dict[str, Any]) -> bytes:
    """One frame, byte for byte what `protocol.encode` writes (a flat object of plain values)."""
    try:
        pairs = ",".join(f"{_value(key)}:{_value(value)}" for key, value in message.items())
        body = ("{" + pairs + "}").encode()
    except TypeError:  # a nested value: json knows how (not on any quick command's path)
        import json

        body = json.dumps(message, separators=(",", ":")).encode()
    return len(body).to_bytes(4, "big") + body


class _Decoder:
    """What json.loads hands its C scanner (json.decoder.JSONDecoder's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return float({"-Infinity": "-inf", "Infinity": "inf", "NaN": "nan"}[name])


_scan = _json.make_scanner(_Decoder())  # type: ignore[arg-type]  # typeshed wants a JSONDecoder; any object with its six attributes will do


def decode(body: bytes) -> object:
    """``json.loads(body)``, through the C scanner json.loads uses itself (no ``re``).

    Raises:
        ValueError: not UTF-8 JSON (the scanner's failures are re-checked by json).
    """
    text = body.decode("utf-8")
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _scan(text, start)
    except Exception:  # the scanner's own errors need json.decoder: let json say what is wrong
        value, end = None, -1
    if end < 0 or text[end:].strip(_WHITESPACE):
        import json

        return json.loads(text)
    return value


def _recv_exact(conn: Any, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left:
        chunk = conn.recv(min(left, 65536))
        if not chunk:
            raise ValueError("The connection closed in the middle of a message.")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _exchange(sock: str, message: dict[str, Any]) -> object:
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(CALL_TIMEOUT)
        conn.connect(sock)
        conn.sendall(encode(message))
        length = int.from_bytes(_recv_exact(conn, 4), "big")
        if length > MAX_FRAME:
            raise ValueError(f"A frame of {length} bytes exceeds the {MAX_FRAME}-byte limit.")
        return decode(_recv_exact(conn, length))
    finally:
        conn.close()


def ask(sock: str, op: str, **fields: Any) -> tuple[dict[str, Any] | None, str | None]:
    """One request to the agent at ``sock``: ``(reply, None)``, or ``(None, problem)``.

    ``problem`` is None when no socket exists (no agent: nothing to say), else one sentence
    (no trailing period) a caller prints before it falls back to the passphrase. A socket of
    another uid is never used: anyone could put one where ours would be.
    """
    try:
        info = os.lstat(sock)
    except (OSError, ValueError):
        return None, None
    if info.st_uid != os.getuid():
        return None, f"The agent socket {sock} belongs to another user and was not used"
    try:
        answer = _exchange(sock, {"v": VERSION, "op": op, **fields})
    except (ConnectionRefusedError, FileNotFoundError):
        problem = "The agent's socket was left by an agent that is no longer running"
    except TimeoutError:
        # Accepted by the kernel but never answered: a stopped (SIGSTOP) or wedged agent.
        problem = (
            f"The agent is not answering (no reply within {CALL_TIMEOUT:g} s; it may be stopped)"
        )
    except (OSError, ValueError):
        problem = "The agent stopped answering in the middle of a request"
    else:
        if not isinstance(answer, dict):
            problem = "The agent stopped answering in the middle of a request"
        elif answer.get("ok") is True and answer.get("v") == VERSION:
            return answer, None
        else:
            reason = str(answer.get("error") or "no reason given")[:200].rstrip(".")
            return None, f"{REFUSED} ({reason})"
    remove_if_stale(sock)
    return None, problem


def remove_if_stale(sock: str) -> bool:
    """Delete the socket of an agent that no longer runs (its lock is free); True if removed.

    A live agent holds its lock file (the socket's name with ``.lock``) for its whole life, so
    a free lock proves the socket is a leftover: an agent killed with SIGKILL cannot remove
    its own socket.
    """
    import fcntl

    if not os.path.lexists(sock):
        return False
    lock = sock.removesuffix(".sock") + ".lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False  # an agent is alive (starting, or busy): leave its socket alone
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)
    return True

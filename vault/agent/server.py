"""The agent process: serve one vault's data key over a private Unix socket until idle or locked.

Threats this guards against, at the decision sites below: other users (0700 folder, 0600
socket, SO_PEERCRED uid check), a key reaching disk (core dumps off, key only in memory, no
logs), a stuck or hostile client (bounded frames, per-connection timeouts, a cap on
connections), and a key outliving its use (idle timeout, `tokenvault lock`, SIGTERM).
"""

from __future__ import annotations

import base64
import errno
import json
import os
import select
import signal
import socket
import struct
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from vault.agent import protocol
from vault.agent.location import canonical, lock_path, private_runtime_dir, socket_path
from vault.agent.protocol import KEY_BYTES
from vault.agent.refresher import Refresher
from vault.agent.reminder import Reminders
from vault.core.clock import iso
from vault.core.errors import VaultError
from vault.core.store import flock_within

if TYPE_CHECKING:
    from vault.core.model import VaultData
    from vault.core.store import VaultStore

CONNECTION_TIMEOUT = 2.0
"""A client that does not finish its request in this long is dropped."""

MAX_CONNECTIONS = 32
"""Connections served at once; more are closed at once rather than queued without bound."""

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid

REFUSED = protocol.error("Refused: this agent serves its own user.")
"""The whole answer any other uid gets, whatever it asked."""

__all__ = ["KEY_BYTES", "Agent", "check_owner", "peer_uid"]


def peer_uid(conn: socket.socket) -> int | None:
    """The connecting process's uid (Linux SO_PEERCRED), or None where the OS has no such call."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    _pid, uid, _gid = _UCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, option, _UCRED.size))
    return int(uid)


def check_owner(vault: Path) -> None:
    """Refuse to hold the key of a vault that belongs to someone else.

    Raises:
        VaultError: the vault file is missing or owned by another uid.
    """
    try:
        owner = os.stat(vault).st_uid
    except OSError as exc:
        raise VaultError(f"Cannot read the vault at {vault}: {exc.strerror}.") from None
    if owner != os.getuid():
        raise VaultError(
            f"The vault {vault} belongs to uid {owner}, not to this user; the agent only holds "
            "its own user's vault."
        )


def bounded_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with the next-expiry name cut to ``MAX_NAME`` characters.

    The counts are fixed-size; only that name grows, and a vault written before the name
    checks may hold one far beyond the frame cap (JSON writes each control character as six
    bytes). The counts, the status a prompt shows, stay exact; a cut name is marked
    ``"truncated": true``.
    """
    nxt = summary.get("next_expiry")
    if isinstance(nxt, dict) and len(str(nxt.get("name", ""))) > protocol.MAX_NAME:
        cut = str(nxt["name"])[: protocol.MAX_NAME - 1] + "…"
        summary = {**summary, "next_expiry": {**nxt, "name": cut, "truncated": True}}
    return summary


class Agent:
    """Holds one vault's data key and answers requests on its socket.

    Args:
        vault: the vault file (canonical path).
        data_key: the unwrapped 32-byte data key; copied into a buffer zeroed on exit.
        idle_timeout: seconds without a key request before the agent locks itself.
        refresh: refresh auto-refresh credentials in the background (``[agent] refresh``).
        refresh_off: why it does not, for ``agent status``.
    """

    def __init__(
        self,
        vault: Path,
        data_key: bytes,
        idle_timeout: int,
        *,
        refresh: bool = True,
        refresh_off: str = "",
    ) -> None:
        if len(data_key) != KEY_BYTES:
            raise VaultError("The agent was handed a key of the wrong length; it did not start.")
        self.vault = canonical(vault)
        self.idle_timeout = idle_timeout
        self.socket_path = socket_path(self.vault)
        self._key = bytearray(data_key)
        self._started = datetime.now(UTC).replace(microsecond=0)
        self._last_used = time.monotonic()
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._bound_inode: int | None = None
        self._store: VaultStore | None = None
        self._store_lock = threading.Lock()
        self.refresher = Refresher(self.vault, self._key, enabled=refresh, off_reason=refresh_off)
        self.reminders = Reminders(self.vault, self._key, background=refresh)

    def __repr__(self) -> str:
        return f"Agent(vault={str(self.vault)!r}, idle_timeout={self.idle_timeout})"

    # -- lifecycle ---------------------------------------------------------------------------

    def bind(self) -> None:
        """Take the per-vault lock and listen on the socket.

        Raises:
            VaultError: another agent already serves this vault, or the socket cannot be made.
        """
        # Handlers first: a SIGTERM from the moment the socket exists must still clean it up.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        # Detached from any terminal; a hangup must not be mistaken for a lock request.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        private_runtime_dir()
        fd = os.open(
            lock_path(self.vault), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        # A client checking for a stale socket holds the lock for a moment; a live agent
        # holds it for good.
        if not flock_within(fd, 1.0, poll=0.02):
            os.close(fd)
            raise VaultError(
                "An agent is already running for this vault; `tokenvault lock` ends it."
            )
        self._lock_fd = fd
        # We hold the lock, so any socket file here is a leftover from an agent that crashed.
        with suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # the socket is born 0600: no window with looser bits
        try:
            listener.bind(os.fspath(self.socket_path))
        except OSError as exc:
            listener.close()
            raise VaultError(
                f"The agent cannot listen on {self.socket_path}: {exc.strerror or exc}."
            ) from None
        finally:
            os.umask(old_umask)
        os.chmod(self.socket_path, 0o600)
        listener.listen(MAX_CONNECTIONS)
        self._bound_inode = os.stat(self.socket_path).st_ino
        self._listener = listener

    def serve(self) -> None:
        """Answer requests until locked, idle for ``idle_timeout``, or sent SIGTERM/SIGINT."""
        listener = self._listener
        assert listener is not None, "bind() first"
        try:
            self.refresher.start()  # a thread: serve() runs after the fork, bind() before it
            self.reminders.start()
            while not self._stop.is_set():
                left = self.seconds_left()
                if left <= 0:
                    break
                ready, _, _ = select.select([listener], [], [], min(left, 0.25))
                if ready:
                    self._accept(listener)
        finally:
            self.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Remove the socket, release the lock and zero the key buffer."""
        self._stop.set()
        self.refresher.stop()
        self.reminders.stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            with suppress(OSError):
                # Only our own socket: never one a successor agent bound in the meantime.
                if os.stat(self.socket_path).st_ino == self._bound_inode:
                    os.unlink(self.socket_path)
        for i in range(len(self._key)):
            self._key[i] = 0
        if self._store is not None:
            self._store.close()  # drops its copy of the key and the decrypted data
            self._store = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    # -- requests ----------------------------------------------------------------------------

    def seconds_left(self) -> float:
        return self._last_used + self.idle_timeout - time.monotonic()

    def _accept(self, listener: socket.socket) -> None:
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EINTR, errno.ECONNABORTED):
                return
            raise
        if not self._slots.acquire(blocking=False):
            conn.close()
            return
        threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(CONNECTION_TIMEOUT)
                uid = peer_uid(conn)
                foreign = uid is not None and uid != os.getuid()
                try:
                    # Read the (bounded) request even from a foreign peer: closing on unread
                    # bytes would reset the connection and the refusal would never arrive.
                    message = protocol.receive(conn)
                    op = protocol.check_request(message)
                except protocol.ProtocolError as exc:
                    reply = REFUSED if foreign else protocol.error(exc.message)
                    protocol.send(conn, reply)
                    return
                # Another user reached the socket (a loosened folder, say): tell it no.
                answer = REFUSED if foreign else self._answer(op, message)
                try:
                    frame = protocol.encode(answer)
                except protocol.ProtocolError:
                    # Never drop the connection silently: the client would report a dead agent.
                    frame = protocol.encode(protocol.error("The answer exceeds the frame limit."))
                conn.sendall(frame)
        except OSError:
            pass  # the client went away or stalled; nothing to clean up
        finally:
            self._slots.release()

    def _answer(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        if op in {"key", "token", "summary", "names", "list", "show"}:
            if self._stop.is_set() or self.seconds_left() <= 0:
                return protocol.error("The agent is locking.")
            # A shell prompt's summary must not keep the vault unlocked by itself.
            if op not in {"summary", "names"} and message.get("touch") is not False:
                self._last_used = time.monotonic()
        if op == "key":
            return protocol.reply(key=base64.b64encode(bytes(self._key)).decode("ascii"))
        if op == "token":
            return self._token(message)
        if op == "summary":
            return self._summary()
        if op == "names":
            return self._names()
        if op in {"list", "show"}:
            return self._view(op, message)
        if op == "lock":
            self._stop.set()
            return protocol.reply(locked=True)
        if op == "status":
            return protocol.reply(**self.status())
        if op == "schedule":
            name = message.get("name")
            return protocol.reply(
                **self.refresher.schedule(name if isinstance(name, str) else None)
            )
        return protocol.reply(pong=True)

    def _read(self) -> VaultData:
        """The vault's current content; re-decrypted only when the file changed."""
        from vault.core.store import VaultStore

        if self._store is None:
            self._store = VaultStore.from_key(self.vault, bytes(self._key))
            return self._store.data
        return self._store.reload()

    def _token(self, message: dict[str, Any]) -> dict[str, Any]:
        name, min_valid = message.get("name"), message.get("min_valid")
        if not isinstance(name, str) or not 0 < len(name) <= protocol.MAX_NAME:
            return protocol.error("A token request needs a credential name.")
        if not isinstance(min_valid, int) or isinstance(min_valid, bool) or min_valid < 0:
            return protocol.error("A token request needs min_valid in whole seconds.")
        try:
            with self._store_lock:
                cred = self._read().credentials.get(name)
        except VaultError as exc:
            return protocol.error(str(exc))
        token = None if cred is None else cred.token
        if token is None or not token.usable(timedelta(seconds=min_valid)):
            return protocol.reply(token=None)  # the caller refreshes through the full path
        return protocol.reply(token=token.value)

    def _summary(self) -> dict[str, Any]:
        from vault.core.summary import vault_summary

        try:
            with self._store_lock:
                creds = list(self._read().credentials.values())
        except VaultError as exc:
            return protocol.error(str(exc))
        return protocol.reply(summary=bounded_summary(vault_summary(creds)))

    def _view(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        """`list` and `show` rows from memory (``vault.agent.views``), as the CLI prints them."""
        from vault.agent import views

        try:
            with self._store_lock:
                data = self._read()
                if op == "list":
                    return views.list_reply(data)
                return views.show_reply(data, message.get("name"))
        except VaultError as exc:
            return protocol.error(str(exc))

    def _names(self) -> dict[str, Any]:
        """Names for shell completion; the list stops before it would overflow a frame."""
        try:
            with self._store_lock:
                names = sorted(self._read().credentials)
        except VaultError as exc:
            return protocol.error(str(exc))
        kept: list[str] = []
        room = protocol.MAX_FRAME - 256  # the envelope ({"v":1,"ok":true,...}) fits in this
        for name in names:
            room -= len(json.dumps(name)) + 1  # as encoded, escapes and comma included
            if room < 0:
                return protocol.reply(names=kept, truncated=True)
            kept.append(name)
        return protocol.reply(names=kept)

    def status(self) -> dict[str, Any]:
        """What ``agent status`` shows: nothing secret."""
        left = max(0, int(self.seconds_left()))
        return {
            "pid": os.getpid(),
            "vault": str(self.vault),
            "started_at": iso(self._started),
            "idle_timeout": self.idle_timeout,
            "seconds_left": left,
            "locks_at": iso(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=left)),
            "reminders": self.reminders.status(),
        }

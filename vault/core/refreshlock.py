"""One refresher per credential on the machine: a flock'd file per credential beside the vault.

Every path that asks a provider for a token (``vault.core.tokens``: generate, ensure,
regenerate after a 401, refresh many; so the CLI, the TUI, ``VaultAuth`` and the agent alike)
holds this lock around the request and the save. Whoever waited for it re-reads the vault and
uses the token the holder just stored instead of asking the provider again: two processes
refreshing one credential at once would otherwise cost two token requests (some providers
rate-limit them) and leave two live tokens where one was wanted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread

from vault.core.errors import VaultError, VaultLocked
from vault.core.model import Credential, Status, Token
from vault.core.store import FILE_MODE, flock_within

LOCK_TIMEOUT = 150.0
"""Longest wait for another process's refresh of the same credential: above the longest request
timeout a credential may set (120 s), so only a stuck holder turns into an error.
A holder that dies releases the lock at once (the kernel drops a dead process's flocks)."""

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def lock_path(vault: Path, name: str) -> Path:
    """``.<vault file name>-refresh-<hash of the name>.lock`` in the vault's own folder.

    The vault's folder, not the runtime folder: every process that can save the vault can
    write there, whatever its environment says the runtime folder is. The name is hashed so
    any credential name makes a plain file name (collisions only serialize two refreshes).
    The hidden ``.lock`` name keeps it out of the way; it is empty and never removed (removing
    a lock file another process may be about to flock would split the lock in two).
    """
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return vault.with_name(f".{vault.name}-refresh-{digest}.lock")


def _open(vault: Path, name: str) -> int:
    try:
        return os.open(lock_path(vault, name), _FLAGS, FILE_MODE)
    except OSError as exc:
        raise VaultError(
            f"Cannot create the refresh lock of {name!r} beside the vault: {exc.strerror}."
        ) from None


def acquire(vault: Path, name: str, timeout: float = LOCK_TIMEOUT) -> int:
    """Block (at most ``timeout`` seconds) until this process holds the lock; returns its fd.

    Raises:
        VaultLocked: another process held it all that time.
    """
    fd = _open(vault, name)
    if not flock_within(fd, timeout, poll=0.02):
        os.close(fd)
        raise VaultLocked(
            f"Another tokenvault process has been refreshing {name!r} for over "
            f"{timeout:.0f} s; try again when it finishes."
        )
    return fd


def try_acquire(vault: Path, name: str) -> int | None:
    """The lock's fd if it is free right now, else None (someone is refreshing ``name``)."""
    fd = _open(vault, name)
    if flock_within(fd, 0.0):
        return fd
    os.close(fd)
    return None


def release(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)  # closing drops the flock


@contextmanager
def held(vault: Path, name: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the refresh lock of ``name`` for the block (see ``acquire``)."""
    fd = acquire(vault, name, timeout)
    try:
        yield
    finally:
        release(fd)


@asynccontextmanager
async def aheld(vault: Path, name: str, timeout: float = LOCK_TIMEOUT) -> AsyncIterator[None]:
    """``held`` for asyncio callers: the wait runs in a worker thread, never on the loop."""
    fd = await anyio.to_thread.run_sync(acquire, vault, name, timeout)
    try:
        yield
    finally:
        release(fd)


@dataclass(frozen=True)
class Seen:
    """Which token a caller based its decision to refresh on (compared, never shown)."""

    known: bool
    """False when the caller's copy of the vault did not hold the credential at all."""
    value: str | None = field(default=None, repr=False)
    """The token value it saw; None when it saw no token."""


def seen(credentials: dict[str, Credential], name: str) -> Seen:
    """What the caller's in-memory copy (``store.data``, not re-read) shows for ``name``."""
    cred = credentials.get(name)
    if cred is None:
        return Seen(False)
    return Seen(True, None if cred.token is None else cred.token.value)


def replaced(cred: Credential, before: Seen) -> Token | None:
    """The token another process stored since the caller looked, if it is still good.

    Called with the lock held and ``cred`` just re-read: a different token than the one the
    caller saw, neither expired nor expiring by the credential's own policy, is the one the
    previous holder just made; using it is the whole point of the lock.
    """
    token = cred.token
    if not before.known or token is None or token.value == before.value:
        return None
    if cred.token_status() is not Status.VALID:
        return None
    return token


__all__ = [
    "LOCK_TIMEOUT",
    "Seen",
    "acquire",
    "aheld",
    "held",
    "lock_path",
    "release",
    "replaced",
    "seen",
    "try_acquire",
]

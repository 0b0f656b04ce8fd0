"""Where a vault's agent listens: one socket (and one lock file) per vault in the runtime folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from vault.agent import wire
from vault.core.errors import VaultError
from vault.core.paths import ensure_private_dir, runtime_dir

MAX_SOCKET_PATH = 107
"""sun_path holds 108 bytes on Linux, the terminating NUL included."""


def canonical(vault: Path) -> Path:
    """The absolute, symlink-free vault path, so every spelling of it finds the same agent."""
    return Path(os.path.realpath(vault))


def _stem(vault: Path) -> str:
    return wire.stem(os.fspath(canonical(vault)))  # the quick commands name it the same way


def socket_path(vault: Path) -> Path:
    """``runtime_dir()/agent-<hash of the vault path>.sock``."""
    return runtime_dir() / f"{_stem(vault)}.sock"


def agent_may_run(vault: Path) -> bool:
    """Cheap check (no connection): a socket file exists for this vault's agent."""
    return os.path.lexists(socket_path(vault))


def lock_path(vault: Path) -> Path:
    """Held (flock) by the running agent for its whole life: proof that its socket is live."""
    return runtime_dir() / f"{_stem(vault)}.lock"


def private_runtime_dir() -> Path:
    """The runtime folder, created 0700 and checked to belong to this user.

    Raises:
        VaultError: another user owns it (someone could swap our socket), or the socket path
            would be longer than a Unix socket address allows.
    """
    folder = runtime_dir()
    # Check before touching it: with no XDG_RUNTIME_DIR the folder is in the shared temp
    # directory, where another user may have created it (or a symlink) first.
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise VaultError(f"Cannot use the runtime folder {folder}: {exc.strerror}.") from None
    if info is not None and (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid()):
        raise VaultError(
            f"The runtime folder {folder} is not a folder of this user; refusing to put the "
            "agent socket there."
        )
    try:
        ensure_private_dir(folder)
    except OSError as exc:
        raise VaultError(f"Cannot create the runtime folder {folder}: {exc.strerror}.") from None
    if len(os.fsencode(folder / "agent-0123456789abcdef.sock")) > MAX_SOCKET_PATH:
        raise VaultError(
            f"The runtime folder {folder} is too long a path for a Unix socket; set "
            "XDG_RUNTIME_DIR to a shorter folder."
        )
    return folder

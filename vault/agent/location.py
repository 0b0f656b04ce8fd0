"""Where a vault's agent listens: one socket (and one lock file) per vault in the runtime folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from vault.core.errors import VaultError
from vault.core.paths import ensure_private_dir, runtime_dir

MAX_SOCKET_PATH = 107
"""sun_path holds 108 bytes on Linux, the terminating NUL included."""


def canonical(vault: Path) -> Path:
    """The absolute, symlink-free vault path, so every spelling of it finds the same agent."""
    return Path(os.path.realpath(vault))


def _stem(vault: Path) -> str:
    digest = hashlib.sha256(os.fsencode(canonical(vault))).hexdigest()[:16]
    return f"agent-{digest}"


def socket_path(vault: Path) -> Path:
    """``runtime_dir()/agent-<hash of the vault path>.sock``."""
    return runtime_dir() / f"{_stem(vault)}.sock"


def lock_path(vault: Path) -> Path:
    """Held (flock) by the running agent for its whole life: proof that its socket is live."""
    return runtime_dir() / f"{_stem(vault)}.lock"


def private_runtime_dir() -> Path:
    """The runtime folder, created 0700 and checked to belong to this user.

    Raises:
        VaultError: another user owns it (someone could swap our socket), or the socket path
            would be longer than a Unix socket address allows.
    """
    folder = ensure_private_dir(runtime_dir())
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise VaultError(
            f"The runtime folder {folder} belongs to another user; refusing to put the agent "
            "socket there."
        )
    if len(os.fsencode(folder / "agent-0123456789abcdef.sock")) > MAX_SOCKET_PATH:
        raise VaultError(
            f"The runtime folder {folder} is too long a path for a Unix socket; set "
            "XDG_RUNTIME_DIR to a shorter folder."
        )
    return folder

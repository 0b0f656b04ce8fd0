"""The agent's runtime folder when the session has no ``XDG_RUNTIME_DIR``.

A fixed name in the shared temp directory (``/tmp/tokenvault-<uid>``) can be taken first by
another user, as a folder or a symlink, and so block or hijack every agent. Instead, as
ssh-agent does, the folder is made by ``mkdtemp`` (a random name, created 0700 by us, never an
existing one), and a pointer file naming it is kept in the user's own state folder, which
only this user can write. Before use the folder is checked again (a real folder, not a
symlink, owned by this uid, no group or other bits): after a reboot cleared the temp
directory, someone may have recreated the old name.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from vault.core.errors import VaultError
from vault.core.runpointer import is_private_folder as _is_private
from vault.core.runpointer import read_pointer

POINTER_NAME = "runtime-dir"
"""In ``user_state_dir``: one line, the absolute path of the current runtime folder."""


def state_dir(app: str) -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir(app, appauthor=False))


def is_private_folder(folder: Path) -> bool:
    """A real folder (not a symlink) of this uid with no group or other permission bits."""
    return _is_private(os.fspath(folder))


def _read_pointer(pointer: Path) -> Path | None:
    text = read_pointer(os.fspath(pointer))  # the same check the quick commands make
    return Path(text) if text is not None else None


def _write_pointer(pointer: Path, folder: Path) -> None:
    """Replace the pointer atomically: a reader sees the old folder or the new, never half."""
    temp = pointer.with_name(f".{POINTER_NAME}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, os.fsencode(folder) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, pointer)


def private_temp_runtime_dir(app: str) -> Path:
    """The verified mkdtemp runtime folder named by this user's pointer; made if needed.

    Raises:
        VaultError: the state folder or a temp folder cannot be created.
    """
    state = state_dir(app)
    pointer = state / POINTER_NAME
    found = _read_pointer(pointer)
    if found is not None and is_private_folder(found):
        return found
    try:
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_fd = os.open(
            state / f"{POINTER_NAME}.lock",
            os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
    except OSError as exc:
        raise VaultError(f"Cannot create the state folder {state}: {exc.strerror}.") from None
    try:
        # Two commands starting at once must agree on one folder: the second re-reads.
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        found = _read_pointer(pointer)
        if found is not None and is_private_folder(found):
            return found
        try:
            folder = Path(tempfile.mkdtemp(prefix=f"{app}-"))
            _write_pointer(pointer, folder)
        except OSError as exc:
            raise VaultError(
                f"Cannot create a private runtime folder in {tempfile.gettempdir()}: "
                f"{exc.strerror}; set XDG_RUNTIME_DIR to a folder of your own."
            ) from None
        return folder
    finally:
        os.close(lock_fd)

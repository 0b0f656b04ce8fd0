"""Writing an export file: mode 0600, never through a symlink, never over someone else's file.

The file holds live tokens. It is created O_EXCL|O_NOFOLLOW with mode 0600 (and fchmod'ed,
so a lax umask cannot widen it); an existing file is replaced only when an earlier export
wrote it (``exporters.written_by_us``) or the user says ``--force``, and then through a fresh
0600 temp file renamed over it, so a reader never sees half a file and the old mode never
survives. A symlink or anything but a regular file is refused outright.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from vault.core.errors import UsageError
from vault.core.interchange.exporters import written_by_us
from vault.core.safefile import read_bounded

MAX_EXISTING = 4 * 1024 * 1024
"""An existing file larger than this is not one an export wrote."""

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _existing_is_ours(path: Path) -> bool:
    try:
        raw = read_bounded(path, "existing file", MAX_EXISTING, UsageError, follow=False)
    except UsageError:
        return False  # too large or unreadable: not ours
    try:
        return written_by_us(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def check_target(path: Path, force: bool) -> bool:
    """Whether ``path`` exists (and may be replaced); refuse what may not be."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        raise UsageError(f"Refusing to write {path}: it is a symbolic link; nothing was written.")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(
            f"Refusing to write {path}: it is not a regular file; nothing was written."
        )
    if not force and not _existing_is_ours(path):
        raise UsageError(
            f"{path} exists and was not written by tokenvault export; pass --force to "
            "overwrite it. Nothing was written."
        )
    return True


def _write_fd(fd: int, data: bytes) -> None:
    os.fchmod(fd, 0o600)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def write_export(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path`` as described above.

    Raises:
        UsageError: the target may not be written; nothing was.
    """
    replace = check_target(path, force)
    data = text.encode("utf-8")
    target = path if not replace else path.parent / f".{path.name}.tmp-{secrets.token_hex(6)}"
    try:
        fd = os.open(target, _CREATE, 0o600)
    except FileExistsError:
        # Someone created it between the check and now: do not touch it.
        raise UsageError(f"{path} appeared while exporting; nothing was written.") from None
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror}; nothing was written.") from None
    try:
        try:
            _write_fd(fd, data)
        finally:
            os.close(fd)
        if replace:
            os.replace(target, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise UsageError(f"Cannot write {path}: {exc.strerror}; nothing was written.") from None

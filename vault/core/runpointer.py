"""The runtime-folder pointer and the private-folder rule, in the standard library only.

The agent's wire path (vault.agent.wire, run before argparse by the quick commands) and the
core's runtime-folder lookup (vault.core.rundir) must trust exactly the same folder, so the rule
lives here once; it imports only ``os`` so the quick path stays lean.
"""

from __future__ import annotations

import os

_POINTER_LIMIT = 4096
"""How much of the pointer file (`vault.core.rundir`) is read: one absolute path."""


def is_private_folder(folder: str) -> bool:
    """A real folder (not a symlink) of this uid with no group or other permission bits."""
    try:
        info = os.lstat(folder)
    except (OSError, ValueError):
        return False
    return (
        (info.st_mode & 0o170000) == 0o040000
        and info.st_uid == os.getuid()
        and not (info.st_mode & 0o077)
    )


def read_pointer(pointer: str) -> str | None:
    """The absolute folder named in a pointer file this user wrote (`vault.core.rundir`)."""
    try:
        fd = os.open(pointer, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if (info.st_mode & 0o170000) != 0o100000 or info.st_uid != os.getuid():
            return None  # not a pointer this user wrote
        raw = os.read(fd, _POINTER_LIMIT)
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return text if text.startswith("/") else None

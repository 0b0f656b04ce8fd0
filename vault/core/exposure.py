"""Who else can reach the vault: one warning sentence for loose modes, as ssh and gpg give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_BITS = 0o066
"""Group or others may list the folder (learn the names) or write to it. Write is the threat:
even with the sticky bit (/tmp) another user can create the lock, backup or temp names first.
Search (x) alone is fine: that is how a 0711 home lets people reach their own files."""

FILE_BITS = 0o077
"""Any access by group or others to the vault or its backup (ssh refuses such a key file)."""


def exposure_warning(vault: Path) -> str | None:
    """One sentence naming what others can read or write, or None when all is private.

    tokenvault never changes the mode of a folder it did not create, so this is the only
    thing it does about a loose one: tell the owner, once, and keep working.
    """
    loose: list[str] = []
    folder = vault.parent
    folder_mode = _mode(folder)
    if folder_mode is not None and folder_mode & FOLDER_BITS:
        loose.append(f"the folder {folder} (mode {folder_mode & 0o7777:04o})")
    for path in (vault, vault.with_name(vault.name + ".bak")):
        mode = _mode(path)
        if mode is not None and mode & FILE_BITS:
            loose.append(f"{path} (mode {mode & 0o7777:04o})")
    if not loose:
        return None
    return (
        f"Warning: other users can read or write {' and '.join(loose)}; "
        f"keep the vault in a folder only you can use (chmod 700) and its files chmod 600."
    )


def _mode(path: Path) -> int | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return None  # the vault refuses symlinks itself, with its own sentence
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return None  # a FIFO or device is refused as the vault, not warned about
    return info.st_mode

"""The token file of ``exec --watch``: a 0600 file a long-running child re-reads, replaced whole.

The file lives in a folder of its own (``mkdtemp``: 0700, a name nobody can guess) inside the
private runtime folder, beside an ``expires_at`` file. Each write goes to a fresh temp file
opened O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, is fsynced, then ``os.replace``d over the
old one: a reader sees the old token or the new one, never half of either, and nothing can
plant a symlink for us to write the token through.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from datetime import datetime
from pathlib import Path

from vault.core.clock import iso
from vault.core.errors import VaultError
from vault.core.paths import ensure_private_dir, runtime_dir
from vault.core.rundir import is_private_folder
from vault.core.safefile import replace_with_new

TOKEN_NAME = "token"
EXPIRES_NAME = "expires_at"


def expiry_text(expires_at: datetime | None) -> str:
    """ISO-8601 UTC in whole seconds (``2025-01-31T12:00:00Z``), or "" for no known expiry."""
    if expires_at is None:
        return ""
    return iso(expires_at.replace(microsecond=0)) or ""


def private_runtime_folder() -> Path:
    """The runtime folder, created 0700 and checked to be a real folder of this user.

    The agent's own check (``vault.agent.location``) also demands room for a socket name;
    a token file has no such limit, so a long ``XDG_RUNTIME_DIR`` is fine here.

    Raises:
        VaultError: it is another user's, a symlink, or cannot be made private.
    """
    folder = runtime_dir()
    refusal = VaultError(
        f"The runtime folder {folder} is not a private folder of this user; refusing to put "
        "a token file there."
    )
    # Checked before chmod: in a shared temp folder someone else may have made it (or a
    # symlink) first, and tightening would act on their folder.
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise refusal
    try:
        ensure_private_dir(folder)
    except OSError as exc:
        raise VaultError(f"Cannot create the runtime folder {folder}: {exc.strerror}.") from None
    if not is_private_folder(folder):
        raise refusal
    return folder


class TokenFile:
    """One run's token file. ``write`` replaces it; ``remove`` deletes it and its folder.

    Args:
        parent: a private (0700, this user's) folder, e.g. the agent's runtime folder.
    """

    def __init__(self, parent: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="exec-", dir=parent))
        self.path = self.folder / TOKEN_NAME
        """What ``TOKENVAULT_TOKEN_FILE`` names: the token and nothing else, so `cat` works."""
        self.expires_path = self.folder / EXPIRES_NAME
        """What ``TOKENVAULT_EXPIRES_FILE`` names: the expiry of the token in ``path``."""

    def __repr__(self) -> str:
        return f"TokenFile({str(self.path)!r})"  # the path only: never the token

    def write(self, value: str, expires_at: datetime | None) -> None:
        """Replace the token, then its expiry.

        In that order a reader that does not wait for the signal may briefly pair the new
        token with the old (earlier) expiry, which errs on the safe side; never the reverse.
        """
        self._replace(self.path, value.encode("ascii"))
        self._replace(self.expires_path, (expiry_text(expires_at) + "\n").encode("ascii"))

    def _replace(self, dest: Path, data: bytes) -> None:
        temp = self.folder / f".{dest.name}.{secrets.token_hex(8)}.tmp"
        replace_with_new(temp, dest, data, 0o600)
        # The rename itself must survive a crash too, or a reader could find the old token.
        folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def remove(self) -> None:
        """Delete the files and the folder; safe to call twice."""
        if not self.folder.is_dir():
            return
        for entry in os.listdir(self.folder):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.folder / entry)
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(self.folder)

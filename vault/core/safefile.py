"""Files named by the user (vault, secret, passphrase, config): regular files only, bounded reads,
and a config write that goes through a fresh temp file and keeps a symlink a symlink."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from vault.core.errors import VaultError

_READ_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def open_regular(
    path: Path, what: str, error: type[VaultError] = VaultError, *, follow: bool = True
) -> int:
    """A read-only fd on ``path``, refused at once unless it is a regular file.

    A FIFO, ``/dev/zero`` or a terminal would otherwise be read forever (or block in open):
    O_NONBLOCK makes opening a FIFO return immediately, and fstat on the opened fd (not a
    stat of the name, which could be swapped in between) decides.

    Args:
        what: how the sentence names the file ("secret file", "config file", ...).
        error: the error class to raise (UsageError for a flag's file, ConfigError, ...).
        follow: False adds O_NOFOLLOW (the vault is never opened through a symlink).

    Raises:
        error: with one sentence naming the file; FileNotFoundError is left to the caller.
    """
    flags = _READ_FLAGS | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise error(f"Refusing to open the {what} {path}: it is a symbolic link.") from None
        raise error(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise error(f"Cannot read the {what} {path}: {os.strerror(errno.EISDIR)}.")
        if not stat.S_ISREG(mode):
            raise error(
                f"Refusing to read the {what} {path}: it is {_kind(mode)}, not a regular file."
            )
        # Regular files ignore O_NONBLOCK, but clear it so nothing later is surprised by it.
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(
    path: Path, what: str, limit: int, error: type[VaultError] = VaultError, *, follow: bool = True
) -> bytes:
    """The whole regular file, refused with one sentence when it is larger than ``limit``."""
    fd = open_regular(path, what, error, follow=follow)
    try:
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    if len(raw) > limit:
        raise error(too_large(what, path, limit))
    return raw


def too_large(what: str, where: object, limit: int) -> str:
    """The one refusal sentence for input over its cap (files and stdin say the same)."""
    return f"The {what} {where} is larger than {limit} bytes; it was not used."


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def write_through(path: Path, data: bytes, what: str, error: type[VaultError] = VaultError) -> None:
    """Replace the file at ``path`` (or, when it is a symlink, the file it points to).

    A dotfiles user keeps ``config.toml`` as a link into a repository: writing a temp file
    beside the link and renaming it over the link would silently turn the link into a plain
    file. So the temp file goes beside the link's resolved target, is created O_EXCL|
    O_NOFOLLOW (nobody can pre-plant it or point it elsewhere), fsynced, and renamed onto the
    target. A dangling or looping link gets one sentence and nothing is written.
    """
    target = _resolve_target(path, what, error)
    tmp = target.parent / f".{target.name}.tmp-{os.urandom(6).hex()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # keep the user's chosen mode
        except FileNotFoundError:
            mode = 0o600
        replace_with_new(tmp, target, data, mode)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise error(f"Cannot write the {what} {path}: {exc.strerror or exc}.") from None


def replace_with_new(temp: Path, dest: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a fresh file ``temp`` (mode ``mode``), fsync it, rename it onto ``dest``.

    ``temp`` is opened O_CREAT|O_EXCL|O_NOFOLLOW, so nobody can pre-plant it or point it at
    another file for us to write through; a reader of ``dest`` sees the old bytes or the new
    ones, never half of either. If anything fails once ``temp`` exists, it is removed and the
    error re-raised.
    """
    fd = os.open(temp, _CREATE_NEW, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _resolve_target(path: Path, what: str, error: type[VaultError]) -> Path:
    if not path.is_symlink():
        return path
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 raises this for a symlink loop
        raise error(
            f"The {what} {path} is a symbolic link that loops; nothing was written."
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(
                f"The {what} {path} is a symbolic link that loops; nothing was written."
            ) from None
        raise error(
            f"The {what} {path} is a symbolic link to a missing file "
            f"({os.readlink(path)}); nothing was written."
        ) from None
    if not target.is_file():
        raise error(f"The {what} {path} links to {target}, which is not a regular file.")
    return target

"""The vault file on disk: unlock, locked read-modify-write, atomic durable saves, backup."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from vault.core import crypto, format
from vault.core.crypto import KdfParams
from vault.core.errors import (
    SaveFailed,
    VaultError,
    VaultExists,
    VaultLocked,
    VaultNotFound,
)
from vault.core.format import Header
from vault.core.hardening import disable_core_dumps
from vault.core.model import VaultData
from vault.core.paths import ensure_private_dir
from vault.core.safefile import open_regular

# Everything the vault writes is for its owner only (pass: `umask 077`; rbw: 0700 folders).
FILE_MODE = 0o600
LOCK_TIMEOUT = 10.0
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def lock_path(path: Path) -> Path:
    # A separate lock file: os.replace swaps the vault's inode, so a lock on the vault itself
    # would be held on a file that is no longer the vault.
    return path.with_name(path.name + ".lock")


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def pre_restore_path(path: Path) -> Path:
    """The version a restore is replacing, under a name the temp-file cleanup never deletes.

    It exists only while ``restore_backup`` runs, or after one was killed: then it is the
    only copy of the vault as it was before the restore (FORMAT.md, "Files beside the vault").
    """
    return path.with_name(path.name + ".pre-restore")


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-"


def _open_vault(path: Path) -> int:
    """A read-only fd on the vault: never through a symlink planted at its path, and never a
    FIFO or device (``--vault /dev/zero`` is refused at once instead of read forever)."""
    try:
        return open_regular(path, "vault", VaultError, follow=False)
    except FileNotFoundError as exc:
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        ) from exc


def read_file(path: Path) -> bytes:
    """Read a whole vault file."""
    blob = read_if_changed(path, None)
    assert blob is not None
    return blob


def read_if_changed(path: Path, header: bytes | None) -> bytes | None:
    """The whole file, or None when it still starts with ``header`` (the version the caller
    holds): then the payload, 24 MB at 10,000 credentials, is not read at all."""
    fd = _open_vault(path)
    try:
        with os.fdopen(fd, "rb") as fh:
            if header is None:
                return fh.read()
            head = fh.read(len(header))
            return None if head == header else head + fh.read()
    except OSError as exc:  # a directory, an unreadable device, an I/O error
        raise VaultError(f"Cannot read the vault at {path}: {exc.strerror}.") from exc


def flock_within(fd: int, timeout: float, poll: float = 0.005) -> bool:
    """Take an exclusive flock on ``fd``, waiting at most ``timeout`` seconds; False if not.

    Polling with LOCK_NB rather than a blocking flock keeps every wait bounded: a stuck
    holder must turn into a sentence for the user, not a hang.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(poll)


@contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive flock on the vault's lock file, waiting at most ``timeout`` seconds."""
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | _NOFOLLOW, FILE_MODE)
    try:
        if not flock_within(fd, timeout):
            raise VaultLocked(
                f"Another tokenvault process has held the vault lock for over "
                f"{timeout:.0f} s; try again when it finishes."
            )
        _remove_stale_temps(path)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _remove_stale_temps(path: Path) -> None:
    # Under the lock no save is in progress, so any temp file left is from a crashed writer.
    prefix = _temp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            with suppress(OSError):
                os.unlink(path.parent / name)


def write_atomic(path: Path, blob: bytes, keep_backup: bool = True) -> None:
    """Replace ``path`` with ``blob`` atomically and durably; call with the lock held.

    Temp file in the same folder (created 0600 before any byte), fsync, backup link of the
    current version, os.replace, fsync of the folder. Any failure (a full disk included)
    removes the temp file and leaves the old vault untouched.
    """
    tmp: Path | None = None
    try:
        tmp = _write_temp(path, blob)
        if keep_backup and os.path.lexists(path):
            _link_as(path, backup_path(path), path)
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except OSError as exc:
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)
        raise SaveFailed(
            f"Could not save the vault ({exc.strerror or exc}); the vault on disk is unchanged."
        ) from exc


def _write_temp(path: Path, blob: bytes) -> Path:
    """A new temp file beside ``path`` holding ``blob``, created 0600 before any byte, fsynced."""
    tmp = path.parent / f"{_temp_prefix(path)}{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
    try:
        view = memoryview(blob)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _fsync_folder(folder: Path) -> None:
    # The renames are durable only once the folder itself is on disk.
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _link_as(source: Path, dest: Path, vault: Path) -> None:
    """Make ``dest`` another name of ``source``'s current version, atomically.

    A hard link keeps the version without copying it; linking to a temp name first and
    renaming it over ``dest`` means ``dest`` is at every instant either its old file or the
    new one (a crash leaves at most a temp name, which the next lock removes).
    """
    # Named as a temp file of ``vault``, so the next lock removes it if we are killed here.
    staging = vault.parent / f"{_temp_prefix(vault)}link-{os.urandom(4).hex()}"
    try:
        os.link(source, staging, follow_symlinks=False)
    except OSError:
        with open(source, "rb") as src:
            data = src.read()
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "wb") as dst:
            dst.write(data)
            dst.flush()
            os.fsync(dst.fileno())
    os.replace(staging, dest)
    # rename() is a no-op when both names already link the same inode (a save killed between
    # the backup link and the replace leaves the backup equal to the vault): drop the staging
    # name ourselves.
    with suppress(FileNotFoundError):
        os.unlink(staging)


class VaultStore:
    """An unlocked vault: holds the data key and the latest content this handle saw.

    The key-encryption key is used once, to unwrap the data key; saves re-encrypt with the
    data key only, so they never re-run Argon2.
    """

    def __init__(self, path: Path, data_key: bytes, header: Header, data: VaultData) -> None:
        self.path = path
        self._data_key: bytes | None = data_key
        self._header = header
        self.data = data
        self._seen: bytes | None = None
        """Header bytes of the file version ``data`` came from (None: re-read next time)."""

    def __repr__(self) -> str:
        return f"VaultStore(path={str(self.path)!r}, credentials={len(self.data.credentials)})"

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: Path, passphrase: str, kdf: KdfParams | None = None, *, force: bool = False
    ) -> VaultStore:
        """Make a new empty vault; refuses to overwrite one unless ``force``."""
        kdf = kdf or KdfParams.default()
        kdf.check()
        path = Path(path)
        # Only folders made here become 0700: the user's own folder keeps its mode.
        ensure_private_dir(path.parent, tighten_existing=False)
        disable_core_dumps()
        data_key = crypto.random_bytes(crypto.KEY_BYTES)
        header = _new_wrap(passphrase, data_key, kdf)
        store = cls(path, data_key, header, VaultData())
        with file_lock(path):
            if os.path.lexists(path) and not force:
                raise VaultExists(f"A vault already exists at {path}; it was left untouched.")
            store._save_locked(store.data, keep_backup=force)
        return store

    @classmethod
    def unlock(cls, path: Path, passphrase: str, blob: bytes | None = None) -> VaultStore:
        """Open a vault with its passphrase (runs Argon2id once); ``blob``: bytes already read."""

        def unwrap(blob: bytes, header: Header) -> bytes:
            kek = crypto.derive_kek(passphrase, header.salt, header.kdf)
            return format.unwrap_key(header, blob, kek)

        return cls._open(Path(path), unwrap, blob)

    @classmethod
    def from_key(cls, path: Path, data_key: bytes) -> VaultStore:
        """Open with an already-unwrapped data key (the agent holds one); no KDF."""
        return cls._open(Path(path), lambda blob, header: data_key)

    @classmethod
    def _open(
        cls, path: Path, key_for: Callable[[bytes, Header], bytes], blob: bytes | None = None
    ) -> VaultStore:
        blob = read_file(path) if blob is None else blob
        header = format.parse_header(blob)
        data_key = key_for(blob, header)
        disable_core_dumps()
        store = cls(path, data_key, header, format.decrypt_payload(blob, header, data_key))
        store._seen = blob[: format.HEADER_SIZE]
        return store

    @property
    def data_key(self) -> bytes:
        if self._data_key is None:
            raise VaultError("The vault is locked; unlock it again.")
        return self._data_key

    @property
    def kdf(self) -> KdfParams:
        return self._header.kdf

    # -- reading and writing ---------------------------------------------------------------

    def reload(self) -> VaultData:
        """Re-read the file with the held data key (no KDF) and keep the result."""
        # Same save as last time when the header matches (it holds that save's random nonce
        # and checksum): skip reading, decrypting and parsing the payload.
        blob = read_if_changed(self.path, self._seen)
        if blob is None:
            return self.data
        raw_header = blob[: format.HEADER_SIZE]
        self._header = format.parse_header(blob)
        self.data = format.decrypt_payload(blob, self._header, self.data_key)
        self._seen = raw_header
        return self.data

    @contextmanager
    def transaction(self) -> Iterator[VaultData]:
        """Lock, load the latest file, yield it for changes, then save atomically.

        Each change is applied to the newest content, so two processes (the TUI and a CLI
        call) never lose each other's updates. An exception inside the block saves nothing.
        """
        with file_lock(self.path):
            data = self.reload()
            try:
                yield data
            except BaseException:
                self._seen = None  # `data` may be half-changed: re-read it next time
                raise
            self._save_locked(data)

    def _save_locked(self, data: VaultData, keep_backup: bool = True) -> None:
        data.generation += 1
        blob = format.encode(data, self.data_key, self._header)
        try:
            write_atomic(self.path, blob, keep_backup=keep_backup)
        except BaseException:
            self._seen = None
            raise
        self._header = format.parse_header(blob)
        self._seen = blob[: format.HEADER_SIZE]
        self.data = data

    def change_passphrase(
        self, new_passphrase: str, kdf: KdfParams | None = None, *, rotate_key: bool = False
    ) -> None:
        """Re-wrap the data key under a new salt and passphrase (and optionally cost).

        A passphrase is usually changed because the old one may be known, so no file this
        tool keeps may still open with it, even if the process is killed part way: the
        re-wrapped file becomes the backup and the ``.pre-restore`` copy is dropped *before*
        it becomes the vault. Until that last rename the vault still opens with the old
        passphrase; after it, every kept file opens with the new one only.
        ``rotate_key`` also draws a new data key and re-encrypts the payload, so a copy of an
        old file taken elsewhere plus the old passphrase no longer decrypts future versions
        (an agent holding the old key stops working and must be unlocked again).
        """
        kdf = kdf or self._header.kdf
        kdf.check()
        with file_lock(self.path):
            data = self.reload()
            old_key, old_header = self._data_key, self._header
            key = crypto.random_bytes(crypto.KEY_BYTES) if rotate_key else self.data_key
            header = _new_wrap(new_passphrase, key, kdf)
            data.generation += 1
            blob = format.encode(data, key, header)
            tmp: Path | None = None
            try:
                tmp = _write_temp(self.path, blob)
                _link_as(tmp, backup_path(self.path), self.path)
                with suppress(FileNotFoundError):
                    os.unlink(pre_restore_path(self.path))
                os.replace(tmp, self.path)
                _fsync_folder(self.path.parent)
            except OSError as exc:
                if tmp is not None:
                    with suppress(OSError):
                        os.unlink(tmp)
                self._data_key, self._header, self._seen = old_key, old_header, None
                raise SaveFailed(
                    f"Could not change the passphrase ({exc.strerror or exc}); the vault still "
                    "opens with the old one."
                ) from exc
            self._data_key, self._header = key, format.parse_header(blob)
            self._seen = blob[: format.HEADER_SIZE]
            self.data = data

    def close(self) -> None:
        """Drop the keys and decrypted data (Python cannot promise the memory is wiped)."""
        self._data_key = None
        self._seen = None
        self.data = VaultData()


def _new_wrap(passphrase: str, data_key: bytes, kdf: KdfParams) -> Header:
    salt = crypto.random_bytes(crypto.SALT_BYTES)
    kek = crypto.derive_kek(passphrase, salt, kdf)
    nonce, wrapped = format.wrap_key(kek, data_key, kdf, salt)
    return Header(kdf, salt, nonce, wrapped, bytes(12), 0)


def restore_backup(path: Path, passphrase: str) -> VaultStore:
    """Put the backup back in place after checking the passphrase opens it.

    The current file becomes the new backup, so a restore can itself be undone. Swapping two
    names takes a third: the current version is first linked as ``.pre-restore`` (a name the
    temp cleanup keeps), so a kill at any step leaves the version being restored in the vault
    or the backup, and the replaced version in the vault, ``.pre-restore`` or the backup.
    """
    path = Path(path)
    bak = backup_path(path)
    undo = pre_restore_path(path)
    if not os.path.lexists(bak):
        raise VaultNotFound(f"No backup at {bak}; nothing was changed.")
    with file_lock(path):
        # One read, checked and written under the lock: a save in between cannot make us put
        # back a different file from the one the passphrase was checked against.
        blob = read_file(bak)
        restored = VaultStore.unlock(path, passphrase, blob=blob)
        tmp: Path | None = None
        try:
            if os.path.lexists(path):
                _link_as(path, undo, path)
            tmp = _write_temp(path, blob)
            os.replace(tmp, path)
            if os.path.lexists(undo):
                os.replace(undo, bak)
                # A no-op when both already name one inode (a restore right after passwd).
                with suppress(FileNotFoundError):
                    os.unlink(undo)
            _fsync_folder(path.parent)
        except OSError as exc:
            if tmp is not None:
                with suppress(OSError):
                    os.unlink(tmp)
            raise SaveFailed(
                f"Could not restore the backup ({exc.strerror or exc}); {bak} is kept."
            ) from exc
    return restored

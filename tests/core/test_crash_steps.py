"""`passwd` and `restore-backup` killed (SIGKILL) before and after every file-system step.

A random-time kill (test_crash_and_concurrency.py) rarely lands between two renames; here a
forked child wraps os.replace/os.link/os.fsync/os.rename/os.unlink, counts the calls the real
store code makes and kills itself just before or just after call N, for every N until the
operation finishes without reaching N. After each kill the parent plays "the next command"
(taking the lock, which deletes leftover temp files) and checks the promises with the real
store code.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core.conftest import PASSPHRASE, make_credential
from vault.core.errors import WrongPassphrase
from vault.core.store import (
    VaultStore,
    backup_path,
    file_lock,
    pre_restore_path,
    restore_backup,
)

CTX = mp.get_context("fork")  # the child inherits the imports: a step costs milliseconds
WRAPPED = ("replace", "link", "fsync", "rename", "unlink")
NEW = "a brand new passphrase"


def _killed_at(op: Callable[[], None], n: int, when: str, log: Path | None) -> None:
    """Child: run ``op`` with the file-system calls wrapped; SIGKILL around call ``n``."""
    calls: list[str] = []

    def wrap(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def step(*args: object, **kwargs: object) -> object:
            calls.append(name)
            if len(calls) == n and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            try:
                return real(*args, **kwargs)
            finally:  # a call that failed (unlinking a missing name) still happened
                if len(calls) == n and when == "after":
                    os.kill(os.getpid(), signal.SIGKILL)

        return step

    for name in WRAPPED:
        setattr(os, name, wrap(name, getattr(os, name)))
    op()
    if log is not None:
        log.write_text(" ".join(calls))


def _run_child(op: Callable[[], None], n: int, when: str, log: Path | None = None) -> int:
    child = CTX.Process(target=_killed_at, args=(op, n, when, log))
    child.start()
    child.join(30)
    if child.exitcode is None:
        child.kill()
        pytest.fail(f"the operation hung (call {n}, {when})")
    return child.exitcode


def _every_step(
    op: Callable[[], None],
    check: Callable[[str], None],
    reset: Callable[[], None],
    log: Path,
) -> list[str]:
    """Kill before and after each call in turn; ``check(label)`` after each kill.

    Returns the names of the calls the finished operation made.
    """
    reset()
    assert _run_child(op, 0, "never", log) == 0
    names = log.read_text().split()
    assert {"replace", "fsync", "link"} <= set(names), names  # the wrappers saw the store
    n = 1
    while True:
        for when in ("before", "after"):
            reset()
            code = _run_child(op, n, when)
            if code == 0:
                assert n == len(names) + 1 and when == "before", (n, when, names)
                return names
            assert code == -signal.SIGKILL, (n, when, code)
            check(f"killed {when} call {n} ({names[n - 1]}) of {names}")
        n += 1


def _next_command(vault: Path) -> list[Path]:
    """What any next save or restore does first: take the lock, which clears temp files.

    Returns the files that are kept afterwards (everything but the empty lock file).
    """
    with file_lock(vault):
        pass
    kept = [p for p in vault.parent.iterdir() if not p.name.endswith(".lock")]
    assert not [p.name for p in kept if ".tmp-" in p.name]
    return kept


def _names(path: Path, passphrase: str) -> frozenset[str] | None:
    """The credential names in ``path``, or None when ``passphrase`` does not open it."""
    try:
        return frozenset(VaultStore.unlock(path, passphrase).data.credentials)
    except WrongPassphrase:
        return None


@pytest.fixture
def steps_tmp(tmp_path: Path) -> Path:
    """Outside the vault folder: the seed copy and the child's call log."""
    folder = tmp_path / "steps"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("rotate_key", [False, True], ids=["rewrap", "rotate-key"])
def test_passwd_killed_at_any_step_keeps_the_vault_and_no_old_passphrase_file(
    store: VaultStore, vault_path: Path, steps_tmp: Path, rotate_key: bool
) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    with store.transaction() as data:
        data.credentials["b"] = make_credential("b")
    # A restore killed earlier left its copy of the old version: it opens with the old
    # passphrase too, so passwd must not leave it behind either.
    shutil.copy(vault_path, pre_restore_path(vault_path))
    seed = steps_tmp / "seed"
    seed.mkdir()
    for path in vault_path.parent.iterdir():
        shutil.copy2(path, seed / path.name)
    expected = frozenset({"a", "b"})

    def reset() -> None:
        shutil.rmtree(vault_path.parent)
        shutil.copytree(seed, vault_path.parent)

    def op() -> None:
        VaultStore.unlock(vault_path, PASSPHRASE).change_passphrase(NEW, rotate_key=rotate_key)

    def check(label: str) -> None:
        kept = _next_command(vault_path)
        old, new = _names(vault_path, PASSPHRASE), _names(vault_path, NEW)
        assert expected in (old, new), label  # the vault opens, with everything in it
        if new is not None:
            # The new passphrase is in force: no kept file may still open with the old one.
            opens_old = [p.name for p in kept if _names(p, PASSPHRASE) is not None]
            assert not opens_old, (label, opens_old)

    _every_step(op, check, reset, steps_tmp / "calls.txt")
    reset()
    op()  # done in full: only the vault and its backup remain, both on the new passphrase
    kept = _next_command(vault_path)
    assert sorted(p.name for p in kept) == sorted([vault_path.name, backup_path(vault_path).name])
    for path in kept:
        assert _names(path, PASSPHRASE) is None and _names(path, NEW) == expected


def test_restore_killed_at_any_step_never_loses_a_version(
    store: VaultStore, vault_path: Path, steps_tmp: Path
) -> None:
    with store.transaction() as data:
        data.credentials["restored-version"] = make_credential("restored-version")
    with store.transaction() as data:
        data.credentials.clear()
        data.credentials["current-version"] = make_credential("current-version")
    restored, current = frozenset({"restored-version"}), frozenset({"current-version"})
    seed = steps_tmp / "seed"
    seed.mkdir()
    for path in vault_path.parent.iterdir():
        shutil.copy2(path, seed / path.name)

    def reset() -> None:
        shutil.rmtree(vault_path.parent)
        shutil.copytree(seed, vault_path.parent)

    def op() -> None:
        restore_backup(vault_path, PASSPHRASE)

    def check(label: str) -> None:
        kept = _next_command(vault_path)
        in_vault = _names(vault_path, PASSPHRASE)
        assert in_vault in (restored, current), label  # the vault opens
        versions = [_names(p, PASSPHRASE) for p in kept]
        # The version being restored is in a kept file, so running the restore again works;
        # the version it replaces is not lost either (in the vault, the backup or .pre-restore).
        assert restored in versions, (label, [p.name for p in kept])
        assert current in versions, (label, [p.name for p in kept])
        if in_vault == current:
            assert _names(backup_path(vault_path), PASSPHRASE) == restored, label

    _every_step(op, check, reset, steps_tmp / "calls.txt")
    reset()
    op()
    kept = _next_command(vault_path)
    assert sorted(p.name for p in kept) == sorted([vault_path.name, backup_path(vault_path).name])
    assert _names(vault_path, PASSPHRASE) == restored
    assert _names(backup_path(vault_path), PASSPHRASE) == current


def test_restore_right_after_passwd_leaves_no_pre_restore_copy(
    store: VaultStore, vault_path: Path
) -> None:
    # After passwd the vault and the backup are one inode: renaming one name of it over the
    # other does nothing, so the restore must drop the .pre-restore name itself.
    store.change_passphrase(NEW)
    restore_backup(vault_path, NEW)
    assert not pre_restore_path(vault_path).exists()
    assert isinstance(VaultStore.unlock(vault_path, NEW), VaultStore)

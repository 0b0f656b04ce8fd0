"""Trust at the edges, on real files: folder modes left alone, FIFOs and devices refused at
once, config writes through fresh temp files that keep a symlink a symlink."""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.core.conftest import PASSPHRASE
from vault.core.config import load_config, save_theme
from vault.core.crypto import KdfParams
from vault.core.errors import ConfigError, UsageError
from vault.core.exposure import exposure_warning
from vault.core.passphrase import read_secret_file, read_secret_stream
from vault.core.store import VaultStore

CTX = mp.get_context("fork")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- folder modes: only what tokenvault creates is made 0700 ---------------------------------


@pytest.mark.parametrize(
    "mode",
    [0o1777, 0o2775, 0o755],
    ids=["sticky-tmp", "setgid-project", "plain-home"],
)
def test_init_never_changes_a_folder_it_did_not_create(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)  # chmod, not mkdir(mode=): the umask must not take bits away
    VaultStore.create(shared / "v.tvault", PASSPHRASE, KdfParams.cheap())
    assert _mode(shared) == mode
    assert _mode(shared / "v.tvault") == 0o600
    warning = exposure_warning(shared / "v.tvault")
    assert warning is not None and str(shared) in warning and f"{mode:04o}" in warning
    assert warning.count(".") <= 3 and "\n" not in warning  # one sentence


def test_folders_tokenvault_creates_are_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        VaultStore.create(tmp_path / "a" / "b" / "v.tvault", PASSPHRASE, KdfParams.cheap())
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o700 and _mode(tmp_path / "a" / "b") == 0o700
    assert exposure_warning(tmp_path / "a" / "b" / "v.tvault") is None


def test_a_vault_file_others_can_read_is_named(store: VaultStore, vault_path: Path) -> None:
    assert exposure_warning(vault_path) is None
    os.chmod(vault_path, 0o644)
    warning = exposure_warning(vault_path)
    assert warning is not None and str(vault_path) in warning and "0644" in warning


def test_a_search_only_folder_is_not_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    folder.mkdir(exist_ok=True)
    os.chmod(folder, 0o711)  # others may pass through to their own files, not list ours
    VaultStore.create(folder / "v.tvault", PASSPHRASE, KdfParams.cheap())
    assert exposure_warning(folder / "v.tvault") is None


# -- FIFOs and devices are refused at once, never read forever -------------------------------


def _child(fn: Callable[[], object], conn: object) -> None:
    # A regression that reads /dev/zero to its end must hit a wall, not this machine's memory.
    if os.path.exists("/proc/self/statm"):  # Linux; elsewhere the 5 s timeout alone
        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = (size + 256 * 1024 * 1024, resource.RLIM_INFINITY)
        resource.setrlimit(resource.RLIMIT_AS, limit)
    try:
        fn()
        conn.send(("returned", ""))  # type: ignore[attr-defined]
    except Exception as exc:  # the sentence is what is checked
        conn.send((type(exc).__name__, str(exc)))  # type: ignore[attr-defined]


def within(seconds: float, fn: Callable[[], object]) -> tuple[str, str]:
    """Run ``fn`` in a forked child: (exception class, message), or fail if it hangs.

    A child, not a thread: a read of /dev/zero that never ends would otherwise fill this
    process's memory, and a blocked open() cannot be interrupted from another thread.
    """
    parent, child_end = CTX.Pipe(duplex=False)
    child = CTX.Process(target=_child, args=(fn, child_end))
    child.start()
    try:
        if not parent.poll(seconds):
            pytest.fail(f"still reading after {seconds} s: a hang, not a refusal")
        return parent.recv()  # type: ignore[no-any-return]
    finally:
        child.kill()
        child.join(5)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_a_fifo_as_the_vault_is_refused(fifo: Path) -> None:
    kind, message = within(5, lambda: VaultStore.unlock(fifo, PASSPHRASE))
    assert kind == "VaultError" and str(fifo) in message and "FIFO" in message


def test_dev_zero_as_the_vault_is_refused() -> None:
    kind, message = within(5, lambda: VaultStore.unlock(Path("/dev/zero"), PASSPHRASE))
    assert kind == "VaultError" and "/dev/zero" in message and "not a regular file" in message


@pytest.mark.parametrize("what", ["passphrase", "secret", "private key"])
def test_a_fifo_or_device_as_a_secret_file_is_refused(fifo: Path, what: str) -> None:
    for path in (fifo, Path("/dev/zero")):
        kind, message = within(5, lambda p=path: read_secret_file(p, what))  # type: ignore[misc]
        assert kind == "UsageError", message
        assert f"{what} file {path}" in message and "not a regular file" in message


@pytest.mark.parametrize("name", ["pipe", "/dev/zero"])
def test_a_fifo_or_device_as_the_config_is_refused(fifo: Path, name: str) -> None:
    path = fifo if name == "pipe" else Path(name)
    kind, message = within(5, lambda: load_config(path))
    assert kind == "ConfigError" and str(path) in message and "not a regular file" in message


def test_an_oversized_config_is_refused_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "config.toml"
    big.write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big)


# -- secrets over the cap are refused, never stored cut off ----------------------------------


def test_stdin_over_the_cap_is_refused_with_the_file_sentence(tmp_path: Path) -> None:
    from vault.core.passphrase import MAX_FILE_BYTES

    big = tmp_path / "secret"
    big.write_bytes(b"s" * (MAX_FILE_BYTES + 1))
    with pytest.raises(UsageError) as from_file:
        read_secret_file(big, "secret")
    with big.open("rb") as stream, pytest.raises(UsageError) as from_stdin:
        read_secret_stream(stream, "secret")
    assert str(from_file.value) == (
        f"The secret file {big} is larger than {MAX_FILE_BYTES} bytes; it was not used."
    )
    assert str(from_stdin.value) == (
        f"The secret on standard input is larger than {MAX_FILE_BYTES} bytes; it was not used."
    )
    exact = tmp_path / "exact"
    exact.write_bytes(b"s" * MAX_FILE_BYTES)
    with exact.open("rb") as stream:
        assert read_secret_stream(stream, "secret") == "s" * MAX_FILE_BYTES


# -- config writes: fresh temp file, symlinks kept -------------------------------------------


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "tokenvault.toml"
    real.write_text("# mine\n[clipboard]\ntimeout = 5\n")
    os.chmod(real, 0o640)
    link = tmp_path / "config" / "tokenvault" / "config.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    save_theme("nord", link)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == '# mine\ntheme = "nord"\n[clipboard]\ntimeout = 5\n'
    assert _mode(real) == 0o640
    assert load_config(link).theme == "nord"
    assert sorted(p.name for p in dotfiles.iterdir()) == ["tokenvault.toml"]  # no temp left


def test_a_planted_temp_name_is_never_written_through(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    # The fixed temp names a writer might use, each a symlink to another file of the user.
    for name in ("config.toml.tmp", ".config.toml.tmp", "config.tmp"):
        (tmp_path / name).symlink_to(victim)
    save_theme("nord", config)
    assert victim.read_text() == "precious\n"
    assert config.read_text() == 'theme = "nord"\n' and not config.is_symlink()


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_broken_config_symlink_is_one_sentence(tmp_path: Path, kind: str) -> None:
    link = tmp_path / "config.toml"
    if kind == "dangling":
        link.symlink_to(tmp_path / "gone" / "config.toml")
    else:
        other = tmp_path / "other.toml"
        other.symlink_to(link)
        link.symlink_to(other)
    with pytest.raises(ConfigError) as info:
        save_theme("nord", link)
    assert str(link) in str(info.value) and "\n" not in str(info.value)
    assert link.is_symlink()  # left as it was
    assert not (tmp_path / "gone").exists()

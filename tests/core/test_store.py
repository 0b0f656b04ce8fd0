"""The vault store on real files with real crypto: round trips, errors, permissions, safety."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.core.conftest import PASSPHRASE, make_credential
from vault.core import format
from vault.core.crypto import KdfParams
from vault.core.errors import (
    UnsupportedFormat,
    VaultCorrupted,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongPassphrase,
)
from vault.core.store import VaultStore, backup_path, lock_path, restore_backup


def test_round_trip_keeps_every_field(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a", token="TOKEN-VALUE-1234")
        data.credentials["a"].record("generated", "by test")
    reopened = VaultStore.unlock(vault_path, PASSPHRASE)
    original = store.data.credentials["a"].to_dict()
    assert reopened.data.credentials["a"].to_dict() == original
    assert reopened.data.generation == store.data.generation == 2


def test_wrong_passphrase_is_named(store: VaultStore, vault_path: Path) -> None:
    with pytest.raises(WrongPassphrase):
        VaultStore.unlock(vault_path, PASSPHRASE + "x")


def test_missing_vault_is_named(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFound):
        VaultStore.unlock(tmp_path / "nope.tvault", PASSPHRASE)


def test_create_refuses_to_overwrite(store: VaultStore, vault_path: Path) -> None:
    before = vault_path.read_bytes()
    with pytest.raises(VaultExists):
        VaultStore.create(vault_path, "other", KdfParams.cheap())
    assert vault_path.read_bytes() == before


def test_files_are_private(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    for path in (vault_path, backup_path(vault_path), lock_path(vault_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(vault_path.parent.stat().st_mode) == 0o700


def test_saving_does_not_rerun_the_kdf(store: VaultStore, vault_path: Path) -> None:
    salt_before = vault_path.read_bytes()[24:40]
    nonce_before = vault_path.read_bytes()[100:112]
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    blob = vault_path.read_bytes()
    assert blob[24:40] == salt_before  # same wrap: no new KDF output was needed
    assert blob[100:112] != nonce_before  # a fresh payload nonce on every save


def test_passphrase_change_rewraps_the_same_data_key(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    key = store.data_key
    store.change_passphrase("new passphrase")
    with pytest.raises(WrongPassphrase):
        VaultStore.unlock(vault_path, PASSPHRASE)
    reopened = VaultStore.unlock(vault_path, "new passphrase")
    assert reopened.data_key == key
    assert "a" in reopened.data.credentials


def test_passphrase_change_leaves_no_file_the_old_passphrase_opens(
    store: VaultStore, vault_path: Path
) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    store.change_passphrase("new passphrase")
    for path in (vault_path, backup_path(vault_path)):
        with pytest.raises(WrongPassphrase):
            VaultStore.unlock(path, PASSPHRASE)
        assert "a" in VaultStore.unlock(path, "new passphrase").data.credentials


def test_rotate_key_re_encrypts_under_a_new_data_key(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["a"] = make_credential("a")
    old_key = store.data_key
    store.change_passphrase("new passphrase", rotate_key=True)
    assert store.data_key != old_key
    # Someone holding the old data key (an old copy plus the old passphrase) reads nothing new.
    with pytest.raises(VaultCorrupted):
        VaultStore.from_key(vault_path, old_key)
    reopened = VaultStore.unlock(vault_path, "new passphrase")
    assert reopened.data_key == store.data_key and "a" in reopened.data.credentials


def test_backup_holds_previous_version_and_restores(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["keep"] = make_credential("keep")
    with store.transaction() as data:
        del data.credentials["keep"]
    assert "keep" in VaultStore.unlock(backup_path(vault_path), PASSPHRASE).data.credentials
    restored = restore_backup(vault_path, PASSPHRASE)
    assert "keep" in restored.data.credentials
    assert "keep" in VaultStore.unlock(vault_path, PASSPHRASE).data.credentials
    # The replaced version became the backup, so the restore itself can be undone.
    assert "keep" not in VaultStore.unlock(backup_path(vault_path), PASSPHRASE).data.credentials


def test_exception_inside_transaction_saves_nothing(store: VaultStore, vault_path: Path) -> None:
    before = vault_path.read_bytes()
    with pytest.raises(RuntimeError), store.transaction() as data:
        data.credentials["a"] = make_credential("a")
        raise RuntimeError("boom")
    assert vault_path.read_bytes() == before


def test_stale_temp_files_are_removed(store: VaultStore, vault_path: Path) -> None:
    stale = vault_path.parent / f".{vault_path.name}.tmp-deadbeef"
    stale.write_bytes(b"half a save")
    with store.transaction():
        pass
    assert not stale.exists()


def test_symlinked_vault_is_refused(store: VaultStore, vault_path: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.tvault"
    link.symlink_to(vault_path)
    with pytest.raises(VaultError, match="symbolic link"):
        VaultStore.unlock(link, PASSPHRASE)


def test_absurd_kdf_cost_is_refused_before_running(vault_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match="memory"):
        VaultStore.create(vault_path, PASSPHRASE, KdfParams(memory_kib=4 * 1024 * 1024))
    with pytest.raises(UnsupportedFormat, match="passes"):
        KdfParams(time_cost=1000).check()


def test_production_floor_applies_without_the_test_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TOKENVAULT_TEST_KDF_FLOOR")
    with pytest.raises(UnsupportedFormat):
        KdfParams.cheap().check()
    KdfParams.default().check()


def test_default_cost_round_trip(tmp_path: Path) -> None:
    """One test pays the real RFC 9106 cost (64 MiB, 3 passes, 4 lanes)."""
    path = tmp_path / "default.tvault"
    VaultStore.create(path, PASSPHRASE)
    header = format.parse_header(path.read_bytes())
    assert (header.kdf.memory_kib, header.kdf.time_cost, header.kdf.parallelism) == (65536, 3, 4)
    assert VaultStore.unlock(path, PASSPHRASE).data.credentials == {}


def test_no_plaintext_in_any_written_file(store: VaultStore, vault_path: Path) -> None:
    # Every needle is long and random: a short one ("c1") turns up in ciphertext by chance
    # (about once in 200 runs for two bytes in a few KB), which made this test flaky.
    secret, token = f"plain-SECRET-{uuid.uuid4().hex}", f"plain-TOKEN-{uuid.uuid4().hex}"
    pem_line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    names = [f"cred-{uuid.uuid4().hex}" for _ in range(3)]
    for name in names:
        with store.transaction() as data:
            cred = make_credential(name, secret=secret, token=token)
            cred.secrets["private_key"] = f"-----BEGIN PRIVATE KEY-----\n{pem_line}\n"
            data.credentials[cred.name] = cred
    written = list(vault_path.parent.iterdir())
    assert len(written) >= 3
    for path in written:
        blob = path.read_bytes()
        for needle in (secret, token, pem_line, *names, f"app_{names[0]}"):
            assert needle.encode() not in blob, (path.name, needle)


def test_corrupted_payload_is_reported_and_file_kept(store: VaultStore, vault_path: Path) -> None:
    blob = bytearray(vault_path.read_bytes())
    blob[-1] ^= 1
    vault_path.write_bytes(bytes(blob))
    with pytest.raises(VaultCorrupted) as info:
        VaultStore.unlock(vault_path, PASSPHRASE)
    assert info.value.part == "payload"
    assert vault_path.read_bytes() == bytes(blob)


RUNNER = textwrap.dedent(
    """
    import os, resource, signal, sys
    os.environ["TOKENVAULT_TEST_KDF_FLOOR"] = "1"
    from pathlib import Path
    from vault.core.store import VaultStore
    from vault.core.model import Credential
    from vault.core.errors import SaveFailed
    path, pw, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    store = VaultStore.unlock(path, pw)
    if mode == "fsize":
        # A real "disk full": the kernel refuses writes past this size (EFBIG).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            with store.transaction() as data:
                c = Credential(name="big", provider="app-token")
                c.secrets["app_secret"] = "x" * 100_000
                data.credentials["big"] = c
        except SaveFailed as exc:
            print("SAVEFAILED", exc)
            sys.exit(0)
        sys.exit(1)
    if mode == "dump":
        import ctypes
        print(resource.getrlimit(resource.RLIMIT_CORE)[0], ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))
    """
)


def _run(vault_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(vault_path), PASSPHRASE, mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )


def test_full_disk_during_save_leaves_old_vault(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["old"] = make_credential("old")
    before = vault_path.read_bytes()
    result = _run(vault_path, "fsize")
    assert result.returncode == 0, result.stderr
    assert "SAVEFAILED" in result.stdout and "unchanged" in result.stdout
    assert vault_path.read_bytes() == before
    assert not [p for p in vault_path.parent.iterdir() if ".tmp-" in p.name]
    assert set(VaultStore.unlock(vault_path, PASSPHRASE).data.credentials) == {"old"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_unlock_disables_core_dumps(store: VaultStore, vault_path: Path) -> None:
    result = _run(vault_path, "dump")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]

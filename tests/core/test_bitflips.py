"""Every single-bit flip of every header byte, and a sample across the body, is rejected."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.core.conftest import PASSPHRASE, make_credential
from vault.core import format
from vault.core.errors import NotAVault, UnsupportedFormat, VaultCorrupted, VaultError
from vault.core.store import VaultStore


@pytest.fixture
def good_blob(store: VaultStore, vault_path: Path) -> bytes:
    with store.transaction() as data:
        for i in range(5):
            data.credentials[f"c{i}"] = make_credential(f"c{i}", token=f"tok-{i}-abcdef")
    return vault_path.read_bytes()


def expected_error(offset: int, flipped: bytes) -> type[VaultError]:
    if offset < 8:
        return NotAVault
    if offset < 10:
        version = int.from_bytes(flipped[8:10], "big")
        return UnsupportedFormat if version > format.VERSION else VaultCorrupted
    return VaultCorrupted


def test_every_header_bit_flip_is_rejected(good_blob: bytes, tmp_path: Path) -> None:
    target = tmp_path / "flip.tvault"
    checked = 0
    for offset in range(format.HEADER_SIZE):
        for bit in range(8):
            blob = bytearray(good_blob)
            blob[offset] ^= 1 << bit
            target.write_bytes(bytes(blob))
            want = expected_error(offset, bytes(blob))
            with pytest.raises(VaultError) as info:
                VaultStore.unlock(target, PASSPHRASE)
            assert type(info.value) is want, (offset, bit, info.value)
            if want is VaultCorrupted and offset >= 10:
                assert info.value.part == "header", (offset, bit)  # type: ignore[attr-defined]
            checked += 1
    assert checked == format.HEADER_SIZE * 8


def test_sampled_body_bit_flips_are_rejected(good_blob: bytes, tmp_path: Path) -> None:
    target = tmp_path / "flip.tvault"
    rng = random.Random(1234)
    body = range(format.HEADER_SIZE, len(good_blob))
    offsets = sorted({body[0], body[-1], *rng.sample(body, 150)})
    for offset in offsets:
        blob = bytearray(good_blob)
        blob[offset] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(blob))
        with pytest.raises(VaultCorrupted) as info:
            VaultStore.unlock(target, PASSPHRASE)
        assert info.value.part == "payload", offset

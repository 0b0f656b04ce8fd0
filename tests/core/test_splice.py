"""A header from one vault file spliced onto another file's payload, checksum recomputed.

The header checksum is plain SHA-256, so anyone splicing files can make it match; only the
payload's AEAD associated data (all 152 header bytes) can notice the mismatch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.core.conftest import make_credential
from vault.core import format
from vault.core.errors import VaultCorrupted
from vault.core.store import VaultStore

NEW = "another long passphrase"


def _splice(header_from: bytes, payload_from: bytes) -> bytes:
    """``header_from``'s bytes 0..99 (KDF, salt, key wrap) + ``payload_from``'s nonce, length
    and payload, with the checksum recomputed so it matches."""
    fixed = header_from[:100] + payload_from[100 : format.CHECKSUM_START]
    return fixed + hashlib.sha256(fixed).digest() + payload_from[format.HEADER_SIZE :]


def test_a_spliced_header_is_caught_by_the_payload_aad(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["before"] = make_credential("before")
    old_file = vault_path.read_bytes()
    # Same data key, new salt and wrap: the new header unwraps the key the old payload used,
    # and the old payload's own nonce is kept, so only the associated data differs.
    store.change_passphrase(NEW)
    new_file = vault_path.read_bytes()
    spliced = _splice(new_file, old_file)
    assert spliced[: format.HEADER_SIZE] != old_file[: format.HEADER_SIZE]
    header = format.parse_header(spliced)  # the checksum is satisfied
    vault_path.write_bytes(spliced)
    with pytest.raises(VaultCorrupted) as info:
        VaultStore.unlock(vault_path, NEW)
    assert info.value.part == "payload"
    # The unspliced files still open: the refusal is about the splice, nothing else.
    assert header.payload_length == len(old_file) - format.HEADER_SIZE
    vault_path.write_bytes(new_file)
    assert "before" in VaultStore.unlock(vault_path, NEW).data.credentials

"""The on-disk byte layout of FORMAT.md: strict parsing, one named error per failure."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from vault.core import crypto
from vault.core.crypto import KdfParams
from vault.core.digest import sha256  # the header checksum: no OpenSSL load for 100 bytes
from vault.core.errors import (
    NotAVault,
    UnsupportedFormat,
    VaultCorrupted,
    VaultTruncated,
    WrongPassphrase,
)
from vault.core.model import VaultData

MAGIC = b"TKNVAULT"
VERSION = 1
KDF_ARGON2ID = 1
AEAD_AES256GCM = 1
HEADER_SIZE = 152
WRAP_AAD_END = 52  # the key wrap authenticates magic..salt+nonce (bytes 0..51)
CHECKSUM_START = 120
MAX_PAYLOAD = 1 << 31  # 2 GiB: refuse before allocating for an absurd length field

_FIXED = struct.Struct(">8sHBBIII16s12s48s12sQ")
assert _FIXED.size == CHECKSUM_START


@dataclass(frozen=True)
class Header:
    """Everything before the payload; ``wrapped_key`` is the data key under the KEK."""

    kdf: KdfParams
    salt: bytes
    wrap_nonce: bytes
    wrapped_key: bytes
    payload_nonce: bytes
    payload_length: int
    version: int = VERSION

    def pack(self) -> bytes:
        fixed = _FIXED.pack(
            MAGIC,
            self.version,
            KDF_ARGON2ID,
            AEAD_AES256GCM,
            self.kdf.memory_kib,
            self.kdf.time_cost,
            self.kdf.parallelism,
            self.salt,
            self.wrap_nonce,
            self.wrapped_key,
            self.payload_nonce,
            self.payload_length,
        )
        return fixed + sha256(fixed).digest()


def wrap_key(kek: bytes, data_key: bytes, kdf: KdfParams, salt: bytes) -> tuple[bytes, bytes]:
    """Wrap the data key under the KEK; returns (nonce, wrapped)."""
    nonce = crypto.random_bytes(crypto.NONCE_BYTES)
    draft = Header(kdf, salt, nonce, bytes(48), bytes(12), 0)
    return nonce, crypto.seal(kek, nonce, data_key, draft.pack()[:WRAP_AAD_END])


def parse_header(blob: bytes) -> Header:
    """Check steps 1 to 7 of FORMAT.md "Reading" and return the header.

    Raises:
        VaultTruncated, NotAVault, UnsupportedFormat, VaultCorrupted: as FORMAT.md names them.
    """
    if len(blob) < len(MAGIC):
        if MAGIC.startswith(blob):
            raise VaultTruncated("The vault file is empty or cut short before its header ends.")
        raise NotAVault("This file is not a tokenvault vault (its first bytes are wrong).")
    if blob[:8] != MAGIC:
        raise NotAVault("This file is not a tokenvault vault (its first bytes are wrong).")
    if len(blob) < HEADER_SIZE:
        raise VaultTruncated(
            f"The vault file is cut short: {len(blob)} bytes, less than its {HEADER_SIZE}-byte "
            "header. Restore the backup with `tokenvault restore-backup`."
        )
    fields = _FIXED.unpack(blob[:CHECKSUM_START])
    version = fields[1]
    if version > VERSION:
        raise UnsupportedFormat(
            f"This vault was written by a newer tokenvault (format {version}); "
            f"this version reads format {VERSION}. Upgrade tokenvault."
        )
    if version == 0:
        raise VaultCorrupted("The vault header is damaged (format version 0).", part="header")
    if sha256(blob[:CHECKSUM_START]).digest() != blob[CHECKSUM_START:HEADER_SIZE]:
        raise VaultCorrupted(
            "The vault header is damaged or was tampered with (checksum mismatch). "
            "Restore the backup with `tokenvault restore-backup`.",
            part="header",
        )
    if fields[2] != KDF_ARGON2ID or fields[3] != AEAD_AES256GCM:
        raise UnsupportedFormat(
            f"The vault uses an algorithm this version does not know (kdf {fields[2]}, "
            f"cipher {fields[3]})."
        )
    kdf = KdfParams(memory_kib=fields[4], time_cost=fields[5], parallelism=fields[6])
    kdf.check()
    length = fields[11]
    if length > MAX_PAYLOAD or length < crypto.TAG_BYTES:
        raise VaultCorrupted(
            f"The vault header gives an impossible payload length ({length}).", part="header"
        )
    actual = len(blob) - HEADER_SIZE
    if actual < length:
        raise VaultTruncated(
            f"The vault file is cut short: the payload has {actual} of {length} bytes. "
            "Restore the backup with `tokenvault restore-backup`."
        )
    if actual > length:
        raise VaultCorrupted(
            f"The vault file has {actual - length} unexpected bytes after its payload.",
            part="trailer",
        )
    return Header(kdf, fields[7], fields[8], fields[9], fields[10], length, version)


def unwrap_key(header: Header, raw_header: bytes, kek: bytes) -> bytes:
    """Recover the data key; a failed tag means the passphrase is wrong (FORMAT.md step 8)."""
    key = crypto.open_sealed(kek, header.wrap_nonce, header.wrapped_key, raw_header[:WRAP_AAD_END])
    if key is None or len(key) != crypto.KEY_BYTES:
        raise WrongPassphrase()
    return key


def payload_aad(raw_header: bytes) -> bytes:
    """The payload's associated data: all 152 header bytes as written (FORMAT.md, "Keys").

    This, not the checksum, is what stops a header from one file (or one save) being spliced
    onto another's payload: anyone can recompute a SHA-256, nobody can forge the GCM tag.
    """
    return raw_header  # all 152 bytes, checksum included


def decrypt_payload(blob: bytes, header: Header, data_key: bytes) -> VaultData:
    """Steps 9 and 10: authenticate and decrypt the payload, then parse its JSON strictly."""
    raw_header = blob[:HEADER_SIZE]
    plain = crypto.open_sealed(
        data_key, header.payload_nonce, blob[HEADER_SIZE:], payload_aad(raw_header)
    )
    if plain is None:
        raise VaultCorrupted(
            "The vault's encrypted contents are damaged or were tampered with. "
            "Restore the backup with `tokenvault restore-backup`.",
            part="payload",
        )
    try:
        data = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise VaultCorrupted(
            "The vault's decrypted contents are not valid JSON.", part="payload"
        ) from exc
    try:
        return VaultData.from_dict(data)
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        # Authentic bytes (the key opened them) but not the structure FORMAT.md describes:
        # a bug in some writer, or a hand-made file. Say so instead of a traceback.
        raise VaultCorrupted(
            "The vault's decrypted contents do not have the expected structure "
            f"({type(exc).__name__}).",
            part="payload",
        ) from exc


def encode(data: VaultData, data_key: bytes, header: Header) -> bytes:
    """Serialise and encrypt with a fresh payload nonce; returns the whole file's bytes."""
    plain = json.dumps(data.to_dict(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    nonce = crypto.random_bytes(crypto.NONCE_BYTES)
    fresh = Header(
        header.kdf,
        header.salt,
        header.wrap_nonce,
        header.wrapped_key,
        nonce,
        len(plain) + crypto.TAG_BYTES,
    )
    raw_header = fresh.pack()
    return raw_header + crypto.seal(data_key, nonce, plain, payload_aad(raw_header))

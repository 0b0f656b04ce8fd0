"""Key derivation (Argon2id) and authenticated encryption (AES-256-GCM)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.core.errors import UnsupportedFormat, VaultError

KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
TAG_BYTES = 16

# Bounds read from a file are checked *before* Argon2 runs, so a hostile header cannot make an
# unlock take minutes or exhaust memory (age caps scrypt's work factor for the same reason).
MIN_MEMORY_KIB = 16 * 1024
MAX_MEMORY_KIB = 1024 * 1024
MAX_TIME_COST = 10
MAX_PARALLELISM = 16
TEST_FLOOR_ENV = "TOKENVAULT_TEST_KDF_FLOOR"
"""Set to 1 only by the test suite: allows a memory cost below 16 MiB so tests stay fast."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost, stored in the header and chosen at ``init``."""

    memory_kib: int = 64 * 1024
    time_cost: int = 3
    parallelism: int = 4

    @classmethod
    def default(cls) -> KdfParams:
        """RFC 9106's second recommended option: 64 MiB, 3 passes, 4 lanes."""
        return cls()

    @classmethod
    def cheap(cls) -> KdfParams:
        """For tests only; refused unless the test floor is switched on."""
        return cls(memory_kib=64, time_cost=1, parallelism=1)

    def check(self) -> None:
        """Raise UnsupportedFormat when the cost is outside the safe bounds."""
        floor = 8 if os.environ.get(TEST_FLOOR_ENV) == "1" else MIN_MEMORY_KIB
        problems = []
        if not floor <= self.memory_kib <= MAX_MEMORY_KIB:
            problems.append(f"memory {self.memory_kib} KiB (allowed {floor}..{MAX_MEMORY_KIB})")
        if not 1 <= self.time_cost <= MAX_TIME_COST:
            problems.append(f"{self.time_cost} passes (allowed 1..{MAX_TIME_COST})")
        if not 1 <= self.parallelism <= MAX_PARALLELISM:
            problems.append(f"{self.parallelism} lanes (allowed 1..{MAX_PARALLELISM})")
        elif self.memory_kib < 8 * self.parallelism:
            problems.append("memory below 8 KiB per lane")
        if problems:
            raise UnsupportedFormat(
                "The vault asks for a key-derivation cost this version refuses: "
                + ", ".join(problems)
                + "."
            )


def derive_kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) -> 32-byte key-encryption key; checks the cost first."""
    params.check()
    secret = passphrase.encode("utf-8")
    # Imported here: commands served by the agent never run the KDF, so they skip the import.
    # The reference library through argon2-cffi's own bindings, called exactly as
    # argon2.low_level.hash_secret_raw calls it: the argon2 package's __init__ (its password
    # hasher, profiles and `platform`) costs every unlock ~2 ms and gives this nothing.
    try:
        from _argon2_cffi_bindings import ffi, lib
    except ImportError:  # pragma: no cover - an argon2-cffi that bundles its bindings
        from argon2.low_level import Type, hash_secret_raw

        return hash_secret_raw(
            secret=secret,
            salt=salt,
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )
    out = ffi.new("uint8_t[]", KEY_BYTES)
    status = lib.argon2_hash(
        params.time_cost,
        params.memory_kib,
        params.parallelism,
        ffi.new("uint8_t[]", secret),
        len(secret),
        ffi.new("uint8_t[]", salt),
        len(salt),
        out,
        KEY_BYTES,
        ffi.NULL,
        0,
        lib.Argon2_id,
        lib.ARGON2_VERSION_NUMBER,
    )
    if status != lib.ARGON2_OK:
        # params.check() ran first: this is the library itself, e.g. out of memory.
        reason = ffi.string(lib.argon2_error_message(status)).decode("ascii", "replace")
        raise VaultError(f"The key derivation failed ({reason}); nothing was changed.")
    return bytes(ffi.buffer(out, KEY_BYTES))


def random_bytes(n: int) -> bytes:
    # What secrets.token_bytes returns, without importing secrets (hmac, hashlib, random:
    # ~3 ms on every command that opens the vault).
    return os.urandom(n)


def seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM encrypt; returns ciphertext with the 16-byte tag appended."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
    """AES-256-GCM decrypt; None when the tag does not verify (wrong key or altered bytes)."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        return None

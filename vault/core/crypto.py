"""Key derivation (Argon2id) and authenticated encryption (AES-256-GCM)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.core.errors import UnsupportedFormat

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
    # Imported here: commands served by the agent never run the KDF, so they skip the import.
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        secret=passphrase.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def random_bytes(n: int) -> bytes:
    return secrets.token_bytes(n)


def seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM encrypt; returns ciphertext with the 16-byte tag appended."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes | None:
    """AES-256-GCM decrypt; None when the tag does not verify (wrong key or altered bytes)."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        return None

"""Regenerate the file vectors: `python tests/core/vectors/generate.py` (results are committed).

One worked example vault plus one malformed file per failure case of FORMAT.md "Reading".
`manifest.json` names, for each file, the passphrase to try and the error expected.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from datetime import UTC, datetime
from pathlib import Path

os.environ["TOKENVAULT_TEST_KDF_FLOOR"] = "1"

from vault.core import clock
from vault.core.crypto import KdfParams
from vault.core.model import Credential, Token
from vault.core.store import VaultStore

HERE = Path(__file__).parent
PASSPHRASE = "tokenvault example passphrase"
FIXED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def rechecksum(blob: bytearray) -> bytearray:
    blob[120:152] = hashlib.sha256(bytes(blob[:120])).digest()
    return blob


def main() -> None:
    clock.set_clock(lambda: FIXED)
    example = HERE / "example-v1.tvault"
    for stale in HERE.glob("*.tvault*"):
        stale.unlink()
    # The worked example uses the lowest production cost, so any reader can open it.
    store = VaultStore.create(example, PASSPHRASE, KdfParams(16 * 1024, 1, 1))
    with store.transaction() as data:
        cred = Credential(
            name="happay-uat",
            provider="app-token",
            settings={"base_url": "https://api.uat-isac.happay.in", "app_id": "app_example"},
        )
        cred.secrets["app_secret"] = "example-app-secret"
        cred.token = Token(
            value="BO8SS05DS4Q9K1GRONRBP",
            token_type="App-Token",
            issued_at=FIXED,
            expires_at=datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
            expiry_source="fixed",
        )
        cred.record("generated", "example")
        data.credentials[cred.name] = cred
    for leftover in (HERE / "example-v1.tvault.bak", HERE / "example-v1.tvault.lock"):
        leftover.unlink(missing_ok=True)
    (HERE / "example-v1.passphrase").write_text(PASSPHRASE + "\n")
    good = bytearray(example.read_bytes())

    cases: dict[str, tuple[bytes, str, str]] = {}

    def case(name: str, blob: bytes, error: str, part: str = "") -> None:
        cases[name] = (bytes(blob), error, part)

    case("empty", b"", "VaultTruncated")
    case("truncated-in-magic", good[:5], "VaultTruncated")
    case("truncated-in-header", good[:100], "VaultTruncated")
    case("truncated-in-payload", good[:-10], "VaultTruncated")
    case("bad-magic", b"NOTVAULT" + good[8:], "NotAVault")
    case("plain-text", b"hello, this is not a vault at all\n", "NotAVault")
    case("future-version", good[:8] + struct.pack(">H", 2) + good[10:], "UnsupportedFormat")
    case("version-zero", good[:8] + struct.pack(">H", 0) + good[10:], "VaultCorrupted", "header")
    for field, offset in [
        ("kdf-memory", 13),
        ("kdf-time", 19),
        ("kdf-lanes", 23),
        ("salt", 30),
        ("wrap-nonce", 45),
        ("wrapped-key", 70),
        ("payload-nonce", 105),
        ("payload-length", 119),
        ("checksum", 140),
    ]:
        blob = bytearray(good)
        blob[offset] ^= 0x10
        case(f"flipped-{field}", blob, "VaultCorrupted", "header")
    absurd = bytearray(good)
    absurd[12:16] = struct.pack(">I", 64 * 1024 * 1024)  # 64 GiB of memory
    case("absurd-kdf-memory", rechecksum(absurd), "UnsupportedFormat")
    absurd = bytearray(good)
    absurd[16:20] = struct.pack(">I", 100_000)
    case("absurd-kdf-time", rechecksum(absurd), "UnsupportedFormat")
    unknown = bytearray(good)
    unknown[11] = 9
    case("unknown-cipher", rechecksum(unknown), "UnsupportedFormat")
    forged = bytearray(good)
    forged[30] ^= 1  # a salt edit with a recomputed checksum reaches the key wrap
    case("forged-salt", rechecksum(forged), "WrongPassphrase")
    body = bytearray(good)
    body[200] ^= 0x01
    case("flipped-payload", body, "VaultCorrupted", "payload")
    case("trailing-bytes", good + b"\x00", "VaultCorrupted", "trailer")
    case("wrong-passphrase", good, "WrongPassphrase")

    manifest = {}
    for name, (blob, error, part) in cases.items():
        (HERE / f"{name}.tvault").write_bytes(blob)
        passphrase = "not the passphrase" if name == "wrong-passphrase" else PASSPHRASE
        manifest[name] = {"error": error, "part": part, "passphrase": passphrase}
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()

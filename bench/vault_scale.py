"""Print vault figures at 10, 1,000 and 10,000 credentials (each with a PEM key and a token).

Run: `.venv/bin/python bench/vault_scale.py` (or `make bench`). Targets: beyond the KDF,
1,000 credentials open and save in under 50 ms each; 10,000 in under 500 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vault.core import crypto, format
from vault.core.clock import now
from vault.core.model import Credential, Token
from vault.core.store import VaultStore, read_file

PASSPHRASE = "benchmark passphrase"


def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def median_ms(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    key_pem = pem()
    print(f"{'creds':>7} {'kdf ms':>8} {'open ms':>8} {'save ms':>8} {'file KiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (10, 1_000, 10_000):
            path = Path(tmp) / f"v{count}.tvault"
            store = VaultStore.create(path, PASSPHRASE)  # the default cost: 64 MiB, t=3, p=4
            with store.transaction() as data:
                for i in range(count):
                    cred = Credential(name=f"cred-{i:05d}", provider="jwt-assertion")
                    cred.settings = {"base_url": "https://api.example.com", "app_id": f"app-{i}"}
                    cred.secrets["private_key"] = key_pem
                    cred.token = Token(
                        value=f"eyJhbGciOiJSUzI1NiJ9.token-{i:05d}.signature" * 4,
                        expires_at=now() + timedelta(hours=1),
                        expiry_source="expires_in",
                    )
                    cred.record("generated")
                    data.credentials[cred.name] = cred
            header = format.parse_header(read_file(path))
            kdf_ms = median_ms(lambda h=header: crypto.derive_kek(PASSPHRASE, h.salt, h.kdf), 3)
            repeat = 5 if count <= 1000 else 3
            # Open beyond the KDF: read, parse the header, decrypt, parse the JSON.
            open_ms = median_ms(lambda p=path, k=store.data_key: VaultStore.from_key(p, k), repeat)

            def save(s: VaultStore = store) -> None:
                with s.transaction():  # lock, check the file is unchanged, encrypt, write, fsync
                    pass

            save_ms = median_ms(save, repeat)
            size = path.stat().st_size / 1024
            print(f"{count:>7} {kdf_ms:>8.1f} {open_ms:>8.1f} {save_ms:>8.1f} {size:>9.0f}")


if __name__ == "__main__":
    main()

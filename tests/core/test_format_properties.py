"""Property tests of the format: any content round-trips; any damage is a named error."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.conftest import PASSPHRASE
from vault.core import crypto, format
from vault.core.crypto import KdfParams
from vault.core.errors import VaultCorrupted, VaultError
from vault.core.model import Credential, Token, VaultData

os.environ["TOKENVAULT_TEST_KDF_FLOOR"] = "1"

text = st.text(min_size=1, max_size=40)
credentials = st.builds(
    Credential,
    name=text,
    provider=st.sampled_from(["app-token", "jwt-assertion", "secret-exchange"]),
    settings=st.dictionaries(text, st.one_of(text, st.integers(-(2**40), 2**40)), max_size=4),
    secrets=st.dictionaries(text, st.text(max_size=300), max_size=3),
    token=st.one_of(st.none(), st.builds(Token, value=text, expiry_source=text)),
    last_error=st.one_of(st.none(), text),
)

KEY = crypto.random_bytes(32)
KDF = KdfParams.cheap()
SALT = crypto.random_bytes(16)
KEK = crypto.derive_kek(PASSPHRASE, SALT, KDF)
WRAP_NONCE, WRAPPED = format.wrap_key(KEK, KEY, KDF, SALT)
HEADER = format.Header(KDF, SALT, WRAP_NONCE, WRAPPED, bytes(12), 0)


def open_blob(blob: bytes) -> VaultData:
    header = format.parse_header(blob)
    kek = crypto.derive_kek(PASSPHRASE, header.salt, header.kdf)
    key = format.unwrap_key(header, blob, kek)
    return format.decrypt_payload(blob, header, key)


@settings(max_examples=60, deadline=None)
@given(st.lists(credentials, max_size=5, unique_by=lambda c: c.name))
def test_any_content_round_trips(creds: list[Credential]) -> None:
    data = VaultData(credentials={c.name: c for c in creds}, generation=3)
    back = open_blob(format.encode(data, KEY, HEADER))
    assert back.to_dict() == data.to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damage_is_always_a_named_error(data: st.DataObject) -> None:
    blob = bytearray(format.encode(VaultData(), KEY, HEADER))
    action = data.draw(st.sampled_from(["truncate", "overwrite", "append", "insert"]))
    pos = data.draw(st.integers(0, len(blob) - 1))
    if action == "truncate":
        blob = blob[:pos]
    elif action == "overwrite":
        new = data.draw(st.integers(0, 255).filter(lambda b: b != blob[pos]))
        blob[pos] = new
    elif action == "append":
        blob += data.draw(st.binary(min_size=1, max_size=20))
    else:
        blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=20))
    try:
        open_blob(bytes(blob))
    except VaultError as exc:
        assert str(exc)
    else:
        raise AssertionError(f"damaged file accepted after {action} at {pos}")


def test_file_is_header_then_sealed_json() -> None:
    blob = format.encode(VaultData(), KEY, HEADER)
    plain = b'{"schema":1,"generation":0,"credentials":[]}'
    assert blob[:8] == b"TKNVAULT"
    assert len(blob) == format.HEADER_SIZE + len(plain) + crypto.TAG_BYTES


BAD_PAYLOADS = [
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "settings": ["x"]}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "settings": "x"}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "secrets": ["x"]}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "token": "x"}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "policy": "x"}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "policy": {"share": "x"}}]},
    {"schema": 1, "credentials": [{"name": "a", "provider": "p", "history": ["x"]}]},
    {"schema": 1, "generation": "x", "credentials": []},
    {"schema": 1, "credentials": ["x"]},
]


def test_authentic_payload_with_the_wrong_structure_is_a_named_error() -> None:
    """Encrypted with the right key, so only the structure checks stand between it and a
    traceback (FORMAT.md, step 10)."""
    import json

    def sealed(plain: bytes) -> bytes:
        header = format.Header(KDF, SALT, WRAP_NONCE, WRAPPED, crypto.random_bytes(12), 0)
        fresh = format.Header(
            KDF, SALT, WRAP_NONCE, WRAPPED, header.payload_nonce, len(plain) + crypto.TAG_BYTES
        )
        raw = fresh.pack()
        return raw + crypto.seal(KEY, fresh.payload_nonce, plain, raw)

    deep = b"[" * 100_000 + b"]" * 100_000
    for plain in [json.dumps(p).encode() for p in BAD_PAYLOADS] + [deep]:
        try:
            open_blob(sealed(plain))
        except VaultCorrupted as exc:
            assert exc.part == "payload", plain[:60]
        else:
            raise AssertionError(f"accepted {plain[:60]!r}")

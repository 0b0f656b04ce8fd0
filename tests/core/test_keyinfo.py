"""A private key is described by kind and size, never by any of its characters."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vault.core.keyinfo import describe_key, masked_secret
from vault.core.model import Credential
from vault.core.summary import credential_detail
from vault.sim import demo as fixtures


def _pem(key: object, password: bytes | None = None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


def _material(pem: str) -> list[str]:
    """The base64 body lines of a PEM: none of them may show in a description."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_each_kind_of_key_says_what_it_is() -> None:
    rsa_pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_pem = _pem(ec.generate_private_key(ec.SECP256R1()))
    ed_pem = _pem(ed25519.Ed25519PrivateKey.generate())
    assert describe_key(rsa_pem) == "RSA key, 2048 bits"
    assert describe_key(ec_pem) == "EC key, P-256"
    assert describe_key(ed_pem) == "Ed25519 key"
    for pem in (rsa_pem, ec_pem, ed_pem):
        shown = masked_secret(pem)
        assert "--" not in shown and "•" not in shown
        assert not any(part[:8] in shown for part in _material(pem))


def test_a_broken_or_encrypted_key_says_so() -> None:
    assert describe_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") == (
        "unreadable key"
    )
    locked = _pem(ec.generate_private_key(ec.SECP384R1()), password=b"pass phrase")
    assert describe_key(locked) == "encrypted key"


def test_other_secrets_stay_masked() -> None:
    assert masked_secret("client-secret-0042") == "••••0042"


def test_show_json_describes_the_key() -> None:
    """`show --json` (and `show`) take their secrets from credential_detail."""
    cred = Credential(
        "reports",
        "jwt-bearer",
        secrets={"private_key": fixtures.PRIVATE_KEY_PEM, "other": "secret-value-1234"},
    )
    secrets = credential_detail(cred)["secrets"]
    assert secrets == {"private_key": "RSA key, 2048 bits", "other": "••••1234"}

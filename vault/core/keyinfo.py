"""What a stored private key is ("RSA key, 2048 bits"), said without any of its material.

A masked PEM key used to show its last four characters (``••••---``): the PEM's closing
dashes, which say nothing. Its kind and size do, and give nothing away: they are in the public
key every provider already holds.
"""

from __future__ import annotations

import hashlib

from vault.core.model import mask

_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
"""cryptography's curve names as people (and JOSE's ES256/384/512) write them."""


def is_private_key(value: str) -> bool:
    """Whether ``value`` looks like a PEM private key (any kind, encrypted or not)."""
    head = value.lstrip()[:80]
    return head.startswith("-----BEGIN ") and "PRIVATE KEY-----" in head


def describe_key(value: str) -> str:
    """ "RSA key, 2048 bits", "EC key, P-256", "Ed25519 key", "encrypted key" or "unreadable key".

    Never any key material: the words come from the key's type and size only.
    """
    # Keyed by a digest, not the key: a cache must not keep a private key alive after a lock.
    # (The details pane asks every second; parsing a key each time would be wasted work.)
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    found = _SEEN.get(digest)
    if found is None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        found = _SEEN[digest] = _parse(value)
    return found


_SEEN: dict[str, str] = {}
"""SHA-256 of a key -> its description; descriptions only, never the key."""
_SEEN_MAX = 64


def masked_secret(value: str) -> str:
    """A secret as ``show`` and the TUI print it: a private key described, anything else masked."""
    return describe_key(value) if is_private_key(value) else mask(value)


def _parse(value: str) -> str:
    # Loaded here, not at import: `show` on a vault without keys never pays for cryptography.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    data = value.strip().encode("utf-8")
    key: object  # the two loaders' unions differ; the isinstance checks below narrow it
    try:
        if b"OPENSSH PRIVATE KEY" in data[:60]:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            # Validation checks the key's maths (slow for RSA); describing it needs none of it.
            key = serialization.load_pem_private_key(
                data, password=None, unsafe_skip_rsa_key_validation=True
            )
    except TypeError:
        return "encrypted key"  # needs a passphrase the vault does not have
    except (ValueError, UnsupportedAlgorithm):
        return "unreadable key"
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA key, {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC key, {_CURVES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "Ed25519 key"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "Ed448 key"
    if isinstance(key, dsa.DSAPrivateKey):
        return f"DSA key, {key.key_size} bits"
    return "private key"

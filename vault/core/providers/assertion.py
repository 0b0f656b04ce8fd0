"""RS256 client assertions (Unifize, GitHub Apps, RFC 7523), built in memory and never stored."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from vault.core.errors import UsageError
from vault.core.providers.validation import MAX_WINDOW

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

# PyJWT and the key parsers load when a key is read or an assertion signed: `add` and `edit`
# import this module to check settings, and must not pay for the signing stack.

DEFAULT_WINDOW = 600
"""Unifize and GitHub cap an assertion's life at 10 minutes: the default everywhere."""

__all__ = ["DEFAULT_WINDOW", "MAX_WINDOW", "build_assertion", "load_private_key"]


def load_private_key(pem: str, *, check: bool = True) -> RSAPrivateKey:
    """Load an unencrypted RSA private key from PEM text; one clear sentence when it cannot.

    ``check`` runs the RSA consistency check (about 70 ms for 2048 bits). It is done when a key
    is stored; signing skips it, since the vault's authenticated encryption guarantees the
    stored key is the one that was checked.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    try:
        key = serialization.load_pem_private_key(
            pem.encode(), password=None, unsafe_skip_rsa_key_validation=not check
        )
    except TypeError as exc:
        raise UsageError(
            "The private key is protected by a passphrase; store an unencrypted PEM key."
        ) from exc
    except (ValueError, UnicodeError) as exc:
        # The library's text can quote parts of the input; keep it out of the message.
        raise UsageError("The private key is not a readable PEM private key.") from exc
    if not isinstance(key, RSAPrivateKey):
        raise UsageError("The private key is not an RSA key; RS256 needs an RSA private key.")
    return key


def build_assertion(
    *,
    private_key_pem: str,
    issuer: str,
    at: datetime,
    lifetime: int = DEFAULT_WINDOW,
    iat_skew: int = 0,
    extra_claims: dict[str, Any] | None = None,
    key_id: str | None = None,
) -> str:
    """Sign ``{iss, iat, exp}`` (plus ``extra_claims``) with RS256.

    Args:
        private_key_pem: the app's RSA private key.
        issuer: the ``iss`` claim (app id or client id).
        at: the current time.
        lifetime: seconds from ``iat`` to ``exp``, at most 3600 (Unifize and GitHub: 600).
        iat_skew: seconds to backdate ``iat`` (GitHub asks for 60 against clock drift).
        extra_claims: e.g. the Org ID when it is configured to travel as a claim, or an RFC 7523
            assertion's ``aud``, ``scope`` and ``sub``.
        key_id: the ``kid`` header naming which of the issuer's keys signed (Google's
            ``private_key_id``); no header when None or empty.
    """
    import jwt

    if not 1 <= lifetime <= MAX_WINDOW:
        raise UsageError(f"The assertion lifetime must be 1 to {MAX_WINDOW} seconds.")
    iat = int(at.timestamp()) - iat_skew
    claims: dict[str, Any] = {"iss": issuer, "iat": iat, "exp": iat + lifetime}
    claims.update(extra_claims or {})
    key = load_private_key(private_key_pem, check=False)
    headers = {"kid": key_id} if key_id else None
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)

"""Checking a token a provider sent before the vault stores it: characters and length.

A token is pasted into places that are line- and escape-sensitive: HTTP headers
(``token --header``), ``git credential`` answers (``password=<token>`` lines) and terminals.
A provider, or anyone between it and us, could send a "token" holding CR/LF (an extra header
or an extra ``git credential`` line), ESC (terminal control sequences) or megabytes. So a
token is accepted only when every character is visible ASCII (``%x21-7E``), the characters
an HTTP header value may carry without quoting. RFC 6750's ``b64token`` (letters, digits and
``-._~+/`` then ``=``) is the reference: every such token passes, and so do the opaque
tokens some providers issue with other visible characters (``:`` or ``|``, say).
"""

from __future__ import annotations

import re

from vault.core.errors import ProviderError

MAX_TOKEN_CHARS = 16 * 1024
"""Longest token accepted (16 KiB): large JWTs stay far below it, a flood does not."""

MAX_TYPE_CHARS = 64
"""Longest ``token_type`` accepted ("Bearer", "DPoP", "MAC"): it is shown, never sent."""

_VISIBLE = re.compile(r"[\x21-\x7e]+")
"""Visible ASCII: no space, no C0 control (CR, LF, NUL, ESC...), no DEL, no C1, no Unicode."""

_TYPE = re.compile(r"[A-Za-z0-9._~+/-]+")
"""A token type is a short name (RFC 6749 section 7.1 registers words such as Bearer)."""


def _problem(value: str, limit: int, allowed: re.Pattern[str]) -> str | None:
    if len(value) > limit:
        return f"is {len(value):,} characters long, over the limit of {limit:,}"
    if not allowed.fullmatch(value):
        # Name the character by its code point only: the value itself may be hostile.
        bad = next(ch for ch in value if not allowed.fullmatch(ch))
        return f"holds the character U+{ord(bad):04X}, which a token may not contain"
    return None


def is_safe_token(value: str) -> bool:
    """Whether ``value`` passes :func:`check_token`: a stored token is tested again before use,
    since one stored before tokens were checked (or put in by hand) may hold CR/LF or ESC."""
    return _problem(value, MAX_TOKEN_CHARS, _VISIBLE) is None


def check_token(value: str, where: str, status: int | None = None) -> str:
    """Return ``value`` when it is safe to store and send; else raise one sentence.

    Raises:
        ProviderError: the token is too long or holds a character outside visible ASCII.
    """
    problem = _problem(value, MAX_TOKEN_CHARS, _VISIBLE)
    if problem:
        raise ProviderError(f"{where} sent a token that {problem}; it was refused", status=status)
    return value


def check_token_type(value: str, where: str, status: int | None = None) -> str:
    """Return ``value`` when it is a plain short name; else raise one sentence.

    Raises:
        ProviderError: the token type is too long or holds other characters.
    """
    problem = _problem(value, MAX_TYPE_CHARS, _TYPE)
    if problem:
        raise ProviderError(
            f"{where} sent a token type that {problem}; the token was refused", status=status
        )
    return value

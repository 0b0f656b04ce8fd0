"""A crash report that never prints a secret: frames without locals, known secrets masked.

Textual's default report is a Rich traceback with ``show_locals=True``: any local holding a
token or a decrypted secret would be printed to the terminal (and into scrollback or CI logs).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable

from vault.core.model import mask

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|token|app-token:?)\s+([A-Za-z0-9._~+/=-]{8,})")
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask every known secret in ``text``, then anything shaped like a JWT, bearer or PEM."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, mask(secret))
    text = _PEM.sub("[private key removed]", text)
    text = _JWT.sub("[jwt removed]", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {mask(m.group(2))}", text)


def crash_report(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """A plain-text report: exception chain, frame locations (no locals, no source lines).

    Source lines are left out too: a test or a user script may hold a literal token.
    """
    known = list(secrets)
    lines = [
        "tokenvault stopped because of an unexpected error (a bug; please report it).",
        "Local variables and source lines are not shown, so that no secret is printed.",
        "",
    ]
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for index, exc in enumerate(reversed(chain)):
        if index:
            lines.append("")
            lines.append("During handling of the above, another error occurred:")
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}: {redact(str(exc), known)}")
    return "\n".join(lines)

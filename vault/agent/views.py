"""`list` and `show` answered from the agent's memory: the rows the CLI would print itself.

With an agent running, `tokenvault list --json` and `show NAME --json` need no key on the
client side, no decryption and no crypto imports: the agent already holds the decrypted vault
(re-read only when the file changed) and builds the same secret-free rows with the same
functions (``vault.core.summary``), so the output is byte for byte what the client would
print. Secrets stay masked exactly as there; no token value is ever part of a row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vault.agent import protocol

if TYPE_CHECKING:
    from vault.core.model import VaultData


def list_reply(data: VaultData) -> dict[str, Any]:
    """``{"rows": [...]}``: ``list --json``'s array, sorted by name."""
    from vault.core.clock import now
    from vault.core.summary import credential_summary

    at = now()
    creds = sorted(data.credentials.values(), key=lambda c: c.name)
    return _fitted(protocol.reply(rows=[credential_summary(c, at) for c in creds]))


def show_reply(data: VaultData, name: Any) -> dict[str, Any]:
    """``{"detail": {...}}``, or ``{"detail": null}`` when no credential has that name."""
    from vault.core.summary import credential_detail

    if not isinstance(name, str) or not 0 < len(name) <= protocol.MAX_NAME:
        return protocol.error("A show request needs a credential name.")
    cred = data.credentials.get(name)
    return _fitted(protocol.reply(detail=None if cred is None else credential_detail(cred)))


def _fitted(answer: dict[str, Any]) -> dict[str, Any]:
    # A vault of thousands of credentials (or a long history) outgrows one frame: say so, and
    # the client opens the vault with the agent's key instead, as it did before these requests.
    try:
        protocol.encode(answer)
    except protocol.ProtocolError:
        return protocol.reply(too_large=True)
    return answer

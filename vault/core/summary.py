"""Secret-free summaries of credentials, shared by `list --json`, `status` and the agent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from vault.core.clock import iso, now
from vault.core.model import Credential, Status, mask


def credential_summary(cred: Credential, at: datetime | None = None) -> dict[str, Any]:
    """The fields of ``list --json``: never a secret, never a token value."""
    at = at or now()
    token = cred.token
    return {
        "name": cred.name,
        "provider": cred.provider,
        "status": cred.status(at).value,
        "expires_at": iso(token.expires_at) if token else None,
        "seconds_left": token.seconds_left(at) if token else None,
        "secret_expires_at": iso(cred.secret_expires_at),
        "secret_seconds_left": cred.secret_seconds_left(at),
        "last_error": cred.last_error,
    }


def credential_detail(cred: Credential, at: datetime | None = None) -> dict[str, Any]:
    """Everything ``show`` prints: settings in clear, secrets and the token masked."""
    detail = credential_summary(cred, at)
    token = cred.token
    detail.update(
        {
            "settings": dict(cred.settings),
            "secrets": {key: mask(value) for key, value in cred.secrets.items()},
            "secret_created_at": iso(cred.secret_created_at),
            "token": None
            if token is None
            else {
                "value": mask(token.value),
                "token_type": token.token_type,
                "issued_at": iso(token.issued_at),
                "expires_at": iso(token.expires_at),
                "expiry_source": token.expiry_source,
            },
            "revoked": cred.revoked,
            "policy": cred.policy.to_dict(),
            "history": [event.to_dict() for event in cred.history],
        }
    )
    return detail


def vault_summary(creds: list[Credential], at: datetime | None = None) -> dict[str, Any]:
    """Counts per status and the next expiry, for `tokenvault status` and shell prompts."""
    at = at or now()
    counts = Counter(cred.status(at).value for cred in creds)
    upcoming = [
        (cred.token.expires_at, cred.name)
        for cred in creds
        if cred.token and cred.token.expires_at and cred.token.expires_at > at
    ]
    nxt = min(upcoming) if upcoming else None
    return {
        "credentials": len(creds),
        **{status.value: counts.get(status.value, 0) for status in Status},
        "next_expiry": None if nxt is None else {"name": nxt[1], "expires_at": iso(nxt[0])},
    }


def human_duration(seconds: int) -> str:
    """Compact time left: "23h 12m", "4m 10s", "83d 4h"; negative values get "ago" wording."""
    past = seconds < 0
    s = abs(seconds)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    elif minutes:
        text = f"{minutes}m {secs}s"
    else:
        text = f"{secs}s"
    return f"expired {text} ago" if past else text

"""Secret-free summaries of credentials, shared by `list --json`, `status` and the agent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from vault.core.clock import iso, now
from vault.core.keyinfo import masked_secret
from vault.core.model import Credential, Status, mask
from vault.core.providers import secretsettings
from vault.core.providers.mask import Masker


def masked_text(cred: Credential, text: str | None) -> str | None:
    """A provider's words as stored (``last_error``, history), masked again for display: a
    vault written before today's masking, or a secret added since, must not show through."""
    if not text:
        return text
    return secretsettings.masker(cred).scrub(text)


def shown_settings(cred: Credential) -> dict[str, Any]:
    """The settings as ``show`` and the TUI print them: credentials kept as plain text (a
    literal ``X-Api-Key`` header, a Basic password) masked like secrets."""
    return secretsettings.masked(cred.settings)


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
        "last_error": masked_text(cred, cred.last_error),
    }


def credential_detail(cred: Credential, at: datetime | None = None) -> dict[str, Any]:
    """Everything ``show`` prints: settings in clear, secrets and the token masked."""
    detail = credential_summary(cred, at)
    token = cred.token
    masker = secretsettings.masker(cred)
    detail.update(
        {
            "settings": shown_settings(cred),
            # A private key says what it is ("RSA key, 2048 bits"), not "••••---".
            "secrets": {key: masked_secret(value) for key, value in cred.secrets.items()},
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
            "history": [_shown_event(event.to_dict(), masker) for event in cred.history],
        }
    )
    return detail


def _shown_event(event: dict[str, Any], masker: Masker) -> dict[str, Any]:
    if event.get("detail"):
        event["detail"] = masker.scrub(str(event["detail"]))
    return event


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


def format_span(seconds: int) -> str:
    """Two most significant units: "83d 4h", "23h 12m", "4m 10s", "12s" (sign ignored)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if days < 10 else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def format_left(seconds: int | None) -> str:
    """Time left in words, the same in the CLI and the TUI: "23h 12m", "expired 3m ago",
    or "no expiry"."""
    if seconds is None:
        return "no expiry"
    if seconds <= 0:
        return f"expired {format_span(seconds).split()[0]} ago"
    return format_span(seconds)


def secret_label(seconds: int | None) -> str:
    """The root secret's own expiry, e.g. "secret 83d" or "secret expired"."""
    if seconds is None:
        return ""
    if seconds <= 0:
        return "secret expired"
    return f"secret {seconds // 86400}d" if seconds >= 86400 else f"secret {format_span(seconds)}"

"""The vault's payload: credentials, their current token and their event history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from vault.core.clock import iso, now, parse_utc
from vault.core.errors import CredentialNotFound, DuplicateCredential, VaultCorrupted
from vault.core.names import check_name
from vault.core.providers.tokencheck import is_safe_token

SCHEMA = 1
"""Version of the JSON payload inside the encryption (FORMAT.md, "Payload")."""

EXPIRING_SHARE = 0.10
"""A token is "expiring" once less than this share of its lifetime remains."""

SECRET_WARNING = timedelta(days=14)
"""A root secret this close to its own expiry is urgent (generate long tokens before day 90)."""

SECRET_NOTICE = timedelta(days=30)
"""A root secret this close to its own expiry is worth a first, milder notice."""

HISTORY_LIMIT = 200
"""Events kept per credential; the oldest are dropped so the file cannot grow without bound."""


class Status(StrEnum):
    """What a credential's token is good for right now."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"
    REVOKED = "revoked"
    ERROR = "error"


class EventKind(StrEnum):
    """Entries of the append-only history kept inside the encryption."""

    CREATED = "created"
    EDITED = "edited"
    GENERATED = "generated"
    REFRESHED = "refreshed"
    COPIED = "copied"
    REVOKED = "revoked"
    UNAUTHORIZED = "401-seen"
    FAILED = "failed"


def mask(value: str | None, keep: int = 4) -> str:
    """Mask a secret for display: never more than the last ``keep`` (at most 4) characters."""
    if not value:
        return ""
    keep = min(keep, 4)
    if len(value) <= keep * 3:
        # Short values would give too much away with 4 clear characters.
        return "••••"
    return "••••" + value[-keep:]


@dataclass
class Token:
    """The current access token of a credential."""

    value: str = field(repr=False)
    """The token itself; kept out of reprs so it never lands in logs or tracebacks."""
    token_type: str = "Bearer"
    issued_at: datetime = field(default_factory=now)
    expires_at: datetime | None = None
    expiry_source: str = "unknown"
    """Which rule gave ``expires_at``: expires_in, iso8601, epoch_s, epoch_ms, jwt_exp, fixed."""

    def lifetime(self) -> timedelta | None:
        if self.expires_at is None:
            return None
        return self.expires_at - self.issued_at

    def seconds_left(self, at: datetime | None = None) -> int | None:
        if self.expires_at is None:
            return None
        return int((self.expires_at - (at or now())).total_seconds())

    def share_left(self, at: datetime | None = None) -> float | None:
        """Fraction of the lifetime still ahead, clamped to 0..1."""
        life = self.lifetime()
        left = self.seconds_left(at)
        if life is None or left is None or life.total_seconds() <= 0:
            return None
        return max(0.0, min(1.0, left / life.total_seconds()))

    def usable(self, min_valid: timedelta, at: datetime | None = None) -> bool:
        """True when at least ``min_valid`` is left (a token with no known expiry counts).

        A value the arrival check would refuse is never usable, whatever its expiry: it is
        replaced by a checked one instead of reaching a ``git credential`` answer or a header.
        """
        if not is_safe_token(self.value):
            return False
        if self.expires_at is None:
            return True
        return self.expires_at - (at or now()) >= min_valid

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "token_type": self.token_type,
            "issued_at": iso(self.issued_at),
            "expires_at": iso(self.expires_at),
            "expiry_source": self.expiry_source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Token:
        return cls(
            value=_str(data, "value"),
            token_type=str(data.get("token_type") or "Bearer"),
            issued_at=_time(data.get("issued_at")) or now(),
            expires_at=_time(data.get("expires_at")),
            expiry_source=str(data.get("expiry_source") or "unknown"),
        )


@dataclass
class Event:
    """One line of a credential's history; ``detail`` never holds a secret."""

    kind: str
    at: datetime = field(default_factory=now)
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": iso(self.at), "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            kind=_str(data, "kind"),
            at=_time(data.get("at")) or now(),
            detail=data.get("detail", ""),
        )


@dataclass
class RefreshPolicy:
    """When the TUI refreshes a token on its own."""

    auto: bool = False
    """Off by default: some providers' tokens are costly or rate limited."""
    share: float = EXPIRING_SHARE
    """Refresh when less than this share of the lifetime remains."""

    def to_dict(self) -> dict[str, Any]:
        return {"auto": self.auto, "share": self.share}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RefreshPolicy:
        data = data or {}
        share = float(data.get("share", EXPIRING_SHARE))
        return cls(auto=bool(data.get("auto", False)), share=min(max(share, 0.01), 0.9))


@dataclass
class Credential:
    """A named credential: long-term secrets, settings and at most one current token."""

    name: str
    provider: str
    settings: dict[str, Any] = field(default_factory=dict)
    """Non-secret provider settings (URLs, ids, field names, lifetimes)."""
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """Long-term secrets: client_secret, private_key (PEM), app_secret. Never shown unmasked."""
    secret_created_at: datetime | None = None
    secret_expires_at: datetime | None = None
    token: Token | None = None
    revoked: bool = False
    """True after a revoke until the next token is generated."""
    last_error: str | None = None
    policy: RefreshPolicy = field(default_factory=RefreshPolicy)
    history: list[Event] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def status(self, at: datetime | None = None) -> Status:
        """Classify the credential for lists, bars and ``list --json``: a failed last
        operation shows as ``error`` until the next success."""
        if self.last_error:
            return Status.ERROR
        return self.token_status(at)

    def token_status(self, at: datetime | None = None) -> Status:
        """The token's own state by the clock, ignoring the last error.

        Refresh decisions use this: a credential whose last refresh failed must still be
        retried once its token is expiring, not left alone because it shows ``error``.
        """
        at = at or now()
        if self.token is None:
            return Status.REVOKED if self.revoked else Status.MISSING
        left = self.token.seconds_left(at)
        if left is None:
            return Status.VALID
        if left <= 0:
            return Status.EXPIRED
        share = self.token.share_left(at)
        if share is not None and share < self.policy.share:
            return Status.EXPIRING
        return Status.VALID

    def secret_level(self, at: datetime | None = None) -> str | None:
        """ "ok", "warn" (within ``SECRET_NOTICE``) or "bad" (within ``SECRET_WARNING``)
        for a root secret that expires; None when it does not."""
        left = self.secret_seconds_left(at)
        if left is None:
            return None
        if left <= SECRET_WARNING.total_seconds():
            return "bad"
        return "warn" if left <= SECRET_NOTICE.total_seconds() else "ok"

    def secret_seconds_left(self, at: datetime | None = None) -> int | None:
        if self.secret_expires_at is None:
            return None
        return int((self.secret_expires_at - (at or now())).total_seconds())

    def record(self, kind: str, detail: str = "") -> None:
        """Append to the history, dropping the oldest entries beyond ``HISTORY_LIMIT``."""
        self.history.append(Event(kind=kind, detail=detail))
        if len(self.history) > HISTORY_LIMIT:
            del self.history[: len(self.history) - HISTORY_LIMIT]
        self.updated_at = now()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "settings": self.settings,
            "secrets": self.secrets,
            "secret_created_at": iso(self.secret_created_at),
            "secret_expires_at": iso(self.secret_expires_at),
            "token": self.token.to_dict() if self.token else None,
            "revoked": self.revoked,
            "last_error": self.last_error,
            "policy": self.policy.to_dict(),
            "history": [e.to_dict() for e in self.history],
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Credential:
        if not isinstance(data, dict):
            raise VaultCorrupted("A credential record is not an object.", part="payload")
        token = data.get("token")
        return cls(
            name=_str(data, "name"),
            provider=_str(data, "provider"),
            settings=dict(data.get("settings") or {}),
            secrets={str(k): str(v) for k, v in (data.get("secrets") or {}).items()},
            secret_created_at=_time(data.get("secret_created_at")),
            secret_expires_at=_time(data.get("secret_expires_at")),
            token=Token.from_dict(token) if token else None,
            revoked=bool(data.get("revoked", False)),
            last_error=data.get("last_error"),
            policy=RefreshPolicy.from_dict(data.get("policy")),
            history=[Event.from_dict(e) for e in data.get("history") or []],
            created_at=_time(data.get("created_at")) or now(),
            updated_at=_time(data.get("updated_at")) or now(),
        )


@dataclass
class VaultData:
    """Everything inside the encryption."""

    credentials: dict[str, Credential] = field(default_factory=dict)
    generation: int = 0
    """Bumped on every save, so a reader can tell it has the latest content."""

    def add(self, cred: Credential) -> Credential:
        """Store a new credential under a checked name (``check_name``); returns it.

        Raises:
            UsageError: the name is empty, starts with ``-`` or holds control characters.
            DuplicateCredential: a credential already has that name.
        """
        check_name(cred.name)
        if cred.name in self.credentials:
            raise DuplicateCredential(cred.name)
        self.credentials[cred.name] = cred
        return cred

    def rename(self, old: str, new: str) -> Credential:
        """Give credential ``old`` the checked name ``new``; nothing changes if a check fails.

        Only new names are checked: a vault holding an odd name from before still opens, and
        the credential can be renamed to a good name.

        Raises:
            CredentialNotFound: no credential is called ``old``.
            UsageError: ``new`` fails ``check_name``.
            DuplicateCredential: another credential already has the name ``new``.
        """
        cred = self.credentials.get(old)
        if cred is None:
            raise CredentialNotFound(old)
        if new == old:
            return cred
        check_name(new)
        if new in self.credentials:
            raise DuplicateCredential(new)
        del self.credentials[old]
        cred.name = new
        self.credentials[new] = cred
        return cred

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "generation": self.generation,
            "credentials": [c.to_dict() for c in self.credentials.values()],
        }

    @classmethod
    def from_dict(cls, data: Any) -> VaultData:
        if not isinstance(data, dict) or not isinstance(data.get("credentials"), list):
            raise VaultCorrupted("The decrypted payload has no credential list.", part="payload")
        if data.get("schema") != SCHEMA:
            raise VaultCorrupted(
                f"The payload schema {data.get('schema')!r} is not one this version reads.",
                part="payload",
            )
        creds = [Credential.from_dict(c) for c in data["credentials"]]
        return cls(
            credentials={c.name: c for c in creds}, generation=int(data.get("generation", 0))
        )


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise VaultCorrupted(f"A record lacks its {key!r} text.", part="payload")
    return value


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_utc(str(value))
    except ValueError as exc:
        raise VaultCorrupted(f"A stored date {value!r} is not ISO-8601.", part="payload") from exc

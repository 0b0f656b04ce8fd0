"""The one small provider interface and the results it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx

from vault.core.errors import ProviderError
from vault.core.model import Token


@dataclass(frozen=True)
class TokenResult:
    """A token a provider just issued, with the rule that gave its expiry."""

    value: str = field(repr=False)
    """The token itself; kept out of reprs so it never lands in logs or tracebacks."""
    token_type: str
    issued_at: datetime
    expires_at: datetime | None
    expiry_source: str
    """expires_in, iso8601, epoch_s, epoch_ms, jwt_exp, fixed or unknown."""

    def to_token(self) -> Token:
        return Token(
            value=self.value,
            token_type=self.token_type,
            issued_at=self.issued_at,
            expires_at=self.expires_at,
            expiry_source=self.expiry_source,
        )


@dataclass(frozen=True)
class RevokeResult:
    """What a revoke achieved."""

    remote: bool
    """True when the provider itself was told; False when the token was only forgotten locally."""
    message: str
    """One sentence for the user, saying what happened and, if local, what to do at the provider."""


class SecretExpired(ProviderError):
    """The long-term secret is past its own expiry, so the provider would refuse it."""


class Provider(Protocol):
    """What the token lifecycle needs from a provider style."""

    @property
    def remote_revoke(self) -> bool:
        """Whether ``revoke`` tells the provider (else the token is only forgotten locally)."""
        ...

    def generate(self, client: httpx.Client) -> TokenResult:
        """Obtain a new token; raises ``ProviderError`` (one sentence) on any failure."""
        ...

    async def agenerate(self, client: httpx.AsyncClient) -> TokenResult:
        """``generate`` for asyncio callers."""
        ...

    def revoke(self, client: httpx.Client, token: Token) -> RevokeResult:
        """Kill ``token`` at the provider when it has an endpoint; else say what to do there."""
        ...

    def apply(self, request: httpx.Request, token: Token) -> None:
        """Attach ``token`` (and any per-request headers) to an outgoing API request."""
        ...

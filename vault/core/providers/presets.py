"""The provider styles the vault speaks, as data over the one engine (docs/providers.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from vault.core.clock import now

DEFAULT_EXPIRY_FIELDS = (
    "expires_in",
    "expiresIn",
    "ExpiresIn",
    "expires_at",
    "expiresAt",
    "ExpiresAt",
    "expiry",
    "expiration",
    "exp",
)
"""Common names for an expiry in token answers; relative ones first so they win over stamps."""

BEARER = MappingProxyType({"Authorization": "Bearer {token}"})

COMMON_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "token_method": "POST",
        "body_kind": "json",
        "body": {},
        "query": {},
        "headers": {},
        "auth": "none",
        "basic_user": "{settings.client_id}",
        "basic_password": "{secret.client_secret}",
        "assertion_iss": "{settings.app_id}",
        "assertion_lifetime": 600,
        "assertion_iat_skew": 0,
        "assertion_aud": "",
        "assertion_claims": {},
        "key_id": "",
        "org_id_placement": "none",
        "org_id_field": "orgId",
        "token_fields": ["access_token", "token"],
        "token_type_fields": ["token_type", "TokenType", "tokenType"],
        "expiry_fields": list(DEFAULT_EXPIRY_FIELDS),
        "request_headers": dict(BEARER),
        "revoke_url": "",
        "revoke_method": "POST",
        "revoke_kind": "rfc7009",
        # How a revocation request authenticates the client (providers.revocation).
        "revoke_auth": "token",
        "test_url": "",
        "timeout": 10.0,
        "retry_tries": 3,
        "retry_max_wait": 5.0,
    }
)
"""Settings every style shares; a preset overrides some, the user's credential any.

``test_url`` is a cheap authenticated GET (a "whoami") that the TUI's test call sends through
``VaultAuth``; the presets' defaults are the simulator-compatible paths under ``base_url``.
"""


@dataclass(frozen=True)
class Preset:
    """A provider style: default settings over the engine plus what the forms must ask for."""

    style: str
    title: str
    """Short human name, e.g. "App token (Happay / ISAC style)"."""
    defaults: Mapping[str, Any]
    """Overrides of ``COMMON_DEFAULTS``; merged under the credential's own settings."""
    required_settings: tuple[str, ...]
    required_secrets: tuple[str, ...]
    secrets: tuple[str, ...]
    """Every secret this style can use (form fields, masked)."""
    revoke_advice: str
    """What to do at the provider when revoke can only forget the token locally."""
    secret_lifetime: timedelta | None = None
    """The long-term secret's own validity (ShiftIQ: 90 days), or None when it does not expire."""
    lifetime_range: tuple[int, int] = (1, 10 * 366 * 86400)
    """Allowed ``lifetime`` setting in seconds, checked before sending."""
    auto_refresh: bool = True
    """Whether the TUI refreshes on its own by default (off where tokens are costly)."""

    @property
    def primary_secret(self) -> str | None:
        """The one-line secret `--secret-file`/`--secret-stdin` fill (PEM keys have their own
        flag), and whose replacement restarts the secret's clock; None for key-only styles."""
        return next((s for s in self.secrets if s != "private_key"), None)

    @property
    def remote_revoke(self) -> bool:
        """Whether revoke reaches the provider with the default settings."""
        return bool(self.defaults.get("revoke_url"))

    def settings(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Common defaults, then this preset's, then ``overrides``: the effective settings."""
        merged: dict[str, Any] = {}
        for layer in (COMMON_DEFAULTS, self.defaults, overrides or {}):
            for key, value in layer.items():
                merged[key] = _copy(value)
        return merged

    def secret_expiry(self, created_at: datetime | None) -> datetime | None:
        """When a secret created at ``created_at`` stops working, if this style's secrets expire."""
        if created_at is None or self.secret_lifetime is None:
            return None
        return created_at + self.secret_lifetime

    def secret_dates(
        self,
        created_at: datetime | None,
        *,
        given: datetime | None = None,
        replaced: bool = False,
        at: datetime | None = None,
    ) -> tuple[datetime | None, datetime | None]:
        """The root secret's (created, expires) after an add or edit; the one rule for both.

        An explicit ``given`` date wins; a new or replaced secret with no date was created
        now (``at``); otherwise the stored date stands. Styles whose secrets never expire
        keep no dates at all.

        Args:
            created_at: the stored creation date (None for a new credential).
            given: a date the user typed.
            replaced: the secret itself is new (an add, or a rotated secret on edit).
            at: "now", for tests.
        """
        if self.secret_lifetime is None:
            return None, None
        if given is not None:
            created: datetime | None = given
        elif replaced or created_at is None:
            created = at or now()
        else:
            created = created_at
        return created, self.secret_expiry(created)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


PRESETS: dict[str, Preset] = {
    "app-token": Preset(
        style="app-token",
        title="App token (Happay / ISAC style)",
        defaults=MappingProxyType(
            {
                "token_url": "/auth/app-token",
                "body": {"app_id": "{settings.app_id}", "app_secret": "{secret.app_secret}"},
                "token_fields": ["app_token", "token", "access_token"],
                # The vendor documents 25 hours and sends no expiry field.
                "lifetime": 25 * 3600,
                "request_headers": {
                    "App-ID": "{settings.app_id}",
                    "App-Token": "{token}",
                    "Request-ID": "{uuid4}",
                },
                "test_url": "/app-token/whoami",
            }
        ),
        required_settings=("base_url", "app_id"),
        required_secrets=("app_secret",),
        secrets=("app_secret",),
        revoke_advice=(
            "The provider has no revocation API, so the app token was only forgotten here; it "
            "stays valid until it expires (25 hours after it was generated), so if it leaked, "
            "rotate the app secret in the provider's developer console."
        ),
    ),
    "jwt-assertion": Preset(
        style="jwt-assertion",
        title="JWT assertion (Unifize style, RS256)",
        defaults=MappingProxyType(
            {
                "token_url": "/application/token",
                "auth": "bearer-assertion",
                "org_id_placement": "body",
                "token_fields": ["access_token", "accessToken", "token"],
                "test_url": "/application/whoami",
            }
        ),
        required_settings=("base_url", "app_id"),
        required_secrets=("private_key",),
        secrets=("private_key",),
        revoke_advice=(
            "The provider has no revocation API, so the access token was only forgotten here; "
            "it stays valid until it expires, so if it leaked, replace the app's RSA key at the "
            "provider."
        ),
    ),
    "github-app": Preset(
        style="github-app",
        title="GitHub App installation token",
        defaults=MappingProxyType(
            {
                "base_url": "https://api.github.com",
                "token_url": "/app/installations/{settings.installation_id}/access_tokens",
                "auth": "bearer-assertion",
                # GitHub asks for iat 60 s in the past against clock drift, exp <= now + 600.
                "assertion_iat_skew": 60,
                "assertion_lifetime": 600,
                "body_kind": "none",
                "headers": {
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": "2022-11-28",
                },
                "token_fields": ["token"],
                "revoke_url": "/installation/token",
                "revoke_method": "DELETE",
                "revoke_kind": "bearer",
                # Cheap and readable by any installation token: the "test call" endpoint.
                "test_url": "/installation/repositories",
            }
        ),
        required_settings=("base_url", "app_id", "installation_id"),
        required_secrets=("private_key",),
        secrets=("private_key",),
        revoke_advice=(
            "The token was only forgotten here; to end it at GitHub, revoke the installation "
            "token or suspend the app installation in the GitHub settings."
        ),
    ),
    "secret-exchange": Preset(
        style="secret-exchange",
        title="Secret exchange (ShiftIQ style)",
        defaults=MappingProxyType(
            {
                "token_url": "/v2/{settings.partition}/security/tokens/generate",
                "body": {"Secret": "{secret.client_secret}", "Lifetime": "{settings.lifetime}"},
                "token_fields": ["AccessToken", "access_token"],
                # The answer's ExpiresIn wins over the JWT's own exp (the vendor says so).
                "expiry_fields": ["ExpiresIn", *DEFAULT_EXPIRY_FIELDS],
                "lifetime": 86400,
                "test_url": "/v2/{settings.partition}/whoami",
            }
        ),
        required_settings=("base_url", "partition"),
        required_secrets=("client_secret",),
        secrets=("client_secret",),
        secret_lifetime=timedelta(days=90),
        lifetime_range=(60, 31_536_000),
        auto_refresh=False,
        revoke_advice=(
            "The provider has no revocation API, so the token was only forgotten here; it stays "
            "valid for its whole lifetime, so revoke it in the provider's developer settings "
            "(security tokens) now."
        ),
    ),
    "oauth2-client-credentials": Preset(
        style="oauth2-client-credentials",
        title="OAuth 2.0 client credentials (RFC 6749 4.4)",
        defaults=MappingProxyType(
            {
                "token_url": "/oauth/token",
                "body_kind": "form",
                "body": {"grant_type": "client_credentials", "scope": "{settings.scope}"},
                "auth": "basic",
                "scope": "",
                "token_fields": ["access_token"],
                "revoke_kind": "rfc7009",
                "test_url": "/oauth/whoami",
            }
        ),
        required_settings=("base_url", "client_id"),
        required_secrets=("client_secret",),
        secrets=("client_secret",),
        revoke_advice=(
            "No revocation URL is set, so the token was only forgotten here; it stays valid "
            "until it expires, so if it leaked, rotate the client secret at the authorization "
            "server (or set revoke_url for RFC 7009)."
        ),
    ),
    "jwt-bearer": Preset(
        style="jwt-bearer",
        title="JWT bearer grant (RFC 7523, Google service account)",
        defaults=MappingProxyType(
            {
                # Google: base_url https://oauth2.googleapis.com, so the token URL (and the
                # assertion's aud) is https://oauth2.googleapis.com/token.
                "token_url": "/token",
                "body_kind": "form",
                "body": {
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": "{assertion}",
                    "scope": "{settings.scope}",
                },
                # The assertion in the body is the client's proof: no Authorization header.
                "auth": "none",
                "assertion_iss": "{settings.client_email}",
                "assertion_aud": "{token_url}",
                # Google reads the scope from the assertion; sub only for domain-wide
                # delegation (claims that render empty are left out).
                "assertion_claims": {"scope": "{settings.scope}", "sub": "{settings.subject}"},
                "assertion_lifetime": 3600,
                "subject": "",
                "token_fields": ["access_token"],
                "test_url": "/jwt-bearer/whoami",
            }
        ),
        required_settings=("base_url", "client_email", "scope"),
        required_secrets=("private_key",),
        secrets=("private_key",),
        revoke_advice=(
            "No revocation URL is set, so the access token was only forgotten here; it stays "
            "valid until it expires (one hour at most), so if it leaked, delete the service "
            "account key at the provider (or set revoke_url for RFC 7009, e.g. "
            "https://oauth2.googleapis.com/revoke)."
        ),
    ),
}
"""Registry of provider styles by name; a credential's ``provider`` is one of these keys."""

"""Which settings the credential form asks for, in what order, and the one-line hint of each.

Headless data (no textual): the form builds its widgets from it, the save reads it back.
"""

from __future__ import annotations

import json
from typing import Any

from vault.core.providers import PRESETS
from vault.core.providers.engine import CHOICES, SETTING_KINDS, URL_SETTINGS, uses_assertion

OPTIONAL_SETTINGS: dict[str, tuple[str, ...]] = {
    "jwt-assertion": ("org_id",),
    "secret-exchange": ("lifetime",),
    "oauth2-client-credentials": ("scope",),
    "jwt-bearer": ("subject", "key_id"),
}
"""Settings worth a main field beyond each preset's required ones."""

HINTS: dict[str, str] = {
    "base_url": "https://api.example.com (http only for 127.0.0.1)",
    "lifetime": "token lifetime in seconds, 60 to 31536000 (empty: 86400)",
    "org_id": "Org ID sent with the first token request",
    "installation_id": "numeric installation id",
    "scope": "space-separated scopes (optional)",
    "client_email": "service account, e.g. reports@acme-prod.iam.gserviceaccount.com",
    "subject": "user to impersonate (domain-wide delegation; optional)",
    "key_id": "private_key_id from the key file, sent as kid (optional)",
    "jwt-bearer.base_url": "https://oauth2.googleapis.com for Google (token URL /token)",
    "jwt-bearer.scope": "space-separated scopes, e.g. https://www.googleapis.com/auth/…",
}
"""Placeholders of the main fields; a ``style.setting`` key wins for that style."""

ADVANCED_HINTS: dict[str, str] = {
    "token_url": "where tokens are asked for: a path under the base URL, or a full URL",
    "revoke_url": "where a token is revoked; empty: revoke only forgets it here",
    "test_url": "what the test call (T) GETs to check a token",
    "token_method": "HTTP method of the token request",
    "body_kind": "how the token request's body is encoded",
    "body": "token request body, a JSON object; {secret.NAME} and {settings.NAME} fill in",
    "query": "query parameters of the token request, a JSON object",
    "headers": "extra headers of the token request, a JSON object",
    "auth": "how the token request proves who is asking",
    "basic_user": "HTTP Basic user name (a template)",
    "basic_password": "HTTP Basic password (a template, e.g. {secret.client_secret})",
    "assertion_iss": "the assertion JWT's iss claim",
    "assertion_lifetime": "seconds the assertion JWT is valid",
    "assertion_iat_skew": "seconds iat is backdated (clock skew at the provider)",
    "assertion_aud": "the assertion JWT's aud claim",
    "assertion_claims": "extra claims of the assertion JWT, a JSON object",
    "key_id": "kid header of the assertion JWT",
    "org_id": "Org ID sent with the token request",
    "org_id_placement": "where the Org ID goes",
    "org_id_field": "the field or parameter name that carries the Org ID",
    "token_fields": "answer fields that may hold the token, comma-separated, first found wins",
    "token_type_fields": "answer fields that may hold the token type, comma-separated",
    "expiry_fields": "answer fields that may hold the expiry, comma-separated",
    "request_headers": "headers API calls send, a JSON object; {token} is the token",
    "revoke_method": "HTTP method of the revoke request",
    "revoke_kind": "rfc7009: form token=…; bearer: the token as Authorization",
    "revoke_auth": "how the revoke request authenticates the client",
    "lifetime": "token lifetime in seconds, when the answer does not say",
    "timeout": "seconds one provider call may take in all",
    "retry_tries": "tries on a timeout or a 5xx, 1 to 10",
    "retry_max_wait": "longest wait between tries, seconds",
    "allow_insecure_http": "true to allow http:// beyond 127.0.0.1 (never for real secrets)",
}
"""One line under each advanced field, saying what it does."""

_BASIC = ("basic_user", "basic_password")
_ASSERTION = (
    "assertion_iss",
    "assertion_lifetime",
    "assertion_iat_skew",
    "assertion_aud",
    "assertion_claims",
    "key_id",
)
_ORG = ("org_id", "org_id_placement", "org_id_field")
_ENGINE_WIDE = ("lifetime", "allow_insecure_http")
"""Settings without a common default that every style's engine still reads."""


def field_id(kind: str, key: str) -> str:
    """A form widget id: ``set-`` main setting, ``adv-`` advanced, ``sec-`` secret."""
    return f"{kind}-{key.replace('_', '-')}"


def main_settings(style: str) -> list[str]:
    """The settings asked for at the top of the form."""
    preset = PRESETS[style]
    return [*preset.required_settings, *OPTIONAL_SETTINGS.get(style, ())]


def advanced_settings(style: str, stored: dict[str, Any] | None = None) -> list[str]:
    """The other settings ``style`` uses, URLs first; a stored value always keeps its field.

    A setting the style's requests never read (HTTP Basic fields for an app token, the
    assertion's claims where nothing is signed) would only be noise, so it is left out.
    """
    preset = PRESETS[style]
    merged = preset.settings(stored)
    unused: set[str] = set()
    if merged.get("auth") != "basic":
        unused.update(_BASIC)
    if not uses_assertion(merged):
        unused.update(_ASSERTION)
    if merged.get("org_id_placement") in (None, "none"):
        unused.update(_ORG)
    keys = [*preset.settings(), *_ENGINE_WIDE]
    shown = set(main_settings(style))
    out = [
        k
        for k in dict.fromkeys(keys)
        if k in SETTING_KINDS and k not in shown and (k not in unused or (stored and k in stored))
    ]
    urls = [k for k in URL_SETTINGS if k in out]
    return urls + [k for k in out if k not in urls]


def choices(key: str) -> tuple[str, ...] | None:
    """The allowed values of an enum setting (shown as a select), else None."""
    return CHOICES.get(key)


def setting_text(value: Any) -> str:
    """A setting as the text its field shows (lists comma-separated, mappings as JSON)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

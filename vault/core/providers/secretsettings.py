"""Header API keys and a static Basic password kept as secrets, not as plain settings.

Settings are shown in clear (``show``, ``show --json``, the TUI) and typed on command lines;
secrets are encrypted alike but always masked and read from files, stdin or a prompt. A key
that lives in a header (``X-Api-Key``) or a fixed Basic password therefore belongs in the
secrets, with the setting holding only a template that names it: ``{secret.x_api_key}``.
The engine renders such templates already; this module binds them, and finds credentials
still kept as plain text so that they are masked on display and the user is told.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from vault.core.errors import UsageError
from vault.core.model import Credential, mask
from vault.core.providers.mask import SENSITIVE_HEADERS, Masker, header_secrets
from vault.core.providers.presets import PRESETS

HEADER_SETTINGS = {"header": "request_headers", "token-header": "headers"}
"""Target kinds of ``bind``: headers of API requests, or of the token request itself."""

BASIC_PASSWORD = "basic-password"
"""The ``bind`` target of the static HTTP Basic password (``auth=basic``)."""

_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # RFC 9110 field-name
_PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_.]+\}")
_ONE_SECRET = re.compile(r"\{secret\.([A-Za-z0-9_]+)\}")
_SCHEME = re.compile(r"^\s*(basic|bearer|token|digest|apikey)\b", re.I)
_SECRET_WORDS = ("key", "secret", "token", "password", "auth", "signature", "session")
"""Header names holding any of these words are taken as credentials."""


def secret_name(header: str) -> str:
    """The secret a header's value is kept in: ``X-Api-Key`` -> ``x_api_key``."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


def _sensitive(header: str) -> bool:
    low = header.lower()
    return low in SENSITIVE_HEADERS or any(word in low for word in _SECRET_WORDS)


def _literal(value: Any) -> bool:
    """Whether a template holds text of its own beyond placeholders and a scheme word."""
    if not isinstance(value, str):
        return False
    rest = _SCHEME.sub("", _PLACEHOLDER.sub("", value)).strip()
    return len(rest) >= 4


def bind(style: str, settings: Mapping[str, Any], target: str) -> tuple[dict[str, Any], str]:
    """Point a setting at a secret; return the new settings and the secret's name to fill.

    Args:
        style: the credential's provider style (its preset's headers are kept).
        settings: the credential's own settings.
        target: ``header:NAME`` (sent on API requests with the token), ``token-header:NAME``
            (sent on the token request) or ``basic-password``.

    Raises:
        UsageError: an unknown target or a header name HTTP does not allow.
    """
    result = dict(settings)
    if target == BASIC_PASSWORD:
        # The style's own Basic password is a secret already ({secret.client_secret}): drop
        # the plain override and fill that secret, so the style's requirements still hold.
        default = PRESETS[style].settings().get("basic_password") if style in PRESETS else None
        own = _ONE_SECRET.fullmatch(default) if isinstance(default, str) else None
        if own:
            result.pop("basic_password", None)
            return result, own.group(1)
        result["basic_password"] = "{secret.basic_password}"
        return result, "basic_password"
    kind, _, header = target.partition(":")
    key = HEADER_SETTINGS.get(kind)
    if key is None or not header:
        raise UsageError(
            f"--secret-for expects header:NAME, token-header:NAME or {BASIC_PASSWORD}, "
            f"not {target!r}."
        )
    if not _TOKEN_CHARS.match(header):
        raise UsageError(f"{header!r} is not a valid HTTP header name.")
    name = secret_name(header)
    merged = PRESETS[style].settings(settings) if style in PRESETS else dict(settings)
    headers = {k: v for k, v in dict(merged.get(key) or {}).items() if k.lower() != header.lower()}
    headers[header] = "{secret." + name + "}"
    result[key] = headers
    return result, name


def plain_secrets(settings: Mapping[str, Any]) -> list[str]:
    """Settings that hold a credential as plain text, e.g. ``["request_headers.X-Api-Key"]``."""
    found = []
    if _literal(settings.get("basic_password")):
        found.append("basic_password")
    for key in ("headers", "request_headers"):
        headers = settings.get(key)
        if isinstance(headers, Mapping):
            found += [f"{key}.{h}" for h, v in headers.items() if _sensitive(h) and _literal(v)]
    return found


def plain_values(settings: Mapping[str, Any]) -> list[str]:
    """The plain-text credentials themselves (to mask where a provider echoes them)."""
    values = []
    for label in plain_secrets(settings):
        key, _, header = label.partition(".")
        value = str(settings[key][header] if header else settings[key])
        values += [value, *header_secrets([(header or "authorization", value)])]
    return values


def masker(cred: Credential) -> Masker:
    """What must never show of ``cred`` in a provider's words: its secrets, its token and any
    credential kept as a plain setting (it went out in our requests all the same)."""
    known = [*cred.secrets.values(), *plain_values(cred.settings)]
    if cred.token is not None:
        known.append(cred.token.value)
    return Masker(known)


def masked(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` for display: credentials kept as plain text are masked like secrets."""
    shown = dict(settings)
    for label in plain_secrets(settings):
        key, _, header = label.partition(".")
        if header:
            shown[key] = {**shown[key], header: mask(str(settings[key][header]))}
        else:
            shown[key] = mask(str(settings[key]))
    return shown


def advice(name: str, settings: Mapping[str, Any]) -> str | None:
    """One sentence telling how to move plain-text credentials into secrets, or None."""
    labels = plain_secrets(settings)
    if not labels:
        return None
    first = labels[0]
    target = BASIC_PASSWORD if first == "basic_password" else ""
    if not target:
        key, _, header = first.partition(".")
        kind = next(k for k, v in HEADER_SETTINGS.items() if v == key)
        target = f"{kind}:{header}"
    return (
        f"the setting {' and '.join(labels)} of {name!r} holds a credential in plain text "
        f"(shown by `show`, typed on a command line); keep it as a secret with "
        f"`tokenvault edit {name} --secret-for {target} --secret-file FILE`."
    )


__all__ = [
    "BASIC_PASSWORD",
    "HEADER_SETTINGS",
    "advice",
    "bind",
    "masked",
    "masker",
    "plain_secrets",
    "plain_values",
]

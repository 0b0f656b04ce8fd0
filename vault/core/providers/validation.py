"""What a style's settings may hold, and the checks `add`, `edit` and the forms run on them.

Apart from the engine so that storing a credential never loads the network stack: `edit` and
`add` check settings but never talk to a provider (bench/peers.py times them against
`keepassxc-cli edit`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from vault.core.errors import UsageError
from vault.core.providers.presets import PRESETS, Preset

MAX_WINDOW = 3600
"""The longest any provider accepts for an assertion (Google's RFC 7523 ones: one hour)."""

REVOKE_AUTH = ("token", "none", "basic", "client-secret-post", "client-assertion")
"""The ways a revocation request can authenticate the client (see ``revocation``)."""

PLACEHOLDER = re.compile(
    r"\{(settings|secret)\.([A-Za-z0-9_]+)\}|\{(token|uuid4|token_url|assertion)\}"
)

REQUEST_ONLY = ("token_url", "assertion")
"""Placeholders that exist only while a token request is built."""

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}

# Kinds of every setting the engine reads, used to coerce `--set KEY=VALUE` text and to
# reject typos (an unknown key is more likely a mistake than a wish).
_STR, _INT, _FLOAT, _LIST, _DICT, _BOOL = "str", "int", "float", "list", "dict", "bool"
SETTING_KINDS: dict[str, str] = {
    "base_url": _STR,
    "token_url": _STR,
    "token_method": _STR,
    "body_kind": _STR,
    "body": _DICT,
    "query": _DICT,
    "headers": _DICT,
    "auth": _STR,
    "basic_user": _STR,
    "basic_password": _STR,
    "assertion_iss": _STR,
    "assertion_lifetime": _INT,
    "assertion_iat_skew": _INT,
    "assertion_aud": _STR,
    "assertion_claims": _DICT,
    "key_id": _STR,
    "org_id": _STR,
    "org_id_placement": _STR,
    "org_id_field": _STR,
    "token_fields": _LIST,
    "token_type_fields": _LIST,
    "expiry_fields": _LIST,
    "request_headers": _DICT,
    "revoke_url": _STR,
    "revoke_method": _STR,
    "revoke_kind": _STR,
    "revoke_auth": _STR,
    "test_url": _STR,
    "lifetime": _INT,
    "timeout": _FLOAT,
    "retry_tries": _INT,
    "retry_max_wait": _FLOAT,
    "allow_insecure_http": _BOOL,
    "app_id": _STR,
    "installation_id": _STR,
    "client_id": _STR,
    "client_email": _STR,
    "subject": _STR,
    "partition": _STR,
    "scope": _STR,
    "git_host": _STR,  # binds the credential to a git host for `tokenvault git-credential`
}

URL_SETTINGS = ("base_url", "token_url", "revoke_url", "test_url")
"""Settings holding a URL (``base_url`` absolute, the others absolute or a path under it)."""

CHOICES: dict[str, tuple[str, ...]] = {
    "token_method": ("POST", "GET", "PUT"),
    "body_kind": ("json", "form", "none"),
    "auth": ("none", "basic", "bearer-assertion"),
    "org_id_placement": ("body", "query", "claim", "none"),
    "revoke_method": ("POST", "DELETE"),
    "revoke_kind": ("rfc7009", "bearer"),
    "revoke_auth": REVOKE_AUTH,
}

RANGES: dict[str, tuple[float, float]] = {
    "assertion_lifetime": (1, MAX_WINDOW),
    "assertion_iat_skew": (0, 300),
    "timeout": (0.05, 120),
    "retry_tries": (1, 10),
    "retry_max_wait": (0, 60),
}


def preset_of(style: str) -> Preset:
    """The preset named ``style``; ``UsageError`` listing the known ones otherwise."""
    try:
        return PRESETS[style]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise UsageError(f"Unknown provider style {style!r}; choose one of {known}.") from None


def _coerce(key: str, value: Any) -> Any:
    kind = SETTING_KINDS[key]
    try:
        if kind == _STR:
            if not isinstance(value, str | int):
                raise TypeError
            return str(value).strip()
        if kind in (_INT, _FLOAT):
            if isinstance(value, bool):
                raise TypeError
            number = float(value) if kind == _FLOAT else int(str(value).strip().replace("_", ""))
            return number
        if kind == _BOOL:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if kind == _LIST:
            if isinstance(value, str):
                text = value.strip()
                parsed = json.loads(text) if text.startswith("[") else text.split(",")
            else:
                parsed = value
            if not isinstance(parsed, list | tuple):
                raise TypeError
            return [str(v).strip() for v in parsed if str(v).strip()]
        parsed = json.loads(value) if isinstance(value, str) else value
        if not isinstance(parsed, Mapping):
            raise TypeError
        return {str(k): v for k, v in parsed.items()}
    except (TypeError, ValueError):
        want = {
            _STR: "text",
            _INT: "a whole number",
            _FLOAT: "a number",
            _BOOL: "true or false",
            _LIST: "a comma-separated list or a JSON list",
            _DICT: "a JSON object",
        }[kind]
        raise UsageError(f"The setting {key!r} must be {want}.") from None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def usable_host(url: str) -> bool:
    """Whether ``url`` splits into a port from 0 to 65535 and a host :func:`_resolvable` passes."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return False
    return host is None or _resolvable(host)


def _resolvable(host: str) -> bool:
    """Whether ``host`` is an IP literal or a name whose labels DNS and IDNA can carry."""
    if ":" in host:  # an IPv6 literal (urlsplit checked its brackets)
        return True
    if not host.isascii() or "xn--" in host.lower():
        import idna  # httpx's own IDNA 2008 rule, loaded only for such names

        try:
            host = idna.encode(host.lower()).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return False
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(0 < len(label) <= 63 for label in labels)


def _check_url(key: str, value: str, *, absolute: bool, allow_http: bool) -> None:
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        # CR/LF in a URL would split the request line; say so without echoing the value.
        raise UsageError(f"The setting {key!r} must not hold spaces or control characters.")
    if not absolute and value.startswith("/"):
        return
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # "Invalid IPv6 URL": a bracket is missing
        raise UsageError(f"The setting {key!r} is not a URL the vault can read.") from None
    if not usable_host(value):  # a port that is no number from 0 to 65535
        raise UsageError(f"The setting {key!r} is not a URL the vault can read.")
    if parts.scheme not in ("http", "https") or not host:
        where = "an http(s) URL" if absolute else "an http(s) URL or a path starting with /"
        raise UsageError(f"The setting {key!r} must be {where}, not {value!r}.")
    if not _resolvable(host):
        # getaddrinfo or httpx would raise mid-request (UnicodeError, IDNAError), not refuse.
        raise UsageError(f"The setting {key!r} names a host no resolver can look up.")
    if parts.username or parts.password:
        raise UsageError(f"The setting {key!r} must not carry a user or password in the URL.")
    # Secrets travel in these requests: plain http is only for loopback (the simulator).
    if parts.scheme == "http" and not allow_http and not _is_loopback(host):
        raise UsageError(
            f"The setting {key!r} uses plain http to {host}; use https "
            "(or set allow_insecure_http=true if you really mean it)."
        )


def _template_refs(value: Any) -> set[tuple[str, str]]:
    refs: set[tuple[str, str]] = set()
    if isinstance(value, str):
        for m in PLACEHOLDER.finditer(value):
            if m.group(1):
                refs.add((m.group(1), m.group(2)))
    elif isinstance(value, Mapping):
        for v in value.values():
            refs |= _template_refs(v)
    elif isinstance(value, list):
        for v in value:
            refs |= _template_refs(v)
    return refs


def missing_requirements(
    style: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> list[str]:
    """What a credential still lacks before it can generate tokens, e.g. ``["setting 'app_id'"]``.

    Raises:
        UsageError: unknown style.
    """
    preset = preset_of(style)
    merged = preset.settings({k: v for k, v in settings.items() if k in SETTING_KINDS})
    missing = [f"setting {k!r}" for k in preset.required_settings if merged.get(k) in (None, "")]
    needed = list(preset.required_secrets)
    revoke_auth = merged.get("revoke_auth") if merged.get("revoke_url") else None
    signs = uses_assertion(merged) or revoke_auth == "client-assertion"
    if signs and "private_key" not in needed:
        needed.append("private_key")
    templated = list(_TEMPLATED)
    if merged.get("auth") == "basic" or revoke_auth in ("basic", "client-secret-post"):
        templated += ["basic_user", "basic_password"]
    if signs:
        templated += list(_ASSERTION_TEMPLATED)
    refs: set[tuple[str, str]] = set()
    for key in templated:
        refs |= _template_refs(merged.get(key))
    for kind, name in sorted(refs):
        if kind == "secret" and name not in needed:
            needed.append(name)
        elif kind == "settings" and merged.get(name) is None:
            label = f"setting {name!r}"
            if label not in missing:
                missing.append(label)
    missing += [f"secret {k!r}" for k in needed if not secrets.get(k)]
    return missing


_TEMPLATED = (
    "token_url",
    "body",
    "query",
    "headers",
    "request_headers",
    "revoke_url",
    "test_url",
)

_ASSERTION_TEMPLATED = ("assertion_iss", "assertion_aud", "assertion_claims", "key_id")
"""Settings read only when the token request carries a signed assertion."""


def uses_assertion(settings: Mapping[str, Any]) -> bool:
    """Whether token requests carry an RS256 assertion: in ``Authorization`` or in a template."""
    if settings.get("auth") == "bearer-assertion":
        return True
    return any(
        "{assertion}" in json.dumps(settings.get(key), default=str)
        for key in ("body", "query", "headers")
    )


def validate_settings(
    style: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
    *,
    deep: bool = True,
    complete: bool = True,
) -> dict[str, Any]:
    """Check a credential's settings and secrets; return the settings with types normalized.

    Args:
        style: a ``PRESETS`` key.
        settings: the credential's own settings (text from ``--set`` is coerced).
        secrets: the credential's secrets (only their presence and the PEM are checked).
        deep: also run the RSA key's consistency check (slow); the engine skips it for keys
            already stored, the CLI and TUI forms keep it for keys being stored.
        complete: require everything needed to generate a token; with False, only what is
            given is checked (``missing_requirements`` then says what is still to add).

    Raises:
        UsageError: one sentence naming the first problem (unknown style or setting, missing
            value, bad URL, unreadable PEM, lifetime out of range, template naming nothing).
    """
    preset = preset_of(style)
    normalized: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in SETTING_KINDS:
            raise UsageError(f"Unknown setting {key!r} for {style}.")
        normalized[key] = None if value is None else _coerce(key, value)
    merged = preset.settings(normalized)
    if complete:
        missing = missing_requirements(style, normalized, secrets)
        if missing:
            raise UsageError(f"{preset.title} needs the {missing[0]}.")
    for key, choices in CHOICES.items():
        value = merged.get(key)
        if isinstance(value, str):
            merged[key] = value = value.upper() if key.endswith("method") else value.lower()
            if key in normalized:
                normalized[key] = value
        if value not in choices:
            raise UsageError(f"The setting {key!r} must be one of {', '.join(choices)}.")
    for key, (low, high) in RANGES.items():
        if not low <= merged[key] <= high:
            raise UsageError(f"The setting {key!r} must be between {low:g} and {high:g}.")
    allow_http = bool(merged.get("allow_insecure_http"))
    for key in URL_SETTINGS:
        url = str(merged.get(key) or "")
        if url or (key == "token_url" and complete):
            _check_url(key, url, absolute=key == "base_url", allow_http=allow_http)
    lifetime = merged.get("lifetime")
    if lifetime is not None:
        low_l, high_l = preset.lifetime_range
        if not low_l <= lifetime <= high_l:
            raise UsageError(
                f"The token lifetime {lifetime:,} s is outside what {preset.title} accepts "
                f"({low_l:,} to {high_l:,} seconds)."
            )
    if not merged.get("token_fields"):
        raise UsageError("The setting 'token_fields' must name at least one answer field.")
    if secrets.get("private_key"):
        from vault.core.providers.assertion import load_private_key

        load_private_key(secrets["private_key"], check=deep)
    return normalized

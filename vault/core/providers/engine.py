"""The one token engine: builds token requests from settings and reads the answers.

Every provider style is a preset of this engine (``presets.PRESETS``), so a look-alike
provider (another host, path, field name or header) needs settings, not code.

Templates: string values in ``body``, ``query``, ``headers``, ``request_headers``, URLs and
the Basic/assertion fields may hold ``{settings.NAME}``, ``{secret.NAME}``, and, when a token
is attached to an API request, ``{token}`` and ``{uuid4}`` (fresh each time). A value that is
exactly one placeholder keeps the setting's type (``"{settings.lifetime}"`` stays a number).
Body and query entries that render empty are left out (an unset ``scope`` is not sent).

Token requests also know ``{token_url}`` (the absolute token URL, e.g. an RFC 7523 ``aud``)
and ``{assertion}`` (the signed RS256 client assertion, for a provider that wants it in the
body, such as the RFC 7523 JWT bearer grant, rather than in ``Authorization``). The assertion
is built only when ``auth`` is ``bearer-assertion`` or a template names ``{assertion}``.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from vault.core.clock import now
from vault.core.errors import ProviderError, UsageError
from vault.core.model import Credential, Token
from vault.core.providers import http, revocation
from vault.core.providers.assertion import build_assertion
from vault.core.providers.base import RevokeResult, SecretExpired, TokenResult
from vault.core.providers.expiry import BadExpiry, lookup, parse_expiry
from vault.core.providers.presets import COMMON_DEFAULTS
from vault.core.providers.tokencheck import check_token, check_token_type
from vault.core.providers.validation import (
    CHOICES,
    PLACEHOLDER,
    RANGES,
    REQUEST_ONLY,
    SETTING_KINDS,
    URL_SETTINGS,
    _is_loopback,
    missing_requirements,
    preset_of,
    uses_assertion,
    validate_settings,
)


class _Renderer:
    """Fills templates from settings and secrets; errors name keys, never values."""

    def __init__(self, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.settings = settings
        self.secrets = secrets

    def value(
        self,
        template: Any,
        *,
        token: str | None = None,
        in_url: bool = False,
        request: Mapping[str, str] | None = None,
    ) -> Any:
        """Render ``template``; ``request`` holds ``token_url`` and ``assertion`` when known."""
        if isinstance(template, Mapping):
            return {
                k: self.value(v, token=token, in_url=in_url, request=request)
                for k, v in template.items()
            }
        if isinstance(template, list):
            return [self.value(v, token=token, in_url=in_url, request=request) for v in template]
        if not isinstance(template, str):
            return template
        whole = PLACEHOLDER.fullmatch(template)
        if whole and not in_url:
            return self._lookup(whole, token, request)

        def repl(m: re.Match[str]) -> str:
            found = self._lookup(m, token, request)
            text = "" if found is None else str(found)
            return quote(text, safe="") if in_url else text

        return PLACEHOLDER.sub(repl, template)

    def text(
        self,
        template: Any,
        *,
        token: str | None = None,
        request: Mapping[str, str] | None = None,
    ) -> str:
        found = self.value(template, token=token, request=request)
        return "" if found is None else str(found)

    def _lookup(
        self, m: re.Match[str], token: str | None, request: Mapping[str, str] | None
    ) -> Any:
        if m.group(3) == "uuid4":
            return str(uuid.uuid4())
        if m.group(3) == "token":
            return token or ""
        if m.group(3) in REQUEST_ONLY:
            name = m.group(3)
            if request is None or name not in request:
                raise UsageError(
                    f"The placeholder {{{name}}} only works in the token request's body, query, "
                    "headers and assertion settings."
                )
            return request[name]
        kind, name = m.group(1), m.group(2)
        if kind == "secret":
            if name not in self.secrets:
                raise UsageError(f"The credential has no secret {name!r}, which a template uses.")
            return self.secrets[name]
        if self.settings.get(name) is None:
            raise UsageError(f"The credential has no setting {name!r}, which a template uses.")
        return self.settings[name]


def _per_request(template: Any) -> bool:
    """Whether a header template renders differently on every request (``{uuid4}``)."""
    return isinstance(template, str) and "{uuid4}" in template


def _drop_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


class Engine:
    """One credential's provider, driven entirely by its (merged) settings."""

    def __init__(
        self,
        style: str,
        settings: Mapping[str, Any],
        secrets: Mapping[str, str],
        *,
        secret_expires_at: datetime | None = None,
    ) -> None:
        self.preset = preset_of(style)
        normalized = validate_settings(style, settings, secrets, deep=False)
        self.settings = self.preset.settings(normalized)
        self._secrets = dict(secrets)
        self._render = _Renderer(self.settings, self._secrets)
        self.secret_expires_at = secret_expires_at
        self.policy = http.RetryPolicy(
            tries=int(self.settings["retry_tries"]),
            max_wait=float(self.settings["retry_max_wait"]),
        )

    def __repr__(self) -> str:
        return f"Engine({self.preset.style!r})"

    @property
    def timeout(self) -> float:
        return float(self.settings["timeout"])

    def request_extensions(self) -> dict[str, Any]:
        # Requests built by hand carry no client default: without this, no timeout at all.
        return {"timeout": httpx.Timeout(self.timeout).as_dict()}

    @property
    def remote_revoke(self) -> bool:
        return bool(self.settings.get("revoke_url"))

    def test_url(self) -> str:
        """The rendered ``test_url`` (the "test call" target), or "" when none is set."""
        return self.url("test_url") if self.settings.get("test_url") else ""

    # -- building --------------------------------------------------------------------------

    def url(self, key: str) -> str:
        url = str(self._render.value(self.settings[key], in_url=True))
        if url.startswith("/"):
            url = str(self.settings["base_url"]).rstrip("/") + url
        return url

    def basic_header(self) -> str:
        user = self._render.text(self.settings["basic_user"])
        password = self._render.text(self.settings["basic_password"])
        # RFC 6749 2.3.1: form-encode the parts before joining them.
        pair = f"{quote(user, safe='')}:{quote(password, safe='')}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def render(self, template: Any) -> str:
        """``template`` filled from settings and secrets (the result may hold a secret)."""
        return self._render.text(template)

    def secret_values(self) -> list[str]:
        """The credential's secrets, for scrubbing what a provider echoes back."""
        return list(self._secrets.values())

    def sign_assertion(
        self,
        at: datetime,
        claims: Mapping[str, Any],
        *,
        lifetime: int | None = None,
        iat_skew: int | None = None,
    ) -> str:
        """An RS256 assertion from ``assertion_iss`` and ``key_id`` plus ``claims``."""
        s = self.settings
        return build_assertion(
            private_key_pem=self._secrets["private_key"],
            issuer=self._render.text(s["assertion_iss"]),
            at=at,
            lifetime=int(s["assertion_lifetime"]) if lifetime is None else lifetime,
            iat_skew=int(s["assertion_iat_skew"]) if iat_skew is None else iat_skew,
            extra_claims=dict(claims),
            key_id=self._render.text(s["key_id"]) or None,
        )

    def check_ready(self, at: datetime) -> None:
        """Refuse before sending what the provider would refuse anyway (expired secret)."""
        expires = self.secret_expires_at
        if expires is not None and expires <= at:
            raise SecretExpired(
                f"the client secret expired on {expires.date().isoformat()} "
                f"({self.preset.secret_lifetime.days if self.preset.secret_lifetime else '?'} "
                "days after it was created), so the provider will not issue tokens with it; "
                "create a new secret at the provider and store it in the vault",
                status=None,
            )

    def token_request(self, at: datetime, *, sent: list[str] | None = None) -> httpx.Request:
        """The HTTP request that asks for a new token (it holds secrets: never log it).

        Args:
            sent: receives the signed assertion, a credential in its own right for its
                lifetime, so that a provider echoing it back is scrubbed like the secrets.
        """
        self.check_ready(at)
        s = self.settings
        url = self.url("token_url")
        known: dict[str, str] = {"token_url": url}
        org_id = s.get("org_id")
        placement, field = s["org_id_placement"], s["org_id_field"]
        if uses_assertion(s):
            # Built per request and dropped with it: the assertion is never stored.
            claims = _drop_empty(self._render.value(dict(s["assertion_claims"]), request=known))
            audience = self._render.text(s["assertion_aud"], request=known)
            if audience:
                claims["aud"] = audience
            if org_id and placement == "claim":
                claims[field] = org_id
            known["assertion"] = self.sign_assertion(at, claims)
            if sent is not None:
                sent.append(known["assertion"])
        headers: dict[str, str] = {
            k: self._render.text(v, request=known) for k, v in dict(s["headers"]).items()
        }
        headers.setdefault("Accept", "application/json")
        body = _drop_empty(self._render.value(dict(s["body"]), request=known))
        query = _drop_empty(self._render.value(dict(s["query"]), request=known))
        if org_id and placement == "body":
            body[field] = org_id
        elif org_id and placement == "query":
            query[field] = org_id
        if s["auth"] == "basic":
            headers["Authorization"] = self.basic_header()
        elif s["auth"] == "bearer-assertion":
            headers["Authorization"] = f"Bearer {known['assertion']}"
        content: bytes | None = None
        if s["body_kind"] == "json":
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif s["body_kind"] == "form":
            content = urlencode({k: str(v) for k, v in body.items()}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return httpx.Request(
            s["token_method"],
            url,
            params={k: str(v) for k, v in query.items()},
            headers=headers,
            content=content,
            extensions=self.request_extensions(),
        )

    # -- reading ---------------------------------------------------------------------------

    def _refused(
        self, response: httpx.Response, secrets: Iterable[str] | None = None
    ) -> ProviderError:
        return http.error_for(response, self._secrets.values() if secrets is None else secrets)

    def token_result(
        self,
        response: httpx.Response,
        issued_at: datetime,
        *,
        secrets: Iterable[str] | None = None,
    ) -> TokenResult:
        """Read a token answer; ``ProviderError`` for refusals and answers without a token.

        Args:
            secrets: what to scrub from quoted provider words (default: the credential's
                secrets; ``generate`` adds the assertion it sent).
        """
        scrubbed = list(self._secrets.values() if secrets is None else secrets)
        scrubbed += http.request_secrets(response.request)
        if not response.is_success:
            raise self._refused(response, scrubbed)
        where = http.host_of(response.request)
        status = http.status_text(response.status_code)
        ctype = response.headers.get("content-type", "").lower()
        if "html" in ctype:
            said = http.scrub(http.provider_message(response, scrubbed), scrubbed)
            raise ProviderError(
                f'{where} answered {status} with an HTML page ("{said}") instead of a token',
                status=response.status_code,
                provider_message=said or None,
            )
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise ProviderError(
                f"{where} answered {status} but the body is not valid JSON",
                status=response.status_code,
            ) from None
        if not isinstance(data, dict):
            raise ProviderError(
                f"{where} answered {status} with JSON that is not an object",
                status=response.status_code,
            )
        value = None
        for field in self.settings["token_fields"]:
            found = lookup(data, field)
            if isinstance(found, str) and found.strip():
                value = found.strip()
                break
        if value is not None:
            # Before anything reads or stores it: it will go into headers, git and terminals.
            check_token(value, where, response.status_code)
        if value is None:
            names = ", ".join(self.settings["token_fields"])
            raise ProviderError(
                f"{where} answered {status} without a token in any of the fields {names}",
                status=response.status_code,
            )
        token_type = "Bearer"
        for field in self.settings["token_type_fields"]:
            found = lookup(data, field)
            if isinstance(found, str) and found.strip():
                token_type = check_token_type(found.strip(), where, response.status_code)
                break
        try:
            expires_at, source = parse_expiry(
                data,
                value,
                issued_at,
                fields=self.settings["expiry_fields"],
                fixed_lifetime=self.settings.get("lifetime"),
            )
        except BadExpiry as exc:
            # Never "valid forever": an unreadable expiry refuses the whole answer.
            raise ProviderError(
                f"{where} answered {status} but {exc}, so the token was refused",
                status=response.status_code,
            ) from None
        if expires_at is not None and expires_at <= issued_at:
            raise ProviderError(
                f"{where} issued a token that had already expired "
                f"({expires_at.isoformat()}, from {source}); check both clocks",
                status=response.status_code,
            )
        return TokenResult(value, token_type, issued_at, expires_at, source)

    # -- the Provider interface ------------------------------------------------------------

    def generate(self, client: httpx.Client) -> TokenResult:
        at = now()
        sent: list[str] = []
        request = self.token_request(at, sent=sent)
        secrets = [*self._secrets.values(), *sent]
        response = http.send(client, request, policy=self.policy, secrets=secrets)
        return self.token_result(response, at, secrets=secrets)

    async def agenerate(self, client: httpx.AsyncClient) -> TokenResult:
        at = now()
        sent: list[str] = []
        request = self.token_request(at, sent=sent)
        secrets = [*self._secrets.values(), *sent]
        response = await http.asend(client, request, policy=self.policy, secrets=secrets)
        await response.aread()
        return self.token_result(response, at, secrets=secrets)

    def token_headers(self, token: Token, *, per_request: bool = False) -> dict[str, str]:
        """The ``request_headers`` that carry ``token``, rendered, in their configured order.

        Args:
            per_request: also render headers whose value is fresh on every request (a template
                with ``{uuid4}``, such as ``Request-ID``); without it they are left out, as a
                copied header must not replay one request's id on the next.
        """
        headers = {
            key: self._render.text(template, token=token.value)
            for key, template in dict(self.settings["request_headers"]).items()
            if per_request or not _per_request(template)
        }
        for key, value in headers.items():
            # httpx would raise UnicodeEncodeError mid-request; CR/LF would add a header line.
            if not value.isascii() or any(not ch.isprintable() for ch in value):
                raise UsageError(
                    f"The header {key!r} of this credential holds non-ASCII or control "
                    "characters, which HTTP headers cannot carry; fix the setting it comes from."
                )
        return headers

    def apply(self, request: httpx.Request, token: Token) -> None:
        """Attach ``token`` to ``request``: the one place a token leaves the vault over HTTP.

        Raises:
            UsageError: the request is plain http to a host other than loopback (anyone on
                the path would read the token), unless ``allow_insecure_http`` is set.
        """
        url = request.url
        if (
            url.scheme == "http"
            and not self.settings.get("allow_insecure_http")
            and not _is_loopback(url.host)
        ):
            raise UsageError(
                f"Refusing to send the token of this credential over plain http to {url.host}; "
                "use https (or set allow_insecure_http=true if you really mean it)."
            )
        request.headers.update(self.token_headers(token, per_request=True))

    def revoke_request(
        self, token: Token, *, sent: list[str] | None = None
    ) -> httpx.Request | None:
        """The request that kills ``token`` at the provider (``revocation.revoke_request``)."""
        return revocation.revoke_request(self, token, now(), sent=sent)

    def revoke(self, client: httpx.Client, token: Token) -> RevokeResult:
        """Revoke at the provider; ``ProviderError`` when it refused (``revocation.revoke``)."""
        return revocation.revoke(self, client, token)


def provider_for(credential: Credential) -> Engine:
    """The engine for a stored credential (its secret's own expiry included)."""
    preset = preset_of(credential.provider)
    expires = credential.secret_expires_at or preset.secret_expiry(credential.secret_created_at)
    return Engine(
        credential.provider,
        credential.settings,
        credential.secrets,
        secret_expires_at=expires,
    )


def header_lines(credential: Credential) -> list[str]:
    """The ``Name: value`` lines that authenticate a request with the credential's token.

    The same ``request_headers`` settings ``Engine.apply`` sends, minus per-request ones
    (``Request-ID``): ``["Authorization: Bearer …"]`` for most styles, ``App-ID`` and
    ``App-Token`` for app tokens. The lines hold the token: hand them to the clipboard only.

    Raises:
        UsageError: the credential has no token, or its settings are invalid.
    """
    if credential.token is None:
        raise UsageError(f"{credential.name!r} has no token yet; generate one first.")
    headers = provider_for(credential).token_headers(credential.token)
    return [f"{key}: {value}" for key, value in headers.items()]


# The settings checks live in `validation` (no network stack); they stay importable from here.
__all__ = [
    "CHOICES",
    "COMMON_DEFAULTS",
    "RANGES",
    "SETTING_KINDS",
    "URL_SETTINGS",
    "Engine",
    "header_lines",
    "missing_requirements",
    "preset_of",
    "provider_for",
    "uses_assertion",
    "validate_settings",
]

"""Revocation that tells the truth: build the request, then read the answer as the RFCs mean it.

RFC 7009 section 2.2: a revocation endpoint answers 200 for a token it revoked *and* for one
that was already dead, so a 2xx is the only success. Any other answer means nothing was
revoked: a 401 is the client failing to authenticate (RFC 6749 section 5.2,
``invalid_client``), not a verdict on the token, and a 503 means the token still exists
(RFC 7009 section 2.2.1). Only a ``bearer`` revocation (GitHub's ``DELETE /installation/token``,
where the token authenticates itself) may read a 401 as "the token is already dead".

How the revocation request authenticates the client is the ``revoke_auth`` setting:

- ``token``: as the token endpoint does (HTTP Basic when ``auth`` is ``basic``, otherwise the
  ``client_id``/``client_secret`` fields of the token body, if any), the default;
- ``none``: no client authentication (Google's revoke endpoint);
- ``basic`` / ``client-secret-post``: ``basic_user`` and ``basic_password`` (by default
  ``{settings.client_id}`` and ``{secret.client_secret}``) in a Basic header or in the form
  (RFC 6749 section 2.3.1);
- ``client-assertion``: a fresh RS256 JWT signed with the credential's private key in
  ``client_assertion`` (RFC 7523 section 2.2), with ``iss`` = ``sub`` = the ``assertion_iss``
  client id, ``aud`` = the token endpoint URL, a ``jti`` and a short ``exp`` (section 3).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from vault.core.clock import now
from vault.core.errors import ProviderError
from vault.core.model import Token
from vault.core.providers import http
from vault.core.providers.base import RevokeResult

if TYPE_CHECKING:
    from vault.core.providers.engine import Engine

# The ways a revocation request can authenticate the client (see the module docstring) are
# `validation.REVOKE_AUTH`: the settings checks use them and must not load httpx.

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""RFC 7523 section 2.2: the ``client_assertion_type`` of a JWT client assertion."""

ASSERTION_LIFETIME = 300
"""Seconds a revocation's client assertion lives: it proves one request, so it is short."""


def _client_form(engine: Engine, at: datetime, sent: list[str] | None) -> dict[str, str]:
    """The form fields (and, for Basic, nothing) that authenticate the client."""
    s = engine.settings
    mode = s["revoke_auth"]
    if mode == "client-assertion":
        client_id = engine.render(s["assertion_iss"])
        claims: dict[str, Any] = {
            "sub": client_id,
            "aud": engine.url("token_url"),
            # Authlib, among others, refuses a client assertion without a jti (replay guard).
            "jti": str(uuid.uuid4()),
        }
        assertion = engine.sign_assertion(
            at, claims, lifetime=min(ASSERTION_LIFETIME, int(s["assertion_lifetime"])), iat_skew=0
        )
        if sent is not None:
            sent.append(assertion)
        return {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}
    if mode == "client-secret-post":
        return {
            "client_id": engine.render(s["basic_user"]),
            "client_secret": engine.render(s["basic_password"]),
        }
    if mode == "token" and s["auth"] != "basic":
        # Only the client's own fields: the rest of the token body may name {assertion}.
        wanted = {k: v for k, v in dict(s["body"]).items() if k in ("client_id", "client_secret")}
        rendered = {k: engine.render(v) for k, v in wanted.items()}
        return {k: v for k, v in rendered.items() if v}
    return {}


def _uses_basic(settings: dict[str, Any]) -> bool:
    mode = settings["revoke_auth"]
    return mode == "basic" or (mode == "token" and settings["auth"] == "basic")


def revoke_request(
    engine: Engine, token: Token, at: datetime, *, sent: list[str] | None = None
) -> httpx.Request | None:
    """The request that kills ``token`` at the provider, or None where there is no endpoint.

    Args:
        sent: receives a client assertion built for the request, so that a provider echoing
            it back is scrubbed like the secrets.
    """
    if not engine.remote_revoke:
        return None
    s = engine.settings
    headers = {k: engine.render(v) for k, v in dict(s["headers"]).items()}
    if s["revoke_kind"] == "bearer":
        request = httpx.Request(
            s["revoke_method"],
            engine.url("revoke_url"),
            headers=headers,
            extensions=engine.request_extensions(),
        )
        engine.apply(request, token)
        return request
    # RFC 7009 section 2.1: the token in a form, the client authenticated as configured.
    form = {"token": token.value, "token_type_hint": "access_token"}
    form.update(_client_form(engine, at, sent))
    if _uses_basic(s):
        headers["Authorization"] = engine.basic_header()
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return httpx.Request(
        s["revoke_method"],
        engine.url("revoke_url"),
        headers=headers,
        content=urlencode(form).encode(),
        extensions=engine.request_extensions(),
    )


def read_answer(response: httpx.Response, kind: str, secrets: list[str]) -> RevokeResult:
    """What the provider's answer to a revocation means; ``ProviderError`` unless it revoked.

    Args:
        kind: the ``revoke_kind`` (``rfc7009`` or ``bearer``).
        secrets: what to scrub from the provider's quoted words.
    """
    where = http.host_of(response.request)
    status = http.status_text(response.status_code)
    if response.is_success:
        return RevokeResult(True, f"{where} revoked the token ({status}).")
    if response.status_code == 401 and kind == "bearer":
        # The token is its own credential here: a 401 means it no longer works at all.
        return RevokeResult(
            True, f"{where} no longer accepts the token ({status}); it is already dead there."
        )
    said = http.provider_message(response, [*secrets, *http.request_secrets(response.request)])
    quoted = f': "{said}"' if said else ""
    if response.status_code == 401:
        # RFC 6749 section 5.2: the client's own authentication failed, not the token.
        tail = ": the client failed to authenticate, so nothing was revoked"
    elif response.status_code == 503:
        # RFC 7009 section 2.2.1: the client must assume the token still exists.
        tail = "; the token still exists there, try again later"
    else:
        tail = ", so the token is still valid there"
    raise ProviderError(
        f"{where} refused to revoke the token ({status}{quoted}){tail}",
        status=response.status_code,
        provider_message=said or None,
    )


def revoke(engine: Engine, client: httpx.Client, token: Token) -> RevokeResult:
    """Revoke ``token`` at the provider, or say what to do there when it has no endpoint.

    Raises:
        ProviderError: the provider refused, failed or could not be reached; nothing was
            revoked, so the caller keeps the token.
    """
    sent: list[str] = []
    request = revoke_request(engine, token, now(), sent=sent)
    if request is None:
        return RevokeResult(remote=False, message=engine.preset.revoke_advice)
    secrets = [*engine.secret_values(), token.value, *sent]
    response = http.send(client, request, policy=engine.policy, secrets=secrets)
    return read_answer(response, engine.settings["revoke_kind"], secrets)

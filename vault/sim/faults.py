"""Injected faults: what a misbehaving provider answers instead of the real endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from vault.sim.messages import Response, json_response, text_response

FAULT_KINDS = frozenset(
    {"500", "503", "429", "403-rate", "401", "400", "403", "slow", "malformed", "html"}
)
"""Every kind ``inject_fault`` accepts (see docs/simulator.md)."""

_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The upstream gateway is down.</p></body></html>\n"
)
_PORTAL_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
    b"<body><h1>Sign in to continue</h1><form method='post'></form></body></html>\n"
)
# Cut mid-string, as a proxy that drops the connection's tail would leave it.
_TRUNCATED_JSON = b'{"access_token": "tr'


@dataclass
class Fault:
    """A fault waiting for the next ``remaining`` requests under ``path_prefix``."""

    path_prefix: str
    kind: str
    remaining: int
    retry_after: int | None = None
    """Seconds for the ``Retry-After`` header (429 always has one; 503 and 403-rate if set)."""
    delay: float | None = None
    """Seconds a ``slow`` fault waits before answering normally."""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}"
            )
        if not self.path_prefix.startswith("/"):
            raise ValueError("path_prefix must start with '/'")
        if self.remaining < 1:
            raise ValueError("count must be at least 1")
        if self.kind == "slow" and (self.delay is None or self.delay < 0):
            raise ValueError("a slow fault needs a delay of zero or more seconds")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")

    def response(self) -> Response | None:
        """The answer that replaces the endpoint's, or None when the endpoint still answers."""
        retry = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        match self.kind:
            case "500":
                return json_response(500, {"error": "internal server error"})
            case "503":
                return Response(503, _HTML_PAGE, "text/html; charset=utf-8", retry)
            case "429":
                headers = {"Retry-After": str(1 if self.retry_after is None else self.retry_after)}
                return json_response(429, {"error": "too many requests"}, headers)
            case "403-rate":
                return text_response(403, "Rate Limit Exceeded", retry)
            case "401":
                # RFC 6749 5.2: the client failed to authenticate (its secret was rotated, say).
                challenge = {"WWW-Authenticate": 'Basic realm="simulator"'}
                body = {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed.",
                }
                return json_response(401, body, challenge)
            case "400":
                # RFC 7009 2.2.1: the server does not revoke this type of token.
                body = {
                    "error": "unsupported_token_type",
                    "error_description": "This server does not revoke access tokens.",
                }
                return json_response(400, body)
            case "403":
                body = {"error": "access_denied", "error_description": "Revocation is disabled."}
                return json_response(403, body)
            case "malformed":
                return Response(200, _TRUNCATED_JSON, "application/json")
            case "html":
                return Response(200, _PORTAL_PAGE, "text/html; charset=utf-8")
        return None

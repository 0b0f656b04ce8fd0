"""The request and response values that pass between the HTTP plumbing and the endpoints."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


class BadRequestBody(ValueError):
    """The body is not the JSON object or form the endpoint needs."""


@dataclass(frozen=True)
class Request:
    """One HTTP request, already read off the socket in full."""

    method: str
    """Upper-case HTTP method."""
    path: str
    """The path without the query string."""
    query: dict[str, list[str]]
    """Query parameters, each with every value it was given."""
    headers: Message
    """Request headers; look-ups are case-insensitive."""
    body: bytes = b""
    """The raw body (never logged: it carries secrets)."""

    def header(self, name: str) -> str | None:
        """Return one header's value, or None when it is absent."""
        value = self.headers.get(name)
        return None if value is None else str(value)

    def json(self, *, optional: bool = False) -> dict[str, Any]:
        """Parse the body as a JSON object.

        Args:
            optional: an empty body counts as ``{}`` instead of an error.

        Raises:
            BadRequestBody: the body is not a JSON object.
        """
        if optional and not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadRequestBody("the request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise BadRequestBody("the request body must be a JSON object")
        return value

    def form(self) -> dict[str, str]:
        """Parse the body as ``application/x-www-form-urlencoded`` (first value of each field).

        Raises:
            BadRequestBody: the body is not ASCII (percent-encoding makes every form ASCII).
        """
        try:
            text = self.body.decode("ascii")
        except UnicodeDecodeError:
            raise BadRequestBody("the request body is not a form") from None
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        fields: dict[str, str] = {}
        for key, value in pairs:
            fields.setdefault(key, value)
        return fields

    def bearer(self, *, schemes: tuple[str, ...] = ("bearer",)) -> str | None:
        """Return the credential of an ``Authorization: <scheme> <value>`` header, or None."""
        value = self.header("Authorization")
        if value is None:
            return None
        scheme, _, credential = value.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() not in schemes or not credential:
            return None
        return credential


@dataclass(frozen=True)
class Response:
    """One HTTP answer; the server adds ``Content-Length`` from ``body``."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
    """Answer with a JSON document."""
    body = json.dumps(value, separators=(",", ":")).encode()
    return Response(status, body, "application/json", dict(headers or {}))


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """Answer with plain text, as some vendors do for errors."""
    return Response(status, text.encode(), "text/plain; charset=utf-8", dict(headers or {}))


def empty_response(status: int) -> Response:
    """Answer with no body at all (204, or a 200 whose content does not matter)."""
    return Response(status)

"""RFC 6749 error answers and form reading shared by the oauth2 and jwt-bearer styles."""

from __future__ import annotations

from vault.sim.messages import BadRequestBody, Request, Response, json_response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""RFC 6749 5.1: answers carrying tokens must not be cached."""


def error_response(
    status: int, error: str, description: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """An RFC 6749 5.2 ``{"error", "error_description"}`` answer, so both styles share one shape."""
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return json_response(status, body, headers)


def invalid_token(description: str | None = None) -> Response:
    """RFC 6750 3.1's 401 for a bad bearer token, so both styles send the same challenge."""
    return error_response(
        401, "invalid_token", description, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def form_or_error(
    request: Request, headers: dict[str, str] | None = None
) -> dict[str, str] | Response:
    """The request's form, or the invalid_request answer, so both styles reject a bad body alike."""
    try:
        return request.form()
    except BadRequestBody as exc:
        return error_response(400, "invalid_request", str(exc), headers)


def missing_field(name: str, headers: dict[str, str] | None = None) -> Response:
    """The invalid_request answer for an absent or empty form field, worded once for both styles."""
    return error_response(400, "invalid_request", f"{name} is missing.", headers)

"""The ``/_sim/`` control API: the Python calls of ``Simulator`` over HTTP, JSON in and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vault.core.clock import iso, parse_utc
from vault.sim.faults import Fault
from vault.sim.messages import BadRequestBody, Request, Response, json_response
from vault.sim.routes import Route
from vault.sim.state import STYLES, SimState

_OK = {"ok": True}


class _BadControl(ValueError):
    """A control call with a missing or ill-typed field."""


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise _BadControl(f"{name} must be a non-empty string")
    return value


def _number(body: dict[str, Any], name: str, default: float | None = None) -> float | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadControl(f"{name} must be a number")
    return float(value)


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if not isinstance(value, list):
        raise _BadControl(f"{name} must be a list")
    return value


def _register(state: SimState, body: dict[str, Any]) -> None:
    style = body.get("style")
    if style == "app-token":
        state.register_app_token_app(_text(body, "app_id"), _text(body, "app_secret"))
    elif style == "jwt-assertion":
        state.register_jwt_app(
            _text(body, "app_id"), _text(body, "public_key_pem"), _text(body, "org_id")
        )
    elif style == "github-app":
        ids = _list(body, "installation_ids")
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise _BadControl("installation_ids must be a list of integers")
        state.register_github_app(_text(body, "app_id"), _text(body, "public_key_pem"), ids)
    elif style == "secret-exchange":
        created_at = parse_utc(_text(body, "created_at"))
        state.register_shiftiq_secret(_text(body, "partition"), _text(body, "secret"), created_at)
    elif style == "oauth2":
        scopes = _list(body, "scopes")
        if not all(isinstance(s, str) for s in scopes):
            raise _BadControl("scopes must be a list of strings")
        state.register_oauth_client(_text(body, "client_id"), _text(body, "client_secret"), scopes)
    elif style == "jwt-bearer":
        scopes = _list(body, "scopes")
        if not all(isinstance(s, str) for s in scopes):
            raise _BadControl("scopes must be a list of strings")
        state.register_jwt_bearer_client(
            _text(body, "client_email"), _text(body, "public_key_pem"), scopes
        )
    else:
        raise _BadControl(f"style must be one of {list(STYLES)}")


def _call(action: Callable[[dict[str, Any]], Any]) -> Callable[[SimState, Request], Response]:
    """Wrap a control action: parse the JSON body, turn bad input into a 400."""

    def run(state: SimState, request: Request) -> Response:
        try:
            body = request.json(optional=True)
            return json_response(200, action(body))
        except (BadRequestBody, ValueError) as exc:
            # ValueError also covers a bad PEM, a bad ISO date and an unknown fault kind.
            return json_response(400, {"error": str(exc)})

    return run


def register(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sim/register``: ``{"style": ..., <fields of the Python call>}``."""

    def add(body: dict[str, Any]) -> dict[str, Any]:
        _register(state, body)
        return _OK

    return _call(add)(state, request)


def clock(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sim/clock``: ``{"shift": seconds}``; answers the new server time."""

    def shift(body: dict[str, Any]) -> dict[str, Any]:
        return {"now": iso(state.shift_clock(_number(body, "shift", 0.0) or 0.0))}

    return _call(shift)(state, request)


def invalidate(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sim/invalidate``: ``{"style": null}``; answers how many tokens died."""

    def kill(body: dict[str, Any]) -> dict[str, Any]:
        style = body.get("style")
        if style is not None and not isinstance(style, str):
            raise _BadControl("style must be a string or null")
        return {"invalidated": state.invalidate_tokens(style)}

    return _call(kill)(state, request)


def fault(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sim/fault``: ``{"path_prefix", "kind", "count", "retry_after", "delay"}``."""

    def queue(body: dict[str, Any]) -> dict[str, Any]:
        count = _number(body, "count", 1)
        retry_after = _number(body, "retry_after")
        if count is None or count != int(count):
            raise _BadControl("count must be a whole number")
        if retry_after is not None and retry_after != int(retry_after):
            raise _BadControl("retry_after must be a whole number of seconds")
        state.add_fault(
            Fault(
                _text(body, "path_prefix"),
                _text(body, "kind"),
                int(count),
                None if retry_after is None else int(retry_after),
                _number(body, "delay"),
            )
        )
        return _OK

    return _call(queue)(state, request)


def counters(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /_sim/counters``: every counter by key."""
    return json_response(200, state.counters())


def reset(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sim/reset``: every counter back to zero (apps, tokens and faults stay)."""
    state.reset_counters()
    return json_response(200, _OK)


ROUTES = (
    Route("POST", "/_sim/register", register),
    Route("POST", "/_sim/clock", clock),
    Route("POST", "/_sim/invalidate", invalidate),
    Route("POST", "/_sim/fault", fault),
    Route("GET", "/_sim/counters", counters),
    Route("POST", "/_sim/reset", reset),
)

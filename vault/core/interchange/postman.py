"""Postman v2.1 environments and collections as credentials (docs/guide.md, "Importing").

Shapes, from Postman's published formats:

- Environment export: ``{"id", "name", "values": [{"key", "value", "type": "default" |
  "secret" (older exports: "text"), "enabled"}], "_postman_variable_scope": "environment",
  "_postman_exported_at", "_postman_exported_using"}``.
- Collection v2.1.0 (schema.getpostman.com/json/collection/v2.1.0/collection.json): ``auth``
  (``#/definitions/auth``: ``{"type": "oauth2", "oauth2": [auth-attribute...]}`` where an
  auth-attribute is ``{"key", "value", "type"}``) may sit on the collection, on a folder
  (an item with ``item``) and on a request (``item.request.auth``). Postman's OAuth 2.0 keys:
  ``grant_type``, ``accessTokenUrl``, ``clientId``, ``clientSecret``, ``scope``,
  ``client_authentication`` (``header``: HTTP Basic, Postman's default; ``body``: in the form).

An environment alone is one credential (``--name``, ``--provider``): variables named like one
of the style's settings or secrets (``baseUrl`` and ``base_url`` both mean ``base_url``)
become those; anything else is left out and listed. With a collection, every distinct OAuth 2.0
client-credentials auth becomes an ``oauth2-client-credentials`` credential, its ``{{var}}``
references filled from the environment, then from the collection's own ``variable`` list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from vault.core.errors import UsageError
from vault.core.interchange.plan import Planned, field_kind, secret_value, setting_value

OAUTH2_STYLE = "oauth2-client-credentials"

_VARIABLE = re.compile(r"\{\{([^{}]*)\}\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")

Variables = dict[str, tuple[Any, bool]]
"""Postman variables by key: (value, marked secret)."""


def field_name(key: str) -> str:
    """A Postman variable key as a vault field: ``baseUrl``, ``base-url`` -> ``base_url``."""
    return re.sub(r"[^a-z0-9]+", "_", _CAMEL.sub(r"_\1", key).lower()).strip("_")


def _entries(values: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise UsageError(f"The {what} is not a Postman export: its variables are not a list.")
    return values


def environment_variables(data: Any) -> tuple[str, Variables]:
    """The environment's name and its enabled variables (disabled ones are Postman's too)."""
    if not isinstance(data, dict) or "values" not in data:
        raise UsageError(
            "The environment file is not a Postman environment export (it has no 'values')."
        )
    scope = data.get("_postman_variable_scope", "environment")
    if scope != "environment":
        raise UsageError(
            f"The environment file holds Postman {setting_value(scope, 'scope')} variables, "
            "not an environment; export the environment itself."
        )
    found: Variables = {}
    for entry in _entries(data["values"], "environment file"):
        key = entry.get("key")
        if not isinstance(key, str) or not key:
            raise UsageError("The environment file has a variable without a key.")
        setting_value(key, "A variable's key")  # no control characters in what we print
        if entry.get("enabled", True) is False:
            continue
        found[key] = (entry.get("value", ""), entry.get("type") == "secret")
    name = data.get("name")
    return (name if isinstance(name, str) else ""), found


def from_environment(env: Any, *, name: str | None, style: str) -> Planned:
    """An environment that is one credential of ``style``."""
    env_name, variables = environment_variables(env)
    plan = Planned(
        name=name or env_name, provider=style, source=f"Postman environment {env_name!r}"
    )
    if not plan.name:
        raise UsageError("The environment has no name; give one with --name.")
    for key, (value, secret) in variables.items():
        target = field_name(key)
        kind = field_kind(style, target)
        if kind == "secret":
            plan.secrets[target] = secret_value(value, f"The environment variable {key!r}")
        elif kind == "setting" and secret:
            # Stored as a setting it would be shown by `show`; as a secret nothing reads it.
            raise UsageError(
                f"The environment variable {key!r} is marked secret, but {target} is a "
                f"setting of {style}, which the vault shows; change its type in Postman or "
                "remove it, then import again."
            )
        elif kind == "setting":
            if value in ("", None):
                plan.skipped.append(f"{key} (empty)")
                continue
            plan.settings[target] = setting_value(value, f"The environment variable {key!r}")
        else:
            why = "a secret" if secret else "a variable"
            plan.skipped.append(f"{key} ({why} that is no field of {style})")
    return plan


# -- collections -------------------------------------------------------------------------------


def _check_version(data: Any) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("info"), dict):
        raise UsageError("The collection file is not a Postman collection (it has no 'info').")
    schema = data["info"].get("schema", "")
    if not isinstance(schema, str) or "/v2.1" not in schema:
        raise UsageError(
            "The collection is not in the Postman Collection v2.1 format; export it again "
            "from Postman choosing 'Collection v2.1'."
        )


def _label(item: Mapping[str, Any]) -> str:
    name = item.get("name", "")
    return setting_value(name, "A collection item's name") if name is not None else ""


def _auth_blocks(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every ``auth`` object as (where, its own name, auth), collection first, in order."""
    own = _label(data["info"])
    blocks: list[tuple[str, str, Any]] = [(f"collection {own!r}", own, data.get("auth"))]
    todo: list[tuple[str, Any]] = [("", data.get("item", []))]
    while todo:
        parent, items = todo.pop(0)
        if not isinstance(items, list):
            raise UsageError("The collection's 'item' is not a list.")
        for item in items:
            if not isinstance(item, dict):
                raise UsageError("The collection holds an item that is not an object.")
            own = _label(item)
            path = f"{parent}/{own}" if parent else own
            if "item" in item:  # a folder
                blocks.append((f"folder {path!r}", own, item.get("auth")))
                todo.append((path, item["item"]))
            elif isinstance(item.get("request"), dict):
                blocks.append((f"request {path!r}", own, item["request"].get("auth")))
    return [block for block in blocks if block[2] is not None]


def _attributes(auth: Any, where: str) -> dict[str, Any] | None:
    """The OAuth 2.0 attributes of an auth object, or None when it is another kind."""
    if not isinstance(auth, dict) or auth.get("type") != "oauth2":
        return None
    attrs = auth.get("oauth2")
    if not isinstance(attrs, list):
        raise UsageError(f"The OAuth 2.0 auth of the {where} is not a list of attributes.")
    found: dict[str, Any] = {}
    for attr in attrs:
        if not isinstance(attr, dict) or not isinstance(attr.get("key"), str):
            raise UsageError(f"The OAuth 2.0 auth of the {where} has an attribute without a key.")
        found[attr["key"]] = attr.get("value")
    return found


def _resolver(variables: Variables) -> Any:
    def resolve(value: Any, what: str) -> Any:
        if not isinstance(value, str):
            return value

        def one(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in variables:
                raise UsageError(
                    f"{what} uses {{{{{setting_value(key, 'A variable name')}}}}}, which "
                    "neither the environment nor the collection defines; pass the "
                    "environment it comes from."
                )
            found = variables[key][0]
            return found if isinstance(found, str) else str(found)

        return _VARIABLE.sub(one, value)  # one pass: Postman's nested references are rare

    return resolve


def from_collection(
    data: Any, variables: Variables, *, name: str | None
) -> tuple[list[Planned], list[str]]:
    """The collection's client-credentials auths as credentials, and the auths left out.

    ``variables`` are the environment's; the collection's own ``variable`` list fills the
    rest (the environment wins, as in Postman).
    """
    _check_version(data)
    merged: Variables = {}
    for entry in _entries(data.get("variable", []), "collection file"):
        if isinstance(entry.get("key"), str) and not entry.get("disabled", False):
            merged[entry["key"]] = (entry.get("value", ""), False)
    merged.update(variables)
    resolve = _resolver(merged)
    plans: list[Planned] = []
    seen: dict[tuple[Any, ...], Planned] = {}
    left_out: list[str] = []
    for where, own, auth in _auth_blocks(data):
        attrs = _attributes(auth, where)
        if attrs is None:
            continue
        grant = attrs.get("grant_type", "authorization_code")  # Postman's default grant
        if grant != "client_credentials":
            left_out.append(f"the OAuth 2.0 auth of the {where} ({setting_value(grant, 'grant')})")
            continue
        plan = _oauth2_plan(attrs, where, own, resolve)
        key = (plan.settings.get("base_url"), plan.settings.get("token_url"),
               plan.settings.get("client_id"), plan.settings.get("scope"),
               plan.settings.get("auth"), plan.secrets.get("client_secret"))  # fmt: skip
        if key in seen:
            continue  # requests often repeat their collection's auth: one credential
        seen[key] = plan
        plans.append(plan)
    if not plans:
        raise UsageError(
            "The collection has no OAuth 2.0 auth with the client-credentials grant; nothing "
            "was imported."
        )
    if name is not None:
        if len(plans) > 1:
            raise UsageError(
                f"The collection has {len(plans)} different client-credentials auths, so --name "
                "cannot name them all; leave --name out (each is named by its token name, or "
                "where it sits) or import them one by one."
            )
        plans[0].name = name
    return plans, left_out


def _oauth2_plan(attrs: Mapping[str, Any], where: str, own: str, resolve: Any) -> Planned:
    what = f"The OAuth 2.0 auth of the {where}"
    url = setting_value(resolve(attrs.get("accessTokenUrl", ""), f"{what}'s accessTokenUrl"),
                        f"{what}'s accessTokenUrl")  # fmt: skip
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} has no absolute http(s) access token URL.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    settings: dict[str, Any] = {
        "base_url": f"{parts.scheme}://{parts.netloc}",
        "token_url": path,
    }
    client_id = resolve(attrs.get("clientId", ""), f"{what}'s clientId")
    if client_id not in ("", None):
        settings["client_id"] = setting_value(client_id, f"{what}'s clientId")
    scope = resolve(attrs.get("scope", ""), f"{what}'s scope")
    if scope not in ("", None):
        settings["scope"] = setting_value(scope, f"{what}'s scope")
    placement = attrs.get("client_authentication", "header")
    if placement == "body":
        # RFC 6749 2.3.1: client_id and client_secret in the form instead of HTTP Basic.
        settings["auth"] = "none"
        settings["body"] = {
            "grant_type": "client_credentials",
            "scope": "{settings.scope}",
            "client_id": "{settings.client_id}",
            "client_secret": "{secret.client_secret}",
        }
    elif placement != "header":
        raise UsageError(f"{what} sends the client as {placement!r}; expected header or body.")
    secrets: dict[str, str] = {}
    raw_secret = resolve(attrs.get("clientSecret", ""), f"{what}'s clientSecret")
    if raw_secret not in ("", None):
        secrets["client_secret"] = secret_value(raw_secret, f"{what}'s clientSecret")
    token_name = attrs.get("tokenName")
    label = token_name if isinstance(token_name, str) and token_name.strip() else own
    return Planned(name=label, provider=OAUTH2_STYLE, settings=settings, secrets=secrets,
                   source=f"Postman {where}")  # fmt: skip

"""Fresh tokens written for other tools: dotenv, a Postman environment, or JSON (docs/guide.md).

Only tokens leave the vault this way, never a root secret: each format is built from
:class:`Exported` records, which carry nothing else. Every format starts with a mark of its
own (:func:`written_by_us`), so a later export may replace a file an earlier one wrote while
refusing to overwrite anything else.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from vault import __version__
from vault.core.clock import iso, now
from vault.core.errors import UsageError

FORMATS = ("dotenv", "postman-env", "json")

DOTENV_MARK = "# Written by tokenvault export"
"""First line of a dotenv export (the rest of the line says what the file is)."""

POSTMAN_MARK = "tokenvault/"
"""Start of ``_postman_exported_using`` in a postman-env export, e.g. ``tokenvault/0.9.0``."""

JSON_MARK = "tokenvault_export"
"""Top-level key of a JSON export, holding the shape's version."""

JSON_VERSION = 1

_SAFE = re.compile(r"[A-Za-z0-9._~+/=:-]*")


@dataclass(frozen=True)
class Exported:
    """One credential's token as exported."""

    name: str
    provider: str
    token: str = field(repr=False)
    token_type: str
    expires_at: datetime | None


def prefix(name: str) -> str:
    """The variable prefix of a credential: upper-cased, every non-alphanumeric as ``_``,
    and ``_`` in front of a leading digit (``reports-oauth`` -> ``REPORTS_OAUTH``)."""
    text = re.sub(r"[^A-Z0-9]", "_", name.upper().encode("ascii", "replace").decode())
    return f"_{text}" if text[:1].isdigit() else text


def check_prefixes(names: Sequence[str]) -> None:
    """Refuse two credentials whose variables would collide (``a-b`` and ``a.b``)."""
    seen: dict[str, str] = {}
    for name in names:
        key = prefix(name)
        if key in seen and seen[key] != name:
            raise UsageError(
                f"{seen[key]!r} and {name!r} would both be exported as {key}_TOKEN; export "
                "them to separate files."
            )
        seen[key] = name


def _expiry(item: Exported) -> str:
    # Whole seconds in UTC with a Z: what `date -d` and most parsers take as they are.
    return iso(item.expires_at.replace(microsecond=0)) or "" if item.expires_at else ""


def _dotenv_value(value: str) -> str:
    if _SAFE.fullmatch(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    # The provider chose these characters, and people load a .env with `set -a; . FILE`: in
    # double quotes bash still runs `...` and $(...), so every one of \ " $ ` is escaped
    # (docker compose's and godotenv's parsers read each \X back as X too).
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    escaped = escaped.replace("`", "\\`")
    return f'"{escaped}"'


def render(items: Sequence[Exported], fmt: str) -> str:
    """The export file's text in ``fmt`` (one of ``FORMATS``)."""
    check_prefixes([item.name for item in items])
    at = iso(now().replace(microsecond=0)) or ""
    if fmt == "dotenv":
        lines = [f"{DOTENV_MARK} at {at}: access tokens, never root secrets; a later export "
                 "may replace this file."]  # fmt: skip
        for item in items:
            key = prefix(item.name)
            lines.append(f"{key}_TOKEN={_dotenv_value(item.token)}")
            lines.append(f"{key}_EXPIRES_AT={_expiry(item)}")
        return "\n".join(lines) + "\n"
    if fmt == "postman-env":
        values = []
        for item in items:
            key = prefix(item.name)
            values.append({"key": f"{key}_TOKEN", "value": item.token, "type": "secret",
                           "enabled": True})  # fmt: skip
            values.append({"key": f"{key}_EXPIRES_AT", "value": _expiry(item),
                           "type": "default", "enabled": True})  # fmt: skip
        document = {
            "id": str(uuid.uuid4()),
            "name": "tokenvault export",
            "values": values,
            "_postman_variable_scope": "environment",
            "_postman_exported_at": at,
            "_postman_exported_using": f"{POSTMAN_MARK}{__version__}",
        }
        return json.dumps(document, indent=2) + "\n"
    if fmt == "json":
        shaped: dict[str, object] = {
            JSON_MARK: JSON_VERSION,
            "exported_at": at,
            "credentials": [
                {
                    "name": item.name,
                    "provider": item.provider,
                    "variable": prefix(item.name),
                    "token": item.token,
                    "token_type": item.token_type,
                    "expires_at": _expiry(item) or None,
                }
                for item in items
            ],
        }
        return json.dumps(shaped, indent=2) + "\n"
    raise UsageError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def written_by_us(text: str) -> bool:
    """Whether ``text`` is a file some ``tokenvault export`` wrote (any of the formats)."""
    if text.startswith(DOTENV_MARK):
        return True
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    using = data.get("_postman_exported_using")
    if isinstance(using, str) and using.startswith(POSTMAN_MARK):
        return True
    return data.get(JSON_MARK) == JSON_VERSION

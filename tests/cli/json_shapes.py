"""The one documented JSON shape of every command with `--json`: field -> (type, required).

docs/guide.md's "JSON output" table lists exactly these fields with these types
(tests/docs/test_json_shapes_doc.py); tests/cli/test_json_shapes.py runs each command and
checks its output against them: every required key present, no undocumented key, each value
of the documented type. Types: string, integer, boolean, object, array, null, joined by ``|``.
"""

from __future__ import annotations

from typing import Any

Shape = dict[str, tuple[str, bool]]

_ROW: Shape = {
    "name": ("string", True),
    "provider": ("string", True),
    "status": ("string", True),
    "expires_at": ("string|null", True),
    "seconds_left": ("integer|null", True),
    "secret_expires_at": ("string|null", True),
    "secret_seconds_left": ("integer|null", True),
    "last_error": ("string|null", True),
}

SHAPES: dict[str, Shape] = {
    # `list --json` is an array of these objects, one per credential, sorted by name.
    "list --json": _ROW,
    "show --json": {
        **_ROW,
        "settings": ("object", True),
        "secrets": ("object", True),
        "secret_created_at": ("string|null", True),
        "token": ("object|null", True),
        "revoked": ("boolean", True),
        "policy": ("object", True),
        "history": ("array", True),
    },
    "status --json": {
        "locked": ("boolean", True),
        "problem": ("string", False),
        "credentials": ("integer", False),
        "valid": ("integer", False),
        "expiring": ("integer", False),
        "expired": ("integer", False),
        "missing": ("integer", False),
        "revoked": ("integer", False),
        "error": ("integer", False),
        "next_expiry": ("object|null", False),
    },
    "agent status --json": {
        "running": ("boolean", True),
        "vault": ("string", True),
        "problem": ("string", False),
        "pid": ("integer", False),
        "started_at": ("string", False),
        "idle_timeout": ("integer", False),
        "seconds_left": ("integer", False),
        "locks_at": ("string", False),
        "reminders": ("object", False),
        "refresh": ("object|null", False),
    },
    "doctor --json": {
        "version": ("integer", True),
        "healthy": ("boolean", True),
        "checked_at": ("string", True),
        "within_seconds": ("integer", True),
        "vault": ("string", True),
        "credentials": ("integer|null", True),
        "agent": ("string", True),
        "problems": ("array", True),
    },
}

ARRAYS = frozenset({"list --json"})
"""Commands whose output is an array of objects of the shape, not one object."""

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def _is(value: Any, kind: str) -> bool:
    for name in kind.split("|"):
        if name == "integer" and isinstance(value, bool):
            continue  # JSON true is not a number
        if isinstance(value, _TYPES[name]):
            return True
    return False


def problems(command: str, document: Any) -> list[str]:
    """Where ``document`` departs from the shape of ``command`` (empty: it fits)."""
    shape = SHAPES[command]
    if command in ARRAYS:
        if not isinstance(document, list):
            return [f"{command}: not an array"]
        objects = document
    else:
        objects = [document]
    found = []
    for obj in objects:
        if not isinstance(obj, dict):
            found.append(f"{command}: an element is not an object")
            continue
        for key in sorted(set(obj) - set(shape)):
            found.append(f"{command}: undocumented key {key!r}")
        for key, (kind, required) in shape.items():
            if key not in obj:
                if required:
                    found.append(f"{command}: missing key {key!r}")
            elif not _is(obj[key], kind):
                found.append(f"{command}: {key!r} is {type(obj[key]).__name__}, not {kind}")
    return found

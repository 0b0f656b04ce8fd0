"""Reading an import file: regular files only, bounded size, UTF-8, and for JSON bounded depth.

An import file comes from elsewhere (a shared Postman export, a repository's ``.env``): it is
untrusted input. A FIFO or ``/dev/zero`` must not be read forever, a huge file must not be
loaded whole, and JSON nested thousands deep must not exhaust the stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vault.core.errors import UsageError
from vault.core.safefile import read_bounded

MAX_IMPORT_BYTES = 8 * 1024 * 1024
"""Largest import file: a big Postman collection with saved responses is a few MiB."""

MAX_JSON_DEPTH = 64
"""Deepest nesting accepted; a collection's folders nest about two levels per folder."""


def read_text(path: Path, what: str) -> str:
    """The whole file as text, or one sentence saying why it cannot be used."""
    try:
        raw = read_bounded(path, what, MAX_IMPORT_BYTES, UsageError)
    except FileNotFoundError:
        raise UsageError(f"Cannot read the {what} {path}: it does not exist.") from None
    try:
        return raw.decode("utf-8-sig")  # Windows editors save a BOM
    except UnicodeDecodeError:
        raise UsageError(f"The {what} {path} is not UTF-8 text.") from None


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def read_json(path: Path, what: str) -> Any:
    """The file parsed as strict JSON (no NaN/Infinity), at most ``MAX_JSON_DEPTH`` deep."""
    text = read_text(path, what)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise UsageError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise UsageError(f"The {what} {path} is not valid JSON{where}.") from None
    if depth(data) > MAX_JSON_DEPTH:
        raise UsageError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels.")
    return data


def depth(value: Any) -> int:
    """How deep ``value`` nests, walked without recursion (the parser already recursed once)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            return level  # enough to refuse; no need to walk the rest
        stack.extend((child, level + 1) for child in children)
    return deepest

"""A strict ``.env`` reader and ``--map VAR=NAME:FIELD`` onto credentials (docs/guide.md).

The grammar, one assignment per line (a quoted value may span lines):

- ``KEY=VALUE`` or ``export KEY=VALUE``; KEY is ``[A-Za-z_][A-Za-z0-9_]*``; spaces around
  ``=`` are allowed; blank lines and lines starting with ``#`` are comments.
- Unquoted values end at the line's end or at `` #`` (a comment) and are trimmed.
- ``'single quotes'``: the text as it stands, no escapes.
- ``"double quotes"``: ``\\n \\r \\t \\\\ \\" \\$`` are escapes; any other backslash stays.

Nothing is ever expanded or run: a ``$NAME``, ``${...}``, ``$(...)`` or backtick outside single
quotes is refused, since a shell would have replaced it and taking it literally would store
something the user never meant. Each key may appear once. Errors give the line, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vault.core.errors import UsageError
from vault.core.interchange.plan import Planned, field_kind, secret_value, setting_value

MAX_KEY = 128
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPANSION = re.compile(r"\$[A-Za-z_{(]|`")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$"}


@dataclass(frozen=True)
class Entry:
    """One assignment of the file."""

    value: str
    line: int


def parse(text: str) -> dict[str, Entry]:
    """The file's assignments by key.

    Raises:
        UsageError: the first line that breaks the grammar, by number.
    """
    text = text.replace("\r\n", "\n")
    bad = next((ch for ch in text if ch not in "\n\t" and (ord(ch) < 32 or ord(ch) == 127)), None)
    if bad is not None:
        line = text[: text.index(bad)].count("\n") + 1
        raise UsageError(f"Line {line} of the .env file holds a control character.")
    found: dict[str, Entry] = {}
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        raw = text[pos:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            pos, line = end + 1, line + 1
            continue
        key, value, pos, next_line = _assignment(text, pos, line)
        if key in found:
            raise UsageError(
                f"Line {line} of the .env file sets {key} again (first set on line "
                f"{found[key].line}); each variable may be set once."
            )
        found[key] = Entry(value, line)
        line = next_line
    return found


def _assignment(text: str, pos: int, line: int) -> tuple[str, str, int, int]:
    """Read ``[export ]KEY=VALUE`` at ``pos``; return key, value, next position, next line."""
    end_of_line = text.find("\n", pos)
    end_of_line = len(text) if end_of_line < 0 else end_of_line
    head, sep, _ = text[pos:end_of_line].partition("=")
    if not sep:
        raise UsageError(f"Line {line} of the .env file is not KEY=VALUE.")
    key = head.strip()
    if key.startswith("export ") or key.startswith("export\t"):
        key = key[len("export") :].strip()
    if not _KEY.fullmatch(key) or len(key) > MAX_KEY:
        raise UsageError(
            f"Line {line} of the .env file has no valid variable name before '=' (letters, "
            "digits and _, not starting with a digit)."
        )
    start = pos + len(head) + 1
    while start < end_of_line and text[start] in " \t":
        start += 1
    quote = text[start] if start < end_of_line else ""
    if quote in ("'", '"'):
        value, after = _quoted(text, start, line, quote)
        next_line = line + text.count("\n", start, after)
        rest_end = text.find("\n", after)
        rest_end = len(text) if rest_end < 0 else rest_end
        rest = text[after:rest_end].strip()
        if rest and not rest.startswith("#"):
            raise UsageError(
                f"Line {next_line} of the .env file has text after the closing quote of {key}."
            )
        return key, value, rest_end + 1, next_line + 1
    value = text[start:end_of_line]
    comment = re.search(r"[ \t]#", value)
    if comment:
        value = value[: comment.start()]
    value = value.strip()
    if "'" in value or '"' in value:
        raise UsageError(f"Line {line} of the .env file has a stray quote in the value of {key}.")
    _no_expansion(value, key, line)
    return key, value, end_of_line + 1, line + 1


def _quoted(text: str, start: int, line: int, quote: str) -> tuple[str, int]:
    """The value between quotes starting at ``start``, and the position after the close."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            value = "".join(out)
            if quote == '"':
                _no_expansion(value, "", line, raw=text[start + 1 : i])
            return value, i + 1
        if quote == '"' and ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    raise UsageError(f"Line {line} of the .env file opens a {quote} quote that never closes.")


def _no_expansion(value: str, key: str, line: int, raw: str | None = None) -> None:
    # In double quotes an escaped \$ is a literal dollar: look at the raw text, escapes removed.
    probe = value if raw is None else raw.replace("\\\\", "").replace("\\$", "")
    if _EXPANSION.search(probe):
        raise UsageError(
            f"Line {line} of the .env file uses $-expansion or a backtick, which import never "
            "performs; write the value itself, or put it in single quotes to mean it literally."
        )


# -- the map -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    """One ``--map VAR=NAME:FIELD``."""

    var: str
    name: str
    field: str


def parse_map(text: str) -> Mapping:
    """``VAR=NAME:FIELD``; NAME may hold ``:`` (the field is after the last one)."""
    var, sep, target = text.partition("=")
    name, colon, field = target.rpartition(":")
    if not sep or not colon or not var.strip() or not name or not field.strip():
        raise UsageError(f"--map expects VAR=NAME:FIELD (e.g. CLIENT_SECRET=api:client_secret), "
                         f"got {setting_value(text, '--map')!r}.")  # fmt: skip
    return Mapping(var.strip(), name, field.strip())


def plans(
    entries: dict[str, Entry],
    maps: Sequence[Mapping],
    styles: dict[str, str],
    source: str,
) -> list[Planned]:
    """Credentials from the mapped variables, in the order their names first appear.

    Args:
        entries: the parsed file.
        maps: the ``--map`` options; each VAR must be in the file.
        styles: the provider style of each credential name the maps use.
        source: how the plan and the history name the file.
    """
    if not maps:
        raise UsageError("Say which variables to import with --map VAR=NAME:FIELD.")
    made: dict[str, Planned] = {}
    targets: dict[tuple[str, str], str] = {}
    for item in maps:
        if item.var not in entries:
            raise UsageError(f"--map names {item.var}, which the .env file does not set.")
        style = styles[item.name]
        kind = field_kind(style, item.field)
        if kind is None:
            raise UsageError(
                f"--map {item.var}: {item.field!r} is neither a setting nor a secret of {style}."
            )
        if (item.name, item.field) in targets:
            raise UsageError(
                f"--map sets {item.name}:{item.field} twice (from {targets[item.name, item.field]} "
                f"and {item.var})."
            )
        targets[item.name, item.field] = item.var
        plan = made.setdefault(item.name, Planned(name=item.name, provider=style, source=source))
        value = entries[item.var].value
        what = f"{item.var} (line {entries[item.var].line})"
        if kind == "secret":
            plan.secrets[item.field] = secret_value(value, what)
        else:
            plan.settings[item.field] = setting_value(value, what)
    return list(made.values())

"""Credential names people can type and read, and text that is safe to put on a terminal.

A name travels into argv, shell completions, `git` output and terminal rows. A control
character in it (ESC starts a terminal escape sequence, CR rewrites the line) would let a
hostile import repaint a terminal or forge what `list` shows; a leading ``-`` would read as an
option. New names are refused at ``add`` and rename (:func:`check_name`); names already
stored, and any provider's text, are shown through :func:`printable`, never raw.
"""

from __future__ import annotations

import unicodedata

from vault.core.errors import UsageError

MAX_NAME_LENGTH = 64
"""Longest new name: a list row, a git config line and an agent request stay readable."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Control (C0, DEL, C1), invisible format (bidi overrides, zero-width), lone surrogates
(undecodable argv bytes) and line/paragraph separators: none may reach a terminal raw."""


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` with every control, format or separator character written as an escape.

    ``"a\\x1bb"`` (a real ESC) becomes the seven visible characters ``a\\x1bb``; newlines and
    tabs are escaped too, so one value stays on one line. Printable text is unchanged.
    """
    value = str(text)
    if not any(_unsafe(ch) for ch in value):
        return value  # the common case: no copy
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in value)


def shell_word(name: str) -> str:
    """``name`` as one shell word a person can paste back: ``tokenvault refresh WORD``.

    A plain name stays as it is; one with a space, quote or ``$`` is single-quoted
    (``shlex.quote``). A name from before the name checks holding a control character is
    written in ``$'...'`` form with the character as an escape (bash, zsh and ksh read it
    back to the same bytes), so the result is both terminal-safe and pasteable.
    """
    if not any(_unsafe(ch) for ch in name):
        import shlex  # here: printable() is on every command's path, and shlex loads re

        return shlex.quote(name)
    body = "".join(_escape(ch) if _unsafe(ch) else "\\" + ch if ch in "\\'" else ch for ch in name)
    return f"$'{body}'"


def check_name(name: str) -> str:
    """Return ``name`` if it may be given to a new or renamed credential.

    Raises:
        UsageError: one sentence saying what is wrong with the name (shown as is by the CLI
            and by the TUI's form).
    """
    if not name or not name.strip():
        raise UsageError("A credential name cannot be empty or only spaces.")
    bad = next((ch for ch in name if _unsafe(ch)), None)
    if bad is not None:
        raise UsageError(
            f"A credential name cannot hold control or invisible characters "
            f"(found {_escape(bad)}); use letters, digits and punctuation."
        )
    if name.startswith("-"):
        raise UsageError("A credential name cannot start with '-': it would read as an option.")
    if name != name.strip():
        raise UsageError("A credential name cannot start or end with a space.")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(f"A credential name is at most {MAX_NAME_LENGTH} characters.")
    return name

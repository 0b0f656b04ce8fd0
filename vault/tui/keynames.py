"""Keys as people write them (`?`, `/`, `enter`, `delete`, `ctrl+g`), for help and the palette.

Textual names keys by identifier (``question_mark``, ``slash``) and its footer draws glyphs
(``⏎``, ``⌫``); help is read to learn what to type and to write a ``[keymap]`` line, so a
symbol key shows as its character and a named key by its plain name.
"""

from __future__ import annotations

from textual.keys import format_key


def written(key: str) -> str:
    """One key: "question_mark" -> "?", "enter" -> "enter", "ctrl+slash" -> "ctrl+/"."""
    *modifiers, base = key.strip().split("+") if key.strip() != "+" else ["+"]
    shown = format_key(base)
    if len(shown) != 1 or not shown.isprintable() or not shown.isascii():
        shown = base  # a named key (enter, delete, escape, f4): its name, not a glyph
    return "+".join([*modifiers, shown])


def written_keys(keys: str) -> str:
    """A binding's comma-separated keys: "delete,backspace" -> "delete, backspace"."""
    return ", ".join(written(k) for k in keys.split(",") if k.strip())

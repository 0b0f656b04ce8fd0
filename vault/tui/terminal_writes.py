"""Write only the changed cells of a line to the terminal, not the line from its widget's edge.

Textual 8 (``ChopsUpdate.render_segments``) crops a dirty span at its right end only: a list
row whose time column changed is rewritten from the list's left edge, names and all. With a
1,000-credential list that is tens of kilobytes a second for nothing, and what a terminal
(tmux above all) must parse costs the app and the terminal CPU. ``install`` replaces that one
method with the same code cropped at both ends; the output is otherwise identical.

That method is private to Textual, and the replacement is a copy of its body: it is only
right for the code it was copied from. So ``install`` first checks that the installed Textual
still has exactly that code (a hash of the method's and the class constructor's source, and
the method's signature); any difference leaves Textual's own method in place and says so
once in Textual's log. Whole rows are then written again, which costs CPU but draws the same
screen. The class attribute is process-wide, so the replacement only crops for the consoles
of the apps that installed it (anything else sharing the process gets Textual's output) and
is removed when the last of those apps unmounts.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.control import Control
from textual._compositor import ChopsUpdate

if TYPE_CHECKING:
    from rich.console import Console
    from textual.app import App

EXPECTED_SOURCE = {
    "__init__": "0322b11d9d00c27f71fbecbc5e823f922085e32fc2e1b3482e301fe0c642f8ad",
    "render_segments": "d6ddb7d34a6c23ec3b838ae320f471f1062c52c135034ff1f6a11709c5bc3a34",
}
"""SHA-256 of the dedented source of ``ChopsUpdate.__init__`` and ``render_segments`` in
Textual 8.2.8, the version ``_render_segments`` was copied from and checked against."""

EXPECTED_PARAMETERS = ("self", "console")

_ORIGINAL: Callable[..., str] | None = None
"""Textual's method while ours is installed."""
_CONSOLES: dict[int, Console] = {}
"""id(app) -> its console: the apps that installed the cropping, and where it applies."""
_REFUSED: str | None = None
"""Why the installed Textual was not patched (logged once), or None."""


def source_hash(function: Any) -> str | None:
    """SHA-256 of ``function``'s dedented source, or None when it has none to read."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    return hashlib.sha256(textwrap.dedent(source).encode()).hexdigest()


def mismatch() -> str | None:
    """What differs from the Textual this module was written for, or None when nothing does."""
    method = ChopsUpdate.__dict__.get("render_segments")
    if _ORIGINAL is not None:
        method = _ORIGINAL  # ours is installed: judge the one it replaced
    if not inspect.isfunction(method):
        return "ChopsUpdate.render_segments is missing or not a plain method"
    try:
        parameters = tuple(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return "ChopsUpdate.render_segments has no readable signature"
    if parameters != EXPECTED_PARAMETERS:
        return f"ChopsUpdate.render_segments takes {parameters}, not {EXPECTED_PARAMETERS}"
    for name, function in (("__init__", ChopsUpdate.__init__), ("render_segments", method)):
        found = source_hash(function)
        if found != EXPECTED_SOURCE[name]:
            return f"ChopsUpdate.{name} is not the code this module was written for"
    return None


def _render_segments(self: ChopsUpdate, console: Console) -> str:
    if not any(c is console for c in _CONSOLES.values()):
        assert _ORIGINAL is not None
        return _ORIGINAL(self, console)  # not one of our apps: Textual's own output
    sequences: list[str] = []
    append = sequences.append
    chops, chop_ends = self.chops, self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(chop_ends[y], chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = max(x, x1)
            strip = strip.crop(start - x, min(end, x2) - x)
            append(Control.move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install(app: App[Any]) -> bool:
    """Crop dirty spans at both ends for ``app``'s output; False (and one log line per process)
    when the installed Textual is not the one this was written for."""
    global _ORIGINAL, _REFUSED
    problem = mismatch()
    if problem is not None:
        if _REFUSED is None:
            _REFUSED = problem
            _log(
                app,
                f"terminal_writes: {problem}; leaving Textual's own terminal writes "
                "(rows are rewritten whole: correct, but more CPU when idle).",
            )
        return False
    if _ORIGINAL is None:
        _ORIGINAL = ChopsUpdate.render_segments
        ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    _CONSOLES[id(app)] = app.console
    return True


def uninstall(app: App[Any]) -> None:
    """``app`` is done; once no app uses the cropping, Textual's method is put back."""
    global _ORIGINAL
    _CONSOLES.pop(id(app), None)
    if not _CONSOLES and _ORIGINAL is not None:
        ChopsUpdate.render_segments = _ORIGINAL  # type: ignore[method-assign]
        _ORIGINAL = None


def _log(app: App[Any], text: str) -> None:
    app.log.warning(text)


def installed() -> bool:
    return ChopsUpdate.__dict__.get("render_segments") is _render_segments

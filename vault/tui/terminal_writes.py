"""Write only the changed cells of a line to the terminal, not the line from its widget's edge.

Textual 8 (``ChopsUpdate.render_segments``) crops a dirty span at its right end only: a list
row whose time column changed is rewritten from the list's left edge, names and all. With a
1,000-credential list that is tens of kilobytes a second for nothing, and what a terminal
(tmux above all) must parse costs the app and the terminal CPU. ``install`` replaces that one
method with the same code cropped at both ends; the output is otherwise identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.control import Control
from textual._compositor import ChopsUpdate

if TYPE_CHECKING:
    from rich.console import Console

_ORIGINAL = ChopsUpdate.render_segments


def _render_segments(self: ChopsUpdate, console: Console) -> str:
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


def install() -> None:
    """Crop dirty spans at both ends from now on (idempotent; the whole process)."""
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]


def uninstall() -> None:
    ChopsUpdate.render_segments = _ORIGINAL  # type: ignore[method-assign]

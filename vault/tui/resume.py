"""Where the main screen was when the vault locked, so unlocking again picks up there.

A developer keeps the TUI open all day and it locks itself when idle; coming back to the top
of an unfiltered list with the pane closed would lose their place every time. Only names,
the filter's words and layout are kept (never a secret): the store itself is closed on lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Input

if TYPE_CHECKING:
    from vault.tui.screens.main import MainScreen


@dataclass(frozen=True)
class Resume:
    """What the main screen showed: restored once, by the next main screen."""

    selected: str | None
    """The credential under the cursor."""
    filter_text: str
    filter_open: bool
    """The filter box was shown (typed into, or kept with enter)."""
    view: str
    """ "list", "split" or "details" (full screen)."""
    sort: str
    reverse: bool


def remember(screen: MainScreen) -> Resume:
    """The state of a main screen about to be closed by a lock."""
    table = screen.table
    box = screen.query_one("#filter", Input)
    pane_open = screen.query_one("#details").has_class("-open")
    view = "list" if not pane_open else "details" if screen.has_class("-full-details") else "split"
    return Resume(
        selected=table.selected_name,
        filter_text=box.value,
        filter_open=box.has_class("-active"),
        view=view,
        sort=table.sort,
        reverse=table.reverse,
    )


def restore(screen: MainScreen, state: Resume | None) -> None:
    """Put a freshly mounted main screen back where ``state`` left it (None: as new)."""
    if state is None:
        return
    table = screen.table
    table.sort, table.reverse = state.sort, state.reverse
    if state.filter_open or state.filter_text:
        box = screen.query_one("#filter", Input)
        box.value = state.filter_text
        box.add_class("-active")
        table.filter_text = state.filter_text  # now, not when Input.Changed arrives
    if state.selected is not None:
        table.select_name(state.selected)
    screen.set_view(state.view)  # also gives the list the focus back

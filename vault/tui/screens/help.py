"""Every binding with its id and current key (after the user's keymap)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """Lists bindings of the app, the main screen, dialogs and the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help-close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self._table(), id="help-table")
            yield Static(
                "Remap any key in the [b]\\[keymap][/] table of config.toml, by id, e.g. "
                '[b]generate = "ctrl+g"[/]. All actions are also in the command palette (ctrl+p).'
            )

    def _table(self) -> Table:
        from vault.tui.app import _binding_owners

        keymap: dict[str, str] = dict(getattr(self.app, "_keymap", {}))
        table = Table(title="Keys", expand=True, box=None, header_style="bold")
        table.add_column("key")
        table.add_column("action")
        table.add_column("id (for [keymap])", style="dim")
        table.add_column("where", style="dim")
        for owner in _binding_owners():
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or not binding.id:
                    continue
                keys = keymap.get(binding.id, binding.key)
                shown = ", ".join(k.strip() for k in keys.split(","))
                table.add_row(
                    shown, binding.description or binding.action, binding.id, owner.__name__
                )
        return table

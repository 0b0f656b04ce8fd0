"""Every key, grouped by where it works, as people write it, after the user's keymap; type
to filter (lazygit and Posting's help are the bar)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from vault.tui.keynames import written_keys

PLACES: dict[str, str] = {
    "TokenVaultApp": "Everywhere",
    "MainScreen": "Credential list",
    "CredentialList": "Credential list",
    "CredentialFormScreen": "Add and edit form",
    "ConfirmScreen": "Questions (yes or no)",
    "RotationScreen": "Questions (yes or no)",
    "HelpScreen": "This help",
}
"""Where a binding works, in words, by the class that holds it (a class missing here shows
under its own name rather than vanish)."""

KEYMAP_LINE = Content.assemble(
    "Remap any key in the ",
    ("[keymap]", "bold"),
    " table of config.toml, by id, e.g. ",
    ('generate = "ctrl+g"', "bold"),
    ". Every action is also in the command palette (ctrl+p).",
)
"""Built from parts, not markup: markup would read ``[keymap]`` as a style and drop it."""


class HelpScreen(ModalScreen[None]):
    """The keys of the app, the main screen, the form, the dialogs and the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help-close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            # No select-on-focus: the key that opened the filter is its first character.
            yield Input(
                placeholder="type to filter (key, action or id)",
                id="help-filter",
                select_on_focus=False,
            )
            with VerticalScroll(id="help-scroll"):
                yield Static(self._table(), id="help-table")
                yield Static(KEYMAP_LINE, id="help-keymap")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # so ? and q close; any other letter filters

    def on_key(self, event: events.Key) -> None:
        """A printable key that closes nothing starts the filter with that character."""
        box = self.query_one("#help-filter", Input)
        if box.has_focus or not event.is_printable or event.character is None:
            return
        event.stop()
        box.focus()
        box.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#help-filter")
    def _filtered(self, event: Input.Changed) -> None:
        self.query_one("#help-table", Static).update(self._table(event.value))

    def action_close(self) -> None:
        """Escape first clears a filter, then closes (as a second escape would in lazygit)."""
        box = self.query_one("#help-filter", Input)
        if box.value:
            box.value = ""
            self.query_one("#help-scroll").focus()
        else:
            self.dismiss()

    def rows(self, needle: str = "") -> dict[str, list[tuple[str, str, str]]]:
        """(keys, action, id) per place, in the order of ``_binding_owners``, filtered."""
        from vault.tui.app import _binding_owners

        keymap: dict[str, str] = dict(getattr(self.app, "_keymap", {}))
        wanted = needle.strip().lower()
        out: dict[str, list[tuple[str, str, str]]] = {}
        for owner in _binding_owners():
            place = PLACES.get(owner.__name__, owner.__name__)
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or not binding.id:
                    continue
                keys = written_keys(keymap.get(binding.id, binding.key))
                row = (keys, binding.description or binding.action, binding.id)
                if wanted and not any(wanted in part.lower() for part in (*row, place)):
                    continue
                if row not in out.get(place, []):
                    out.setdefault(place, []).append(row)
        return out

    def _table(self, needle: str = "") -> RenderableType:
        groups: list[Any] = []
        for place, rows in self.rows(needle).items():
            table = Table(
                title=Text(place, style="bold"),
                title_justify="left",
                expand=True,
                box=None,
                show_header=False,
            )
            table.add_column("key", width=16)
            table.add_column("action", ratio=2)
            table.add_column("id", style="dim", ratio=1)
            for keys, action, binding_id in rows:
                # Text, not markup: an id or a remapped key must show exactly as written.
                table.add_row(Text(keys, style="bold"), Text(action), Text(binding_id))
            groups.append(table)
        if not groups:
            return Text(f"No key matches {needle!r}.", style="italic")
        return Group(*groups)

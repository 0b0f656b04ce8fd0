"""Asks when a replaced root secret was rotated, so its expiry is never guessed silently."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from vault.core.clock import now


class RotationScreen(ModalScreen[date | None]):
    """Dismisses with the rotation date (today unless edited), or None to go back to the form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to the form", id="rotation-back"),
    ]

    def __init__(self, secret: str, days: int) -> None:
        super().__init__()
        self.secret = secret
        self.days = days

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(
                f"The [b]{self.secret}[/] was replaced. Rotated today?\n\n"
                f"It expires {self.days} days after this date; change it if the new secret "
                "was created on another day.",
                id="rotation-text",
            )
            yield Label("Created on (YYYY-MM-DD)")
            yield Input(now().strftime("%Y-%m-%d"), id="rotated-on")
            yield Static("", id="rotation-error", classes="field-error")
            with Horizontal(id="confirm-buttons"):
                yield Button("Back (esc)", id="back")
                yield Button("Save with this date (enter)", variant="primary", id="use")

    def on_mount(self) -> None:
        self.query_one("#use", Button).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#use")
    @on(Input.Submitted, "#rotated-on")
    def _use(self) -> None:
        box = self.query_one("#rotated-on", Input)
        raw = box.value.strip()
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            self._refuse(f"{raw!r} is not a date as YYYY-MM-DD.")
            return
        if day > now().date():
            self._refuse("That date is in the future.")
            return
        self.dismiss(day)

    def _refuse(self, text: str) -> None:
        self.query_one("#rotation-error", Static).update(text)
        box = self.query_one("#rotated-on", Input)
        box.add_class("-invalid")
        box.focus()

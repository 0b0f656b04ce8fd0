"""First run: choose a passphrase (twice, with a strength hint) and create the vault."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, LoadingIndicator, Static

from vault.core.errors import UsageError, VaultError
from vault.core.exposure import exposure_warning
from vault.core.passphrase import check_new, strength
from vault.core.store import VaultStore


class CreateVaultScreen(Screen[None]):
    """Passphrase twice; Argon2 runs in a thread worker while a spinner shows."""

    class Created(Message):
        def __init__(self, store: VaultStore, warning: str | None = None) -> None:
            super().__init__()
            self.store = store
            self.warning = warning
            """One sentence when others can read or write the vault's folder (never chmodded)."""

    class Failed(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, path: Path) -> None:
        super().__init__(classes="gate")
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="gate-box", id="gate-box"):
            yield Static("Create your vault", classes="gate-title")
            yield Static(f"New vault at {self.path}", classes="gate-path")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield Input(placeholder="passphrase again", password=True, id="again")
            yield Static("", id="strength", classes="gate-hint")
            yield LoadingIndicator()
            yield Static("", id="gate-error", classes="gate-error")
            yield Button("Create vault", variant="primary", id="create")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Changed, "#passphrase")
    def _hint(self, event: Input.Changed) -> None:
        hint = self.query_one("#strength", Static)
        level, sentence = strength(event.value) if event.value else ("", "")
        hint.set_classes(f"gate-hint -{level}" if level else "gate-hint")
        hint.update(sentence)

    @on(Input.Submitted, "#passphrase")
    def _next(self) -> None:
        self.query_one("#again", Input).focus()

    @on(Input.Submitted, "#again")
    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        first = self.query_one("#passphrase", Input).value
        again = self.query_one("#again", Input).value
        error = self.query_one("#gate-error", Static)
        try:
            check_new(first)
        except UsageError as exc:
            error.update(str(exc))
            return
        if first != again:
            error.update("The two passphrases differ; type the same one twice.")
            self.query_one("#again", Input).value = ""
            self.query_one("#again", Input).focus()
            return
        error.update("")
        self.query_one("#gate-box").add_class("-busy")
        self._run(first)

    @work(thread=True, exclusive=True)
    def _run(self, passphrase: str) -> None:
        try:
            store = VaultStore.create(self.path, passphrase, getattr(self.app, "kdf", None))
        except VaultError as exc:
            self.post_message(self.Failed(exc.message))
            return
        self.post_message(self.Created(store, exposure_warning(self.path)))

    def on_create_vault_screen_created(self, message: Created) -> None:
        self.app.vault_opened(message.store, warning=message.warning)  # type: ignore[attr-defined]

    def on_create_vault_screen_failed(self, message: Failed) -> None:
        self.query_one("#gate-box").remove_class("-busy")
        self.query_one("#gate-error", Static).update(message.reason)

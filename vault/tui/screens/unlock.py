"""Unlock: Argon2 runs in a thread worker with a spinner; a wrong passphrase stays here."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, LoadingIndicator, Static

from vault.core.errors import VaultError, WrongPassphrase
from vault.core.exposure import exposure_warning
from vault.core.store import VaultStore


class UnlockScreen(Screen[None]):
    """Asks for the passphrase; never leaves on failure, says why instead."""

    class Unlocked(Message):
        def __init__(self, store: VaultStore, warning: str | None = None) -> None:
            super().__init__()
            self.store = store
            self.warning = warning
            """``exposure_warning`` of the vault: others can read or write its folder or file."""

    class Failed(Message):
        def __init__(self, reason: str, wrong_passphrase: bool) -> None:
            super().__init__()
            self.reason = reason
            self.wrong_passphrase = wrong_passphrase

    def __init__(self, path: Path) -> None:
        super().__init__(classes="gate")
        self.path = path
        self.attempts = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="gate-box", id="gate-box"):
            yield Static("🔒 tokenvault is locked", classes="gate-title")
            yield Static(str(self.path), classes="gate-path")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield LoadingIndicator()
            yield Static("", id="gate-error", classes="gate-error")
            yield Static("enter: unlock   ctrl+q: quit", classes="gate-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def _submit(self, event: Input.Submitted) -> None:
        if not event.value:
            return
        self.query_one("#gate-error", Static).update("")
        self.query_one("#gate-box").add_class("-busy")
        event.input.disabled = True
        self._unlock(event.value)

    @work(thread=True, exclusive=True)
    def _unlock(self, passphrase: str) -> None:
        try:
            store = VaultStore.unlock(self.path, passphrase)
        except WrongPassphrase as exc:
            self.post_message(self.Failed(exc.message, True))
            return
        except VaultError as exc:
            self.post_message(self.Failed(exc.message, False))
            return
        # As ssh and gpg do, and as the CLI does on every open: say it once per unlock (the
        # folder's mode is the user's to fix; the vault never changes it).
        self.post_message(self.Unlocked(store, exposure_warning(self.path)))

    def on_unlock_screen_unlocked(self, message: Unlocked) -> None:
        self.app.vault_opened(message.store, warning=message.warning)  # type: ignore[attr-defined]

    def on_unlock_screen_failed(self, message: Failed) -> None:
        self.attempts += 1
        self.query_one("#gate-box").remove_class("-busy")
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.value = ""
        field.focus()
        suffix = f" (attempt {self.attempts})" if message.wrong_passphrase else ""
        self.query_one("#gate-error", Static).update(message.reason + suffix)

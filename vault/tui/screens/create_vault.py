"""First run: choose a passphrase (twice, with a strength hint) and create the vault."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, LoadingIndicator, Static

from vault.core.errors import VaultError
from vault.core.store import VaultStore

MIN_LENGTH = 8


def strength(passphrase: str) -> tuple[str, str]:
    """A rough hint ("weak", "fair", "strong") and a sentence; length matters most."""
    classes = sum(
        any(test(ch) for ch in passphrase)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    words = len(passphrase.split())
    score = len(passphrase) + 4 * classes + 6 * max(0, words - 1)
    if len(passphrase) < MIN_LENGTH:
        return "weak", f"Too short: use at least {MIN_LENGTH} characters (a few words is best)."
    if score < 24:
        return "weak", "Weak: longer is stronger; try four unrelated words."
    if score < 36:
        return "fair", "Fair: a few more characters or another word would help."
    return "strong", "Strong."


class CreateVaultScreen(Screen[None]):
    """Passphrase twice; Argon2 runs in a thread worker while a spinner shows."""

    class Created(Message):
        def __init__(self, store: VaultStore) -> None:
            super().__init__()
            self.store = store

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
        if len(first) < MIN_LENGTH:
            error.update(f"The passphrase must have at least {MIN_LENGTH} characters.")
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
        self.post_message(self.Created(store))

    def on_create_vault_screen_created(self, message: Created) -> None:
        self.app.vault_opened(message.store)  # type: ignore[attr-defined]

    def on_create_vault_screen_failed(self, message: Failed) -> None:
        self.query_one("#gate-box").remove_class("-busy")
        self.query_one("#gate-error", Static).update(message.reason)

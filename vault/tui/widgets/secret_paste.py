"""A paste target for multi-line secrets (PEM keys) that never shows what it holds."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Static

from vault.core.keyinfo import describe_key, is_private_key


class SecretPaste(Static, can_focus=True):
    """Takes a pasted PEM (or typed text) and shows only a summary of it.

    Textual's TextArea has no password mode and an Input keeps only the first line of a
    paste, so a private key pasted into either would be on screen (and in screenshots).
    """

    DEFAULT_CSS = """
    SecretPaste { height: 3; border: tall $border-blurred; padding: 0 1; color: $text-muted; }
    SecretPaste:focus { border: tall $border; }
    """
    BINDINGS = [Binding("ctrl+u", "clear", "Clear", show=False)]

    text: reactive[str] = reactive("", layout=False)
    """What was pasted: the secret itself, read by the form, never rendered."""

    def render(self) -> str:
        if not self.text:
            return "paste the PEM here (your terminal's paste key); ctrl+u clears"
        lines = self.text.strip().splitlines()
        first = lines[0] if lines else ""
        if is_private_key(self.text):
            # What the key is, so a wrong paste (a public key, a truncated one) shows at once.
            kind = describe_key(self.text)
        elif first.startswith("-----BEGIN"):
            kind = first.strip("- ").removeprefix("BEGIN ")
        else:
            kind = "text"
        return f"received {kind}: {len(lines)} lines, {len(self.text)} characters (hidden)"

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.text = event.text

    def on_key(self, event: events.Key) -> None:
        # Typing is allowed (a one-line secret), shown as a count only.
        if event.key == "backspace":
            self.text = self.text[:-1]
        elif event.character and event.is_printable:
            self.text += event.character
        elif event.key == "enter":
            self.text += "\n"
        else:
            return
        event.stop()

    def action_clear(self) -> None:
        self.text = ""

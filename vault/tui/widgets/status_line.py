"""One line under the list: counts, sort, reminders, and the auto-lock and clipboard countdowns."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from textual.widgets import Static

from vault.core.names import printable
from vault.core.reminders import Reminder


class StatusLine(Static):
    """Text set by the main screen once a second (attributes down)."""

    _shown: str = ""

    def show(
        self,
        *,
        total: int,
        shown: int,
        expiring: int,
        expired: int,
        sort: str,
        lock_in: int | None,
        clipboard_in: int | None,
        revealed: str | None,
        reminders: Sequence[Reminder] = (),
        running: int = 0,
    ) -> None:
        parts = [f"{shown}/{total} credentials" if shown != total else f"{total} credentials"]
        if expiring:
            parts.append(f"[$warning]{expiring} expiring[/]")
        if expired:
            parts.append(f"[$error]{expired} expired[/]")
        if reminders:
            # The most urgent one in words (a name shown literally), then how many more.
            first = escape(printable(reminders[0].summary.removeprefix("tokenvault: ")))
            more = f" (+{len(reminders) - 1} more)" if len(reminders) > 1 else ""
            parts.append(f"[$warning]⏰ {first}{more}[/]")
        if running:
            parts.append(f"[$accent]{running} running[/]")  # operations in flight (escape cancels)
        parts.append(f"sort: {sort}")
        if revealed:
            parts.append(f"[$accent]revealing {revealed}[/]")
        if clipboard_in is not None:
            parts.append(f"[$accent]📋 clipboard clears in {clipboard_in}s[/]")
        if lock_in is not None:
            minutes, seconds = divmod(lock_in, 60)
            parts.append(f"🔒 lock in {minutes}:{seconds:02d}")
        text = "  ·  ".join(parts)
        if text != self._shown:
            # Static.update re-lays the screen out: skip it when nothing changed.
            self._shown = text
            self.update(text)

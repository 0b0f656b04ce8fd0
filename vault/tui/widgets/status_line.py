"""One line under the list: counts, sort, reminders, and the auto-lock and clipboard countdowns."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from textual.content import Content
from textual.widgets import Static

from vault.core.names import printable
from vault.core.reminders import Reminder

SEPARATOR = "  ·  "
NARROW_SEPARATOR = " · "

# What stays when the line is too narrow: higher stays longer. The lock countdown always stays:
# a person must see when the vault locks at any width.
_KEEP_LOCK, _KEEP_PROBLEMS, _KEEP_CLIPBOARD, _KEEP_RUNNING = 9, 8, 7, 6
_KEEP_AGENT, _KEEP_TOTAL, _KEEP_REMINDER, _KEEP_SORT = 5, 4, 3, 2


class StatusLine(Static):
    """Text set by the main screen once a second (attributes down)."""

    _shown: str = ""
    _parts: list[tuple[int, str]] = []

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
        errors: int = 0,
        secrets: int = 0,
        reverse: bool = False,
        agent_until: str | None = None,
    ) -> None:
        """Args:
        errors: credentials whose last operation failed.
        secrets: root secrets running out (or run out).
        agent_until: "21:00" while a session agent holds the key for this vault.
        """
        count = f"{shown}/{total} credentials" if shown != total else f"{total} credentials"
        parts = [(_KEEP_TOTAL, count)]
        # Problems first, worst first: these are what a glance at the line is for.
        if errors:
            parts.append((_KEEP_PROBLEMS, f"[$error]{errors} error{'s' * (errors != 1)}[/]"))
        if expired:
            parts.append((_KEEP_PROBLEMS, f"[$error]{expired} expired[/]"))
        if expiring:
            parts.append((_KEEP_PROBLEMS, f"[$warning]{expiring} expiring[/]"))
        if secrets:
            word = "root secret" if secrets == 1 else "root secrets"
            parts.append((_KEEP_PROBLEMS, f"[$warning]{secrets} {word} expiring[/]"))
        if reminders:
            # The most urgent one in words (a name shown literally), then how many more.
            first = escape(printable(reminders[0].summary.removeprefix("tokenvault: ")))
            more = f" (+{len(reminders) - 1} more)" if len(reminders) > 1 else ""
            parts.append((_KEEP_REMINDER, f"[$warning]⏰ {first}{more}[/]"))
        if running:
            # operations in flight (escape cancels)
            parts.append((_KEEP_RUNNING, f"[$accent]{running} running[/]"))
        parts.append((_KEEP_SORT, f"sort: {sort}{' ▼' if reverse else ''}"))
        if revealed:
            parts.append((_KEEP_CLIPBOARD, f"[$accent]revealing {escape(printable(revealed))}[/]"))
        if clipboard_in is not None:
            parts.append((_KEEP_CLIPBOARD, f"[$accent]📋 clipboard clears in {clipboard_in}s[/]"))
        if agent_until:
            parts.append((_KEEP_AGENT, f"agent: unlocked until {agent_until}"))
        if lock_in is not None:
            minutes, seconds = divmod(lock_in, 60)
            parts.append((_KEEP_LOCK, f"🔒 lock in {minutes}:{seconds:02d}"))
        self._parts = parts
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        room = self.content_region.width if self.is_mounted else 0
        text = fit(self._parts, room)
        if text != self._shown:
            # One line of fixed height: no re-layout of the screen for new words.
            self._shown = text
            self.update(text, layout=False)


def fit(parts: Sequence[tuple[int, str]], room: int) -> str:
    """Join ``parts`` (keep-priority, markup); drop the least needed until it fits ``room``
    cells (0: no limit). The order on the line stays as given."""
    kept = list(parts)
    for separator in (SEPARATOR, NARROW_SEPARATOR):
        while kept:
            text = separator.join(markup for _, markup in kept)
            if room <= 0 or Content.from_markup(text).cell_length <= room:
                return text
            if separator == SEPARATOR:
                break  # first try the tighter separator with everything kept
            lowest = min(keep for keep, _ in kept)
            if lowest >= _KEEP_LOCK:
                return text
            kept.remove(next(p for p in kept if p[0] == lowest))
    return NARROW_SEPARATOR.join(markup for _, markup in kept)

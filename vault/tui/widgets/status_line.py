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
_KEEP_LOCK, _KEEP_ERRORS, _KEEP_EXPIRED, _KEEP_EXPIRING, _KEEP_SECRETS = 12, 11, 10, 9, 8
_KEEP_CLIPBOARD, _KEEP_RUNNING = 7, 6
_KEEP_AGENT, _KEEP_TOTAL, _KEEP_REMINDER, _KEEP_SORT = 5, 4, 3, 2


class StatusLine(Static):
    """Text set by the main screen once a second (attributes down)."""

    _shown: str = ""
    _parts: list[tuple[int, str, str]] = []

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
        _short: dict[tuple[int, str], str] = {}
        """Shorter words for a part, used before a part is dropped."""
        # Problems first, worst first: these are what a glance at the line is for.
        if errors:
            parts.append((_KEEP_ERRORS, f"[$error]{errors} error{'s' * (errors != 1)}[/]"))
        if expired:
            parts.append((_KEEP_EXPIRED, f"[$error]{expired} expired[/]"))
        if expiring:
            parts.append((_KEEP_EXPIRING, f"[$warning]{expiring} expiring[/]"))
        if secrets:
            word = "root secret" if secrets == 1 else "root secrets"
            parts.append((_KEEP_SECRETS, f"[$warning]{secrets} {word} expiring[/]"))
            _short[parts[-1]] = f"[$warning]{secrets} secret{'s' * (secrets != 1)}[/]"
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
            _short[parts[-1]] = f"agent→{agent_until}"
        if lock_in is not None:
            minutes, seconds = divmod(lock_in, 60)
            parts.append((_KEEP_LOCK, f"🔒 lock in {minutes}:{seconds:02d}"))
            _short[parts[-1]] = f"🔒 {minutes}:{seconds:02d}"
        fresh = [(keep, markup, _short.get((keep, markup), markup)) for keep, markup in parts]
        if fresh == self._parts:
            return  # the same words as a second ago: fitting them again would change nothing
        self._parts = fresh
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


def fit(parts: Sequence[tuple[int, str, str]], room: int) -> str:
    """Join ``parts`` (keep-priority, markup, shorter markup) into ``room`` cells (0: no
    limit): a tighter separator, then, least needed first, the sort, the reminder and the
    count go and the others take shorter words (the lock countdown last), then those go too
    by priority. The order on the line stays as given; the lock countdown is never dropped."""
    keeps = [keep for keep, _, _ in parts]
    words = [long for _, long, _ in parts]
    shorts = [short for _, _, short in parts]
    alive = [True] * len(parts)

    def line(separator: str = NARROW_SEPARATOR) -> str:
        return separator.join(w for w, on in zip(words, alive, strict=True) if on)

    def fits(text: str) -> bool:
        return room <= 0 or Content.from_markup(text).cell_length <= room

    if fits(text := line(SEPARATOR)):
        return text
    by_need = sorted(range(len(parts)), key=lambda i: keeps[i])
    steps: list[tuple[str, int]] = []
    for i in by_need:  # the least needed first: dropped if it may be, else shortened
        steps.append(("drop" if keeps[i] < _KEEP_AGENT else "short", i))
    steps += [("drop", i) for i in by_need if _KEEP_AGENT <= keeps[i] < _KEEP_LOCK]
    for what, i in steps:
        if fits(text := line()):
            return text
        if what == "short":
            words[i] = shorts[i]
        else:
            alive[i] = False
    return line()

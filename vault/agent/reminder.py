"""The agent's reminders: check the rules on a timer and send each due reminder once.

The agent is the one long-running process, so it is the one that notifies; the rules
themselves are ``vault.core.reminders.due``. What was sent is remembered in memory only,
keyed by ``Reminder.key`` (name, rule and threshold, the event's own time): nothing about it
touches the disk, so an agent restarted (a new ``unlock``) may send a reminder that is still
due once more. A failing notification tool is noted once (``status()["problem"]``, shown by
``agent status --json`` and ``doctor``) and never retried faster than the checks run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from vault.core.clock import now
from vault.core.config import NotifySettings, load_config
from vault.core.errors import ConfigError, VaultError
from vault.core.model import Credential
from vault.core.notify import Notifier
from vault.core.reminders import Reminder, due

CHECK_EVERY = 60.0
"""Seconds between two checks of an unchanged vault: the rules count days and minutes."""

POLL = 1.0
"""How often the vault's header is looked at; a changed vault is checked at once, so a
credential added close to its expiry is reminded about without waiting for the minute."""

BURST = 3
"""Notifications sent in one check at most: past this, one notice points at `doctor`, so a
vault of many credentials expiring together does not flood the desktop."""


class Reminders:
    """Checks one vault's reminders in a daemon thread of the agent.

    Args:
        vault: the vault file.
        key: the agent's data key buffer (zeroed by the agent on exit).
        settings: the config's ``[notify]`` table (None: read the config now; an unreadable
            config notifies nothing, as it refreshes nothing).
        background: the agent refreshes auto-refresh credentials (``[agent] refresh``).
        notifier: the sender (the desktop's tool by default).
    """

    def __init__(
        self,
        vault: Path,
        key: bytearray,
        settings: NotifySettings | None = None,
        *,
        background: bool = True,
        notifier: Notifier | None = None,
    ) -> None:
        self.vault = vault
        self._problem: str | None = None
        if settings is None:
            try:
                settings = load_config().notify
            except ConfigError as exc:
                settings = NotifySettings(enabled=False)
                self._problem = f"the config file could not be read ({exc.message})"
        self.settings = settings
        self.background = background
        self.notifier = notifier or Notifier()
        self._key = key
        self._sent: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._checks = 0
        self._count = 0

    def __repr__(self) -> str:
        return f"Reminders(vault={str(self.vault)!r}, tool={self.notifier.kind!r})"

    def start(self) -> None:
        """Run the checks in a daemon thread (after the agent's fork); off sends nothing."""
        if not self.settings.enabled or self.notifier.tool is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def status(self) -> dict[str, Any]:
        """For ``agent status``: whether it notifies, with what, how often it checked and sent."""
        with self._lock:
            return {
                "enabled": self.settings.enabled,
                "tool": self.notifier.kind,
                "checks": self._checks,
                "sent": self._count,
                "problem": self._problem,
            }

    def check(self, creds: list[Credential]) -> list[Reminder]:
        """Send the reminders due now that were not sent yet; returns those it sent."""
        current = due(creds, now(), self.settings, background=self.background)
        with self._lock:
            fresh = [r for r in current if r.key not in self._sent]
            # Forget what is no longer due: the set stays as small as the due list, and a key
            # cannot come back (every key holds the time of the event it is about).
            self._sent = {r.key for r in current}
        shown = fresh if len(fresh) <= BURST else fresh[: BURST - 1]
        for reminder in shown:
            self._send(reminder.summary, reminder.body, reminder.urgent)
        if len(shown) < len(fresh):
            more = len(fresh) - len(shown)
            self._send(
                f"tokenvault: {more} more reminders",
                "Run `tokenvault doctor` to see every credential that needs you.",
                False,
            )
        with self._lock:
            self._checks += 1
        return shown

    def _send(self, summary: str, body: str, urgent: bool) -> None:
        problem = self.notifier.send(summary, body, urgent)
        with self._lock:
            if problem is None:
                self._count += 1
            elif self._problem is None:
                self._problem = problem  # the first reason is kept: once, not per notice

    def _run(self) -> None:
        from vault.core.store import VaultStore

        store = None
        seen: object = None
        last = float("-inf")
        try:
            while not self._stop.is_set():
                try:
                    if store is None:
                        store = VaultStore.from_key(self.vault, bytes(self._key))
                    data = store.reload()
                except VaultError:
                    # A rotated key or a vault being replaced: the refresher reports it; the
                    # next poll tries again with a fresh store.
                    if store is not None:
                        store.close()
                    store = None
                    self._stop.wait(POLL)
                    continue
                # `reload` hands back the same object while the file is unchanged.
                if data is not seen or time.monotonic() - last >= CHECK_EVERY:
                    seen, last = data, time.monotonic()
                    self.check(list(data.credentials.values()))
                self._stop.wait(POLL)
        finally:
            if store is not None:
                store.close()

"""The main screen: the credential list with live bars, the details pane and every token key."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from vault.agent.location import agent_may_run
from vault.core.clock import now, parse_utc
from vault.core.errors import VaultError
from vault.core.store import VaultStore
from vault.tui import agent_words
from vault.tui.actions import TokenActions
from vault.tui.counts import Counts, count_problems, reword
from vault.tui.resume import Resume, restore
from vault.tui.widgets.credential_list import SORTS, CredentialList
from vault.tui.widgets.details import DetailsPane
from vault.tui.widgets.key_footer import KeyFooter
from vault.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp

SPLIT_MIN_WIDTH = 100
"""Narrower than this, the details open full screen (k9s describe): side by side, the pane
would squeeze the list's time column out."""

STATS_EVERY = 3
"""Ticks between full passes over every credential (counts and auto-refresh checks)."""

AUTO_RETRY_SECONDS = 60
"""After a failed auto-refresh, wait this long before trying that credential again."""


class MainScreen(TokenActions):
    """Credentials at a glance; every action runs in a worker and reports by message."""

    # The footer shows the everyday keys; the rest (show=False) are in help (?) and the palette.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "generate", "Generate", id="generate"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("R", "refresh_expiring", "Refresh expiring", show=False, id="refresh-expiring"),
        Binding("c", "copy", "Copy", id="copy"),
        Binding("C", "copy_header", "Copy header", id="copy-header"),
        Binding("T", "test_call", "Test call", id="test-call"),
        Binding("x", "revoke", "Revoke", id="revoke"),
        Binding("a", "add", "Add", id="add"),
        Binding("e", "edit", "Edit", id="edit"),
        # backspace too: many laptop keyboards have no delete key, or send backspace for it.
        Binding("delete,backspace", "remove", "Remove", show=False, id="remove"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("enter", "details", "Details", show=False, id="details"),
        Binding("v", "reveal", "Reveal 10s", show=False, id="reveal"),
        Binding("s", "sort", "Sort", show=False, id="sort"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="sort-reverse"),
        Binding("plus", "cycle_view", "List/split/details", show=False, id="view"),
        Binding("escape", "escape", "Back", show=False, id="back"),
    ]

    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (SPLIT_MIN_WIDTH, "-wide"),
    ]
    """app.tcss opens the details full screen on a ``-narrow`` screen."""

    def __init__(self, store: VaultStore) -> None:
        super().__init__()
        self._store = store
        """The vault this screen shows, handed down by the app (attributes down). After a
        lock it is closed: late timers and workers find it empty, never a missing store."""
        self._auto_failed: dict[str, float] = {}
        self._mtime: float | None = None
        self._ticks = 0
        self._counts: Counts | None = None
        """Counts, auto-refresh candidates and the reminders the agent notifies about
        (``reminders.due``) for the status line; None: the data changed, count again."""
        self._agent_until: str | None = None
        """ "21:00" (local) while a session agent holds this vault's key, for the status line."""
        self._agent_plan: dict[str, Any] | None = None
        """The running agent's refresh plan for the selected credential (None: no agent)."""
        self.resume: Resume | None = None
        """Where the screen the last lock closed was (set by the app); restored on mount."""

    @property
    def tv(self) -> TokenVaultApp:
        return self.app  # type: ignore[return-value]

    @property
    def store(self) -> VaultStore:
        return self._store

    def compose(self) -> ComposeResult:
        # A plain title line, not Textual's Header: the Header's title watchers run after it
        # is removed when this screen is popped right after mounting (a lock at once after an
        # unlock) and crash the app.
        yield Static(f"tokenvault — {self.store.path}", id="title")
        yield Input(
            placeholder="filter by name or style (enter to keep, escape to clear)", id="filter"
        )
        with Horizontal(id="body"):
            yield CredentialList(id="credentials")
            yield DetailsPane(id="details")
        yield Static("No credentials yet: press [b]a[/] to add one.", id="empty")
        yield StatusLine(id="status")
        yield KeyFooter()

    @property
    def table(self) -> CredentialList:
        return self.query_one(CredentialList)

    def on_mount(self) -> None:
        if not self.query(CredentialList):
            return  # the app quit while this screen was being built: nothing to start
        self.reload_rows()
        self.table.focus()
        restore(self, self.resume)
        self.set_interval(1.0, self.tick)
        self.tick()

    # -- data ------------------------------------------------------------------------------

    def reload_rows(self) -> None:
        creds = self.store.data.credentials.values()
        self.table.set_credentials(creds)
        self._counts = None
        self.query_one("#empty").set_class(not self.store.data.credentials, "-shown")
        self._remember_mtime()
        self._update_details()

    def _remember_mtime(self) -> None:
        try:
            self._mtime = os.stat(self.store.path).st_mtime
        except OSError:
            self._mtime = None

    def tick(self) -> None:
        """Once a second: repaint visible rows from the wall clock, countdowns, auto-refresh."""
        if self.tv.store is not self.store or not self.is_attached:
            return  # locked (or relocked) meanwhile: this screen is on its way out
        table = self.table
        table.tick()
        self._update_details()
        self._ticks += 1
        counts = self._counts
        if counts is None or self._ticks % STATS_EVERY == 0:
            at, creds, notify = now(), self.store.data.credentials, self.tv.config.notify
            if counts is None or counts.stale(at):
                old = counts
                counts = self._counts = count_problems(creds.values(), at, notify)
                if table.sort == "status" and old is not None and _moved(old, counts):
                    table.resort()  # problems first, as they happen; the cursor's row stays
            else:
                reword(counts, creds, at, notify)
            if agent_may_run(self.store.path):  # one lstat; a worker only when it can answer
                self._ask_agent_plan(table.selected.name if table.selected else None)
            else:
                self._agent_plan = None
                self._agent_until = None
            self._refresh_due(counts.due)
        revealed = self.tv.revealed[0] if self.tv.revealed else None
        self.query_one(StatusLine).show(
            total=len(self.store.data.credentials),
            shown=table.shown,
            expiring=counts.expiring,
            expired=counts.expired,
            errors=counts.errors,
            secrets=counts.secrets,
            sort=table.sort,
            reverse=table.reverse,
            agent_until=self._agent_until,
            lock_in=self.tv.idle_left(),
            clipboard_in=self.tv.clipboard_left(),
            revealed=revealed,
            running=len(self.ops),
            reminders=counts.reminders,
        )
        self._reload_if_changed()

    def _agent_refreshes(self) -> bool:
        """One refresher per credential: a running agent that refreshes takes the TUI's turn."""
        if self._agent_plan is not None:
            return bool(self._agent_plan.get("enabled"))
        # Its socket exists but its plan has not arrived yet: wait for it rather than race it.
        return agent_may_run(self.store.path)

    @work(thread=True, exclusive=True, group="agent-plan")
    def _ask_agent_plan(self, name: str | None) -> None:
        from vault.agent.client import agent_schedule, agent_status

        plan = status = None
        if agent_may_run(self.store.path):
            plan = agent_schedule(self.store.path, name)
            status = agent_status(self.store.path)
        self.app.call_from_thread(setattr, self, "_agent_plan", plan)
        self.app.call_from_thread(setattr, self, "_agent_until", agent_words.until(status))

    def _agent_line(self, name: str) -> str | None:
        """ "the agent refreshes at 14:02" for ``name`` while an agent refreshes, else None."""
        plan = self._agent_plan
        if not plan or not plan.get("enabled"):
            return None
        for entry in plan.get("next", []):
            if entry.get("name") == name and entry.get("at"):
                at = parse_utc(entry["at"])
                note = f" ({entry['reason']})" if entry.get("reason") else ""
                # Local time: it is read against the clock on the wall.
                return f"the agent refreshes at {at.astimezone().strftime('%H:%M')}{note}"
        for entry in plan.get("skipped", []):
            if entry.get("name") == name:
                return f"none: the agent will not refresh it ({entry.get('reason', '')})"
        return None

    def _refresh_due(self, due: list[str]) -> None:
        if self._agent_refreshes():
            return
        clock = time.time()
        names = [
            n
            for n in due
            if n not in self.table.busy and clock - self._auto_failed.get(n, 0) > AUTO_RETRY_SECONDS
        ]
        if names:
            for name in names:
                self._auto_failed[name] = clock
            self._refresh_names(names, auto=True)

    def _reload_if_changed(self) -> None:
        # Another process (the CLI, the agent) may have saved the vault: pick its changes up.
        try:
            mtime = os.stat(self.store.path).st_mtime
        except OSError:
            return
        if self._mtime is not None and mtime != self._mtime and not self.table.busy:
            self._mtime = mtime
            self._reload_worker()

    @work(thread=True, exclusive=True, group="reload")
    def _reload_worker(self) -> None:
        try:
            self.store.reload()
        except VaultError:
            return
        self.app.call_from_thread(self.reload_rows)

    def _update_details(self) -> None:
        pane = self.query_one(DetailsPane)
        # The reveal key opens the pane too: app.tcss hides the list behind a full-screen pane.
        self.set_class(pane.has_class("-open"), "-details-open")
        if not pane.has_class("-open"):
            return
        cred = self.table.selected
        revealed = self.tv.revealed
        agent = self._agent_line(cred.name) if cred else None
        pane.show(cred, bool(cred and revealed and revealed[0] == cred.name), agent)

    def on_credential_list_highlighted(self, message: CredentialList.Highlighted) -> None:
        self._update_details()

    # -- filter, details, sort -----------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-active")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if self.cancel_selected():
            return
        if box.has_class("-active"):
            box.value = ""
            box.remove_class("-active")
            self.table.filter_text = ""
            self.table.focus()
        elif self.query_one(DetailsPane).has_class("-open"):
            self.set_view("list")

    @property
    def view(self) -> str:
        """ "list", "split" or "details" (full screen), as shown at this width."""
        if not self.query_one(DetailsPane).has_class("-open"):
            return "list"
        if self.has_class("-full-details") or self.size.width < SPLIT_MIN_WIDTH:
            return "details"
        return "split"

    def set_view(self, view: str) -> None:
        pane = self.query_one(DetailsPane)
        pane.set_class(view != "list", "-open")
        self.set_class(view == "details", "-full-details")
        self._update_details()
        # Full screen, the arrows scroll the pane (k9s describe); otherwise they move the list.
        (pane if self.view == "details" else self.table).focus()

    def action_details(self) -> None:
        self.set_view("list" if self.view != "list" else "split")

    def action_cycle_view(self) -> None:
        """lazygit's `+`: list, then side by side, then details full screen (narrow: no split)."""
        order = ["list", "split", "details"]
        if self.size.width < SPLIT_MIN_WIDTH:
            order.remove("split")
        self.set_view(order[(order.index(self.view) + 1) % len(order)])

    def action_sort(self) -> None:
        """The next sort in ``SORTS``, in its natural order."""
        table = self.table
        table.sort_by(SORTS[(SORTS.index(table.sort) + 1) % len(SORTS)])

    def action_sort_reverse(self) -> None:
        """The same sort again, reversed (as a second click on its column header)."""
        self.table.sort_by(self.table.sort)

    def on_credential_list_sorted(self, message: CredentialList.Sorted) -> None:
        order = " (reversed)" if message.reverse else ""
        self.notify(f"Sorted by {message.sort}{order}.", timeout=2)
        self.tick()


def _moved(old: Counts, new: Counts) -> bool:
    """Whether a status changed between two passes (a status sort then orders again)."""
    return (old.expiring, old.expired, old.errors, old.secrets) != (
        new.expiring,
        new.expired,
        new.errors,
        new.secrets,
    )

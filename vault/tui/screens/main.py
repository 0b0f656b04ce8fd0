"""The main screen: the credential list with live bars, the details pane and every token key."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from vault.agent.location import agent_may_run
from vault.core import tokens
from vault.core.clock import now, parse_utc
from vault.core.errors import VaultError
from vault.core.model import Credential, EventKind, Status
from vault.core.providers import PRESETS, header_lines
from vault.core.reminders import Reminder, due
from vault.core.store import VaultStore
from vault.core.testcall import atest_call
from vault.tui.widgets.credential_list import SORTS, CredentialList
from vault.tui.widgets.details import DetailsPane, literal
from vault.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp

STATS_EVERY = 3
"""Ticks between full passes over every credential (counts and auto-refresh checks)."""

AUTO_RETRY_SECONDS = 60
"""After a failed auto-refresh, wait this long before trying that credential again."""


def revoke_is_remote(cred: Credential) -> bool:
    """Whether revoking reaches the provider (a revoke URL is configured) or is local only."""
    preset = PRESETS.get(cred.provider)
    if preset is None:
        return bool(cred.settings.get("revoke_url"))
    return bool(preset.settings(cred.settings).get("revoke_url"))


class MainScreen(Screen[None]):
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
        Binding("delete", "remove", "Remove", show=False, id="remove"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("enter", "details", "Details", show=False, id="details"),
        Binding("v", "reveal", "Reveal 10s", show=False, id="reveal"),
        Binding("s", "sort", "Sort", show=False, id="sort"),
        Binding("escape", "escape", "Back", show=False, id="back"),
    ]

    class ActionDone(Message):
        """A worker finished: ``ok`` and a sentence for the notification (never a secret)."""

        def __init__(self, names: list[str], ok: bool, text: str, then: str = "") -> None:
            super().__init__()
            self.names = names
            self.ok = ok
            self.text = text
            self.then = then
            """A follow-up action to run on success ("copy", "copy-header")."""

    def __init__(self, store: VaultStore) -> None:
        super().__init__()
        self._store = store
        """The vault this screen shows, handed down by the app (attributes down). After a
        lock it is closed: late timers and workers find it empty, never a missing store."""
        self._auto_failed: dict[str, float] = {}
        self._mtime: float | None = None
        self._ticks = 0
        self._stats: tuple[int, int, list[str]] | None = None
        self._reminders: list[Reminder] = []
        """The same reminders the agent notifies about (``reminders.due``), for the status line."""
        """(expiring, expired, due for auto-refresh), recomputed every few ticks."""
        self._agent_plan: dict[str, Any] | None = None
        """The running agent's refresh plan for the selected credential (None: no agent)."""

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
        yield Footer()

    @property
    def table(self) -> CredentialList:
        return self.query_one(CredentialList)

    def on_mount(self) -> None:
        if not self.query(CredentialList):
            return  # the app quit while this screen was being built: nothing to start
        self.reload_rows()
        self.table.focus()
        self.set_interval(1.0, self.tick)
        self.tick()

    # -- data ------------------------------------------------------------------------------

    def reload_rows(self) -> None:
        creds = self.store.data.credentials.values()
        self.table.set_credentials(creds)
        self._stats = None
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
        if self._stats is None or self._ticks % STATS_EVERY == 0:
            self._stats = self._compute_stats()
            creds = self.store.data.credentials.values()
            self._reminders = due(creds, now(), self.tv.config.notify)
            self._ask_agent_plan(table.selected.name if table.selected else None)
            self._refresh_due(self._stats[2])
        expiring, expired, _ = self._stats
        revealed = self.tv.revealed[0] if self.tv.revealed else None
        self.query_one(StatusLine).show(
            total=len(self.store.data.credentials),
            shown=len(table.visible_names),
            expiring=expiring,
            expired=expired,
            sort=table.sort,
            lock_in=self.tv.idle_left(),
            clipboard_in=self.tv.clipboard_left(),
            revealed=revealed,
            reminders=self._reminders,
        )
        self._reload_if_changed()

    def _compute_stats(self) -> tuple[int, int, list[str]]:
        # A full pass over every credential: done every few seconds, not on every repaint.
        at = now()
        expiring = expired = 0
        due: list[str] = []
        for cred in self.store.data.credentials.values():
            status = cred.status(at)
            if status is Status.EXPIRING:
                expiring += 1
            elif status is Status.EXPIRED:
                expired += 1
            # By the token's clock, not `status`: a failed refresh shows `error`, and must still
            # be retried (after AUTO_RETRY_SECONDS) while the token runs out.
            if cred.policy.auto and cred.token_status(at) in (Status.EXPIRING, Status.EXPIRED):
                due.append(cred.name)
        return expiring, expired, due

    def _agent_refreshes(self) -> bool:
        """One refresher per credential: a running agent that refreshes takes the TUI's turn."""
        if self._agent_plan is not None:
            return bool(self._agent_plan.get("enabled"))
        # Its socket exists but its plan has not arrived yet: wait for it rather than race it.
        return agent_may_run(self.store.path)

    @work(thread=True, exclusive=True, group="agent-plan")
    def _ask_agent_plan(self, name: str | None) -> None:
        from vault.agent.client import agent_schedule

        plan = agent_schedule(self.store.path, name) if agent_may_run(self.store.path) else None
        self.app.call_from_thread(setattr, self, "_agent_plan", plan)

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
        if not pane.has_class("-open"):
            return
        cred = self.table.selected
        revealed = self.tv.revealed
        agent = self._agent_line(cred.name) if cred else None
        pane.show(cred, bool(cred and revealed and revealed[0] == cred.name), agent)

    def on_credential_list_highlighted(self, message: CredentialList.Highlighted) -> None:
        self._update_details()

    def _selected(self) -> Credential | None:
        cred = self.table.selected
        if cred is None:
            self.notify("No credential selected.", severity="warning", timeout=3)
        return cred

    # -- provider actions (workers) --------------------------------------------------------

    def action_generate(self) -> None:
        cred = self._selected()
        if cred is not None:
            self._generate(cred.name)

    def _generate(self, name: str, then: str = "") -> None:
        self.table.set_busy(name, True)
        self._generate_worker(name, then)

    @work(thread=True, group="provider")
    def _generate_worker(self, name: str, then: str) -> None:
        try:
            token = tokens.generate(self.store, name)
        except VaultError as exc:
            self.post_message(self.ActionDone([name], False, exc.message))
            return
        left = token.seconds_left()
        from vault.core.summary import format_left

        self.post_message(
            self.ActionDone([name], True, f"New token for {name}: {format_left(left)} left.", then)
        )

    def action_test_call(self) -> None:
        cred = self._selected()
        if cred is not None:
            self.table.set_busy(cred.name, True)
            self._test_call_worker(cred.name)

    @work(group="provider")
    async def _test_call_worker(self, name: str) -> None:
        # Async: the GET is awaited on the event loop; the vault's file work (a token generated
        # after a 401) runs in anyio's threads, so the screen keeps ticking meanwhile.
        try:
            result = await atest_call(self.store, name)
        except VaultError as exc:
            self.post_message(self.ActionDone([name], False, exc.message))
            return
        self.post_message(self.ActionDone([name], result.ok, result.message))

    def action_refresh(self) -> None:
        cred = self._selected()
        if cred is not None:
            self._refresh_names([cred.name])

    def action_refresh_expiring(self) -> None:
        at = now()
        names = [
            c.name
            for c in self.store.data.credentials.values()
            if c.token is not None and c.token_status(at) in (Status.EXPIRING, Status.EXPIRED)
        ]
        if not names:
            self.notify("Nothing is expiring.", timeout=3)
            return
        self._refresh_names(names)

    def _refresh_names(self, names: list[str], auto: bool = False) -> None:
        for name in names:
            self.table.busy.add(name)
        self.table.refresh()
        self._refresh_worker(names, auto)

    @work(thread=True, group="provider")
    def _refresh_worker(self, names: list[str], auto: bool) -> None:
        try:
            outcomes = tokens.refresh_many(self.store, names)
        except VaultError as exc:
            self.post_message(self.ActionDone(names, False, exc.message))
            return
        failed = [o for o in outcomes.values() if not o.ok]
        prefix = "Auto-refresh: " if auto else ""
        if not failed:
            text = (
                f"{prefix}refreshed {', '.join(names)}."
                if len(names) <= 3
                else f"{prefix}refreshed {len(names)} tokens."
            )
            self.post_message(self.ActionDone(names, True, text))
        else:
            lines = [f"{o.name}: {o.error}" for o in failed[:5]]
            ok = len(outcomes) - len(failed)
            text = f"{prefix}{ok} refreshed, {len(failed)} failed.\n" + "\n".join(lines)
            self.post_message(self.ActionDone(names, False, text))

    def on_main_screen_action_done(self, message: ActionDone) -> None:
        for name in message.names:
            self.table.busy.discard(name)
        if self.tv.store is None:
            return
        self.reload_rows()
        if message.ok:
            for name in message.names:
                self._auto_failed.pop(name, None)
        self.notify(
            message.text,
            severity="information" if message.ok else "error",
            timeout=5 if message.ok else 10,
        )
        if message.ok and message.then and len(message.names) == 1:
            self._copy(message.names[0], header=message.then == "copy-header", retried=True)

    # -- clipboard and reveal ----------------------------------------------------------------

    def action_copy(self) -> None:
        cred = self._selected()
        if cred is not None:
            self._copy(cred.name, header=False)

    def action_copy_header(self) -> None:
        cred = self._selected()
        if cred is not None:
            self._copy(cred.name, header=True)

    def _copy(self, name: str, header: bool, retried: bool = False) -> None:
        cred = self.store.data.credentials.get(name)
        if cred is None:
            return
        token = cred.token
        then = "copy-header" if header else "copy"
        if token is None:
            self.notify(
                f"{literal(name)} has no token: press g to generate one.", severity="warning"
            )
            return
        left = token.seconds_left()
        if left is not None and left <= 0:
            # Never hand out a token known to be dead: get a fresh one first, then copy it.
            if retried:
                self.notify(
                    f"{literal(name)}: the new token is already expired; not copied.",
                    severity="error",
                )
                return
            self.notify(
                f"{literal(name)}'s token has expired; refreshing before copying.", timeout=3
            )
            self._generate(name, then)
            return
        what = "Token"
        text = token.value
        if header:
            # The headers the engine itself sends (App-ID + App-Token for app tokens), so a
            # pasted header authenticates exactly like a request made through the vault.
            try:
                lines = header_lines(cred)
            except VaultError as exc:
                self.notify(exc.message, severity="error")
                return
            text = "\n".join(lines)
            names = [line.partition(":")[0] for line in lines]
            what = " + ".join(names) + (" headers" if len(names) > 1 else " header")
        self._copy_worker(name, text, header, what)

    @work(thread=True, group="clipboard")
    def _copy_worker(self, name: str, text: str, header: bool, what: str) -> None:
        result = self.tv.put_on_clipboard(text)
        try:
            with self.store.transaction() as data:
                if name in data.credentials:
                    data.credentials[name].record(EventKind.COPIED, "header" if header else "")
        except VaultError:
            pass
        timeout = self.tv.config.clipboard_timeout
        how = "terminal clipboard (OSC 52)" if result.method == "osc52" else result.method
        hint = ", marked as a password" if result.hinted else ""
        clears = f"; cleared in {timeout}s" if timeout else ""
        self.app.call_from_thread(self.reload_rows)
        self.app.call_from_thread(
            self.notify, f"{what} of {literal(name)} copied via {how}{hint}{clears}.", timeout=4
        )

    def action_reveal(self) -> None:
        from vault.tui.app import REVEAL_SECONDS

        cred = self._selected()
        if cred is None:
            return
        if cred.token is None:
            self.notify(f"{literal(cred.name)} has no token to reveal.", severity="warning")
            return
        self.tv.revealed = (cred.name, time.time() + REVEAL_SECONDS)
        self.query_one(DetailsPane).add_class("-open")
        self._update_details()

    # -- revoke, add, edit, remove -----------------------------------------------------------

    def action_revoke(self) -> None:
        from vault.tui.screens.confirm import ConfirmScreen

        cred = self._selected()
        if cred is None:
            return
        if cred.token is None:
            self.notify(
                f"{literal(cred.name)} holds no token; nothing to revoke.", severity="warning"
            )
            return
        if revoke_is_remote(cred):
            text = (
                f"Revoke the token of [b]{cred.name}[/] at the provider?\n\n"
                "This is a [b]remote[/] revoke: the provider is told, "
                "then the token is forgotten here."
            )
        else:
            preset = PRESETS.get(cred.provider)
            advice = preset.revoke_advice if preset else ""
            text = (
                f"Revoke the token of [b]{cred.name}[/]?\n\n"
                "This provider has no revocation API: this is [b]local only[/]. "
                f"{advice}"
            )
        name = cred.name

        def done(yes: bool | None) -> None:
            if yes:
                self.table.set_busy(name, True)
                self._revoke_worker(name)

        self.app.push_screen(ConfirmScreen(text, confirm="Revoke"), done)

    @work(thread=True, group="provider")
    def _revoke_worker(self, name: str) -> None:
        try:
            result = tokens.revoke(self.store, name)
        except VaultError as exc:
            self.post_message(self.ActionDone([name], False, exc.message))
            return
        self.post_message(self.ActionDone([name], True, result.message))

    def action_add(self) -> None:
        from vault.tui.screens.credential_form import CredentialFormScreen

        self.app.push_screen(CredentialFormScreen(None), self._form_done)

    def action_edit(self) -> None:
        from vault.tui.screens.credential_form import CredentialFormScreen

        cred = self._selected()
        if cred is not None:
            self.app.push_screen(CredentialFormScreen(cred), self._form_done)

    def _form_done(self, name: str | None) -> None:
        if name and self.tv.store is not None:
            self.reload_rows()
            self.table.select_name(name)
            self.notify(f"Saved {literal(name)}.", timeout=3)

    def action_remove(self) -> None:
        from vault.tui.screens.confirm import ConfirmScreen

        cred = self._selected()
        if cred is None:
            return
        name = cred.name

        def done(yes: bool | None) -> None:
            if yes:
                self._remove_worker(name)

        text = (
            f"Remove [b]{name}[/] and its secrets from the vault?\n\n"
            "This cannot be undone (the previous file is kept as the vault's backup). "
            "Its token is not revoked at the provider: press x first for that."
        )
        self.app.push_screen(ConfirmScreen(text, confirm="Remove"), done)

    @work(thread=True, group="provider")
    def _remove_worker(self, name: str) -> None:
        try:
            with self.store.transaction() as data:
                data.credentials.pop(name, None)
        except VaultError as exc:
            self.post_message(self.ActionDone([name], False, exc.message))
            return
        self.post_message(self.ActionDone([name], True, f"Removed {name}."))

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
        if box.has_class("-active"):
            box.value = ""
            box.remove_class("-active")
            self.table.filter_text = ""
            self.table.focus()
        elif self.query_one(DetailsPane).has_class("-open"):
            self.query_one(DetailsPane).remove_class("-open")

    def action_details(self) -> None:
        pane = self.query_one(DetailsPane)
        pane.toggle_class("-open")
        self._update_details()

    def action_sort(self) -> None:
        table = self.table
        table.sort = SORTS[(SORTS.index(table.sort) + 1) % len(SORTS)]
        self.notify(f"Sorted by {table.sort}.", timeout=2)
        self.tick()

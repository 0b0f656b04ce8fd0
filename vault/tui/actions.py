"""The main screen's token actions: generate, refresh, test call, copy, reveal, revoke, remove.

Each runs in a worker and reports by ``ActionDone``; at most one runs per credential
(``Operations``), and the toasts use one wording per outcome.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from textual import on, work
from textual.message import Message
from textual.screen import Screen

from vault.core import tokens
from vault.core.arefresh import arefresh_many
from vault.core.clock import now
from vault.core.errors import VaultError
from vault.core.model import Credential, EventKind, Status
from vault.core.providers import PRESETS, header_lines
from vault.core.providers.engine import missing_requirements
from vault.core.store import VaultStore
from vault.core.summary import format_left
from vault.core.testcall import atest_call
from vault.tui.clipwords import copied_sentence
from vault.tui.operations import Operations, OperationsChanged
from vault.tui.widgets.details import DetailsPane, literal

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp
    from vault.tui.widgets.credential_list import CredentialList


CREDENTIAL_ACTIONS = frozenset(
    {
        "generate",
        "refresh",
        "copy",
        "copy_header",
        "test_call",
        "revoke",
        "edit",
        "remove",
        "reveal",
    }
)
"""Actions on the selected credential: the command palette names it ("Refresh happay-uat")."""


def plural(count: int, word: str) -> str:
    """ "1 credential", "3 credentials"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def new_token_sentence(name: str, left: int | None, prefix: str = "") -> str:
    """The one sentence for a fresh token, whether generate or refresh made it."""
    return f"{prefix}New token for {name}: {format_left(left)} left."


def revoke_is_remote(cred: Credential) -> bool:
    """Whether revoking reaches the provider (a revoke URL is configured) or is local only."""
    preset = PRESETS.get(cred.provider)
    if preset is None:
        return bool(cred.settings.get("revoke_url"))
    return bool(preset.settings(cred.settings).get("revoke_url"))


class ActionDone(Message):
    """A worker finished: ``ok`` and a sentence for the notification (never a secret)."""

    def __init__(self, names: list[str], ok: bool, text: str, then: str = "") -> None:
        super().__init__()
        self.names = names
        self.ok = ok
        self.text = text
        self.then = then
        """A follow-up action to run on success ("copy", "copy-header")."""


class TokenActions(Screen[None]):
    """The action half of the main screen (the layout half is ``MainScreen``)."""

    if TYPE_CHECKING:
        _auto_failed: dict[str, float]

        @property
        def tv(self) -> TokenVaultApp: ...
        @property
        def store(self) -> VaultStore: ...
        @property
        def table(self) -> CredentialList: ...
        def reload_rows(self) -> None: ...
        def _update_details(self) -> None: ...

    ops: Operations

    def __init__(self) -> None:
        super().__init__()
        self.ops = Operations()
        """What runs, per credential: one operation at a time each."""

    def _selected(self) -> Credential | None:
        cred = self.table.selected
        if cred is None:
            self.notify("No credential selected.", severity="warning", timeout=3)
        return cred

    def _begin(self, names: list[str], what: str, quiet: bool = False) -> bool:
        """Claim ``names`` (their rows say ``what``); a toast and False if one is busy."""
        refusal = self.ops.begin(names, what)
        if refusal is not None:
            if not quiet:
                self.notify(refusal, severity="warning", timeout=3)
            return False
        for name in names:
            self.table.busy.add(name)
        self._ops_changed()
        return True

    def _ops_changed(self) -> None:
        self.table.doing = self.ops.running
        self.table.refresh()
        self.post_message(OperationsChanged(self.ops.running))

    def cancel_selected(self) -> bool:
        """Escape: cancel the selected credential's operation; False when none runs."""
        cred = self.table.selected
        if cred is None or cred.name not in self.ops:
            return False
        text = self.ops.cancel(cred.name)
        if text is not None:
            released = [n for n in self.table.busy if n not in self.ops]
            if released:
                self.table.busy.difference_update(released)
                self._ops_changed()
            self.notify(text, timeout=4)
        return True

    # -- provider actions (workers) --------------------------------------------------------

    def action_generate(self) -> None:
        cred = self._selected()
        if cred is not None:
            self._generate(cred.name)

    def _generate(self, name: str, then: str = "") -> None:
        if self._begin([name], "generating…"):
            self.ops.attach([name], self._generate_worker(name, then))

    @work(group="provider")
    async def _generate_worker(self, name: str, then: str) -> None:
        # Async, so escape cancels the request itself; the store's file work runs in threads.
        try:
            token = await tokens.agenerate(self.store, name)
        except VaultError as exc:
            self.post_message(ActionDone([name], False, exc.message))
            return
        self.post_message(
            ActionDone([name], True, new_token_sentence(name, token.seconds_left()), then)
        )

    def action_test_call(self) -> None:
        from vault.tui.screens.confirm import ConfirmScreen

        cred = self._selected()
        if cred is None:
            return
        name = cred.name
        if not cred.revoked:
            self._test_call(name)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._test_call(name)

        text = (
            f"[b]{literal(name)}[/]'s token was revoked.\n\n"
            "A test call needs a token: the vault would ask the provider for a new one first. "
            "Mint a new token and call?"
        )
        self.app.push_screen(ConfirmScreen(text, confirm="Mint and call"), answered)

    def _test_call(self, name: str) -> None:
        if self._begin([name], "testing…"):
            self.ops.attach([name], self._test_call_worker(name))

    @work(group="provider")
    async def _test_call_worker(self, name: str) -> None:
        # Async: the GET is awaited on the event loop; the vault's file work (a token generated
        # after a 401) runs in anyio's threads, so the screen keeps ticking meanwhile.
        started = time.monotonic()
        try:
            result = await atest_call(self.store, name)
        except VaultError as exc:
            self.post_message(ActionDone([name], False, exc.message))
            return
        took = time.monotonic() - started
        path = urlsplit(result.url).path or "/"
        text = f"{result.message.removesuffix('.')} (GET {path}, {took:.2f} s)."
        self.post_message(ActionDone([name], result.ok, text))

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
        names = [n for n in names if n not in self.ops]  # the busy ones are on their way
        if names:
            self._refresh_names(names)

    def _refresh_names(self, names: list[str], auto: bool = False) -> None:
        if self._begin(names, "refreshing…", quiet=auto):
            self.ops.attach(names, self._refresh_worker(names, auto))

    @work(group="provider")
    async def _refresh_worker(self, names: list[str], auto: bool) -> None:
        # Async like generate's, so escape abandons the token requests (nothing is stored).
        try:
            outcomes = await arefresh_many(self.store, names)
        except VaultError as exc:
            self.post_message(ActionDone(names, False, exc.message))
            return
        failed = [o for o in outcomes.values() if not o.ok]
        prefix = "Auto-refresh: " if auto else ""
        if not failed:
            if len(names) == 1:
                cred = self.store.data.credentials.get(names[0])
                left = cred.token.seconds_left() if cred and cred.token else None
                text = new_token_sentence(names[0], left, prefix)
            else:
                text = f"{prefix}New tokens for {plural(len(names), 'credential')}."
            self.post_message(ActionDone(names, True, text))
        else:
            lines = [f"{o.name}: {o.error}" for o in failed[:5]]
            ok = len(outcomes) - len(failed)
            text = f"{prefix}{ok} refreshed, {len(failed)} failed.\n" + "\n".join(lines)
            self.post_message(ActionDone(names, False, text))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        fresh = self.ops.end(message.names)
        for name in message.names:
            self.table.busy.discard(name)
        self._ops_changed()
        if self.tv.store is None:
            return
        self.reload_rows()
        if message.ok:
            for name in message.names:
                self._auto_failed.pop(name, None)
        if not fresh:
            return  # cancelled: the user already heard
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
        sentence = copied_sentence(
            f"{what} of {literal(name)}", result, self.tv.config.clipboard_timeout
        )
        self.app.call_from_thread(self.reload_rows)
        severity = "warning" if result.missing else "information"
        self.app.call_from_thread(self.notify, sentence, severity=severity, timeout=6)

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
        shown = literal(cred.name)
        if revoke_is_remote(cred):
            text = (
                f"Revoke the token of [b]{shown}[/] at the provider?\n\n"
                "This is a [b]remote[/] revoke: the provider is told, "
                "then the token is forgotten here."
            )
        else:
            preset = PRESETS.get(cred.provider)
            advice = preset.revoke_advice if preset else ""
            text = (
                f"Revoke the token of [b]{shown}[/]?\n\n"
                "This provider has no revocation API: this is [b]local only[/]. "
                f"{advice}"
            )
        name = cred.name

        def done(yes: bool | None) -> None:
            if yes and self._begin([name], "revoking…"):
                self._revoke_worker(name)

        self.app.push_screen(ConfirmScreen(text, confirm="Revoke"), done)

    @work(thread=True, group="provider")
    def _revoke_worker(self, name: str) -> None:
        try:
            result = tokens.revoke(self.store, name)
        except VaultError as exc:
            self.post_message(ActionDone([name], False, exc.message))
            return
        self.post_message(ActionDone([name], True, result.message))

    def action_add(self) -> None:
        from vault.tui.screens.credential_form import CredentialFormScreen

        self.app.push_screen(CredentialFormScreen(None), self._added)

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

    def _added(self, name: str | None) -> None:
        """A new credential gets its first token at once, rather than sitting at `missing`."""
        if not name or self.tv.store is None:
            return
        self.reload_rows()
        self.table.select_name(name)
        cred = self.store.data.credentials.get(name)
        if cred is None:
            return
        preset = PRESETS.get(cred.provider)
        complete = not missing_requirements(cred.provider, cred.settings, cred.secrets)
        if complete and preset is not None and preset.auto_refresh:
            self.notify(f"Saved {literal(name)}; getting its first token.", timeout=3)
            self._generate(name)
        else:
            # Costly tokens (a year-long ShiftIQ token): offered, not spent unasked.
            self.notify(f"Saved {literal(name)}. Press g to get its first token.", timeout=5)

    def action_remove(self) -> None:
        from vault.tui.screens.confirm import ConfirmScreen

        cred = self._selected()
        if cred is None:
            return
        name = cred.name

        def done(yes: bool | None) -> None:
            if yes and self._begin([name], "removing…"):
                self._remove_worker(name)

        text = (
            f"Remove [b]{literal(name)}[/] and its secrets from the vault?\n\n"
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
            self.post_message(ActionDone([name], False, exc.message))
            return
        self.post_message(ActionDone([name], True, f"Removed {name}."))

"""The tokenvault TUI: unlock, live expiry bars, and one key per token action."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from vault.agent.location import agent_may_run
from vault.core import clipboard
from vault.core.config import DEFAULT_THEME, Config, load_config, save_theme
from vault.core.crypto import KdfParams
from vault.core.errors import ConfigError
from vault.core.store import VaultStore
from vault.tui import agent_words, terminal_writes
from vault.tui.clipwords import cleared_sentence
from vault.tui.crash import crash_report
from vault.tui.resume import Resume, remember
from vault.tui.themes import load_themes

REVEAL_SECONDS = 10
"""How long the reveal key shows one token in clear."""


class TokenVaultApp(App[int]):
    """Holds the unlocked store, the config and the clipboard countdown; screens do the rest."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "tokenvault"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "lock", "Lock", id="lock"),
        Binding("t", "next_theme", "Theme", id="theme"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        vault_path: Path,
        *,
        config: Config | None = None,
        kdf: KdfParams | None = None,
        clipboard_tool: clipboard.Tool | str | None = "detect",
    ) -> None:
        super().__init__()
        self.vault_path = Path(vault_path)
        self.kdf = kdf
        """KDF for a vault created here; None means the production default."""
        self.config_error: str | None = None
        if config is None:
            try:
                config = load_config()
            except ConfigError as exc:
                self.config_error = exc.message
                config = Config()
        self.config = config
        self.store: VaultStore | None = None
        self.last_activity = time.time()
        """Wall-clock time of the last key or click: idle time survives suspend/resume."""
        self._clipboard_tool = clipboard_tool
        self.clip_token: str | None = None
        """The text we last put on the clipboard, held only to clear it if still there."""
        self.clip_method: str | None = None
        self.clip_deadline: float | None = None
        self.last_escape: str | None = None
        """The last OSC 52 sequence written to the terminal (tests read it back)."""
        self.revealed: tuple[str, float] | None = None
        """(credential name, until) while the reveal key shows one token."""
        self.theme_names: list[str] = []
        self.started_agent = False
        """This app started the vault's session agent (the demo ends it on the way out)."""
        self.initial_store: VaultStore | None = None
        """An already unlocked store to open straight away (the demo, benchmarks)."""
        self.resume: Resume | None = None
        """Where the main screen was when the vault locked; the next unlock goes back there."""

    # -- start-up --------------------------------------------------------------------------

    def on_mount(self) -> None:
        # A tick then writes the changed cells, not whole rows (only on the Textual it was
        # written for; removed again in on_unmount).
        terminal_writes.install(self)
        found = load_themes()
        for theme in found.themes.values():
            self.register_theme(theme)
        self.theme_names = sorted(found.themes)
        problems = list(found.errors)
        if self.config_error:
            problems.append(self.config_error)
        problems.extend(self.config.warnings)
        wanted = self.config.theme
        if wanted not in self.available_themes:
            problems.append(f"Theme {wanted!r} is not available; using {DEFAULT_THEME}.")
            wanted = DEFAULT_THEME
        self.theme = wanted
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        problems.extend(self._apply_keymap())
        if problems:
            # One notification for everything, not a storm of them.
            self.notify("\n".join(problems), title="Config", severity="warning", timeout=10)
        self.set_interval(1.0, self._tick)
        if self.initial_store is not None:
            store, self.initial_store = self.initial_store, None
            self.vault_opened(store, offer_agent=False)
        elif self.vault_path.exists() and agent_may_run(self.vault_path):
            self._open_via_agent()
        else:
            self.show_gate()

    def on_unmount(self) -> None:
        terminal_writes.uninstall(self)

    @work(thread=True, exclusive=True, group="agent")
    def _open_via_agent(self) -> None:
        """At start-up only: a running session agent gives the key (no passphrase, no KDF).

        Never after a lock, explicit or idle, or the lock would undo itself through an agent
        still running for scripts. Any agent trouble just leads to the unlock screen.
        """
        from vault.agent.client import store_from_agent
        from vault.core.exposure import exposure_warning

        store = store_from_agent(self.vault_path)
        if store is None:
            self.call_from_thread(self.show_gate)
        else:
            # The agent holds the key, but the file is still this vault's: others who can read
            # or write its folder are as much a threat as on the unlock screen.
            warning = exposure_warning(self.vault_path)
            self.call_from_thread(self.vault_opened, store, True, warning=warning)

    def _apply_keymap(self) -> list[str]:
        known = set(self.binding_ids())
        unknown = [k for k in self.config.keymap if k not in known]
        self.set_keymap({k: v for k, v in self.config.keymap.items() if k in known})
        where = self.config.path or "config"
        return [f"{where}: keymap.{k}: no binding has that id" for k in unknown]

    @staticmethod
    def binding_ids() -> Iterator[str]:
        """Every remappable binding id, across the app, its screens and widgets."""
        for owner in _binding_owners():
            for binding in owner.BINDINGS:
                if isinstance(binding, Binding) and binding.id:
                    yield binding.id

    def show_gate(self) -> None:
        """The create-vault screen on first run, the unlock screen afterwards."""
        from vault.tui.screens.create_vault import CreateVaultScreen
        from vault.tui.screens.unlock import UnlockScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        if self.vault_path.exists():
            self.push_screen(UnlockScreen(self.vault_path))
        else:
            self.push_screen(CreateVaultScreen(self.vault_path))

    def vault_opened(
        self,
        store: VaultStore,
        via_agent: bool = False,
        offer_agent: bool = True,
        warning: str | None = None,
    ) -> None:
        """Called by the gate screens once a worker has unlocked or created the vault.

        Args:
            via_agent: a running session agent gave the key.
            offer_agent: start an agent if the config asks for it (not for the demo's
                throwaway vault).
            warning: ``exposure_warning`` of the vault (others can read or write its folder
                or files), shown once for this opening, however the key came.
        """
        from vault.tui.screens.main import MainScreen

        self.store = store
        self.last_activity = time.time()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        main = MainScreen(store)
        main.resume, self.resume = self.resume, None
        self.push_screen(main)
        if warning:
            self.notify(warning, title="Vault folder", severity="warning", timeout=15)
        if via_agent:
            self.notify("Unlocked by the session agent.", timeout=3)
        elif offer_agent and self.config.agent.start_on_unlock:
            self._start_agent(store.path, store.data_key, self.config.agent.timeout)

    @work(thread=True, exclusive=True, group="agent")
    def _start_agent(self, path: Path, data_key: bytes, timeout: int) -> None:
        # Unlock once for the TUI and the CLI alike: scripts run meanwhile need no passphrase.
        from vault.agent.client import agent_status, start_agent
        from vault.core.errors import VaultError

        if agent_status(path) is not None:
            return  # one already serves this vault: reuse it
        try:
            start_agent(path, data_key, timeout)
        except VaultError as exc:
            self.call_from_thread(
                self.notify, f"The session agent did not start: {exc}", severity="warning"
            )
            return
        self.started_agent = True
        self.call_from_thread(self.notify, agent_words.started(agent_status(path)), timeout=6)

    @work(thread=True, exclusive=True, group="agent")
    def _stop_agent(self, path: Path) -> None:
        from vault.agent.client import stop_agent

        stop_agent(path)

    # -- idle lock, clipboard and reveal countdowns --------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown):
            self.last_activity = time.time()
        await super().on_event(event)

    def idle_left(self) -> int | None:
        if self.store is None or self.config.auto_lock <= 0:
            return None
        return max(0, int(self.config.auto_lock - (time.time() - self.last_activity)))

    def clipboard_left(self) -> int | None:
        if self.clip_deadline is None:
            return None
        return max(0, int(self.clip_deadline - time.time() + 0.999))

    def _tick(self) -> None:
        left = self.idle_left()
        if left is not None and left <= 0:
            # The agent keeps its own idle clock: scripts may still be using it.
            self.action_lock(reason="Locked after being idle.", end_agent=False)
        if self.clip_deadline is not None and time.time() >= self.clip_deadline:
            self.clear_clipboard()
        if self.revealed and time.time() >= self.revealed[1]:
            self.revealed = None

    def action_lock(self, reason: str = "Locked.", end_agent: bool = True) -> None:
        """Drop the keys and the decrypted data, then show the unlock screen.

        An explicit lock also ends the vault's session agent, so locking here locks the CLI too.
        """
        if self.store is None:
            return
        if end_agent:
            self._stop_agent(self.store.path)
        self.resume = self._where()
        self.store.close()
        self.store = None
        self.revealed = None
        self.show_gate()
        self.notify(reason, timeout=4)

    def _where(self) -> Resume | None:
        """The main screen's place (under any dialog on top of it), for the next unlock."""
        from vault.tui.screens.main import MainScreen
        from vault.tui.widgets.credential_list import CredentialList

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and screen.query(CredentialList):
                return remember(screen)
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "lock" and self.store is None)

    # -- clipboard -------------------------------------------------------------------------

    def _tool(self) -> clipboard.Tool | None:
        if self.config.clipboard_command or self._clipboard_tool == "detect":
            # The same choice as `tokenvault copy`; a configured tool that is missing is
            # still used, so the toast names it.
            return clipboard.chosen_tool(self.config.clipboard_command)
        return self._clipboard_tool if isinstance(self._clipboard_tool, clipboard.Tool) else None

    def write_escape(self, sequence: str) -> None:
        """Write an escape sequence (OSC 52) straight to the terminal."""
        self.last_escape = sequence
        if self._driver is not None:
            self._driver.write(sequence)

    def put_on_clipboard(self, text: str) -> clipboard.CopyResult:
        """Copy (runs a subprocess: call from a thread worker); starts the clear countdown."""
        result = clipboard.copy_text(text, self._tool())
        self.call_from_thread(self._copied, text, result)
        return result

    def _copied(self, text: str, result: clipboard.CopyResult) -> None:
        if result.osc52:
            self.write_escape(result.osc52)
        self.clip_token = text
        self.clip_method = result.method
        timeout = self.config.clipboard_timeout
        self.clip_deadline = time.time() + timeout if timeout > 0 else None

    def clear_clipboard(self) -> None:
        if self.clip_token is None or self.clip_method is None:
            self.clip_deadline = None
            return
        token, method = self.clip_token, self.clip_method
        self.clip_token = self.clip_method = None
        self.clip_deadline = None
        self._clear_worker(token, method)

    async def action_quit(self) -> None:
        """Quit, but first clear a token still on the clipboard.

        The countdown lives in this process: quitting before it ends would otherwise leave
        the token on the clipboard for the rest of the desktop session.
        """
        if self.clip_token is not None and self.clip_method is not None:
            token, method = self.clip_token, self.clip_method
            self.clip_token = self.clip_method = None
            self.clip_deadline = None
            result = await asyncio.to_thread(
                clipboard.clear_if_unchanged, token, method, self._tool()
            )
            if result is not None and result.osc52:
                self.write_escape(result.osc52)  # the driver is still up: the terminal gets it
        self.exit()

    @work(thread=True, exclusive=True, group="clipboard-clear")
    def _clear_worker(self, token: str, method: str) -> None:
        result = clipboard.clear_if_unchanged(token, method, self._tool())
        if result is not None and result.osc52:
            self.call_from_thread(self.write_escape, result.osc52)
        self.call_from_thread(self.notify, cleared_sentence(method), timeout=3)

    # -- themes and help -------------------------------------------------------------------

    def action_next_theme(self) -> None:
        names = self.theme_names or [DEFAULT_THEME]
        index = names.index(self.theme) + 1 if self.theme in names else 0
        self.theme = names[index % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def _theme_changed(self, theme: Theme) -> None:
        self.config.theme = theme.name
        try:
            save_theme(theme.name, self.config.path)
        except ConfigError as exc:  # one sentence naming the file (a dangling symlink, ...)
            self.notify(f"The theme choice was not saved. {exc.message}", severity="warning")

    def action_help(self) -> None:
        from vault.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, then every binding of the screen and the app, each once;
        an action on a credential names it ("Refresh happay-uat")."""
        from vault.tui.actions import CREDENTIAL_ACTIONS
        from vault.tui.keynames import written_keys
        from vault.tui.widgets.credential_list import CredentialList

        seen: set[str] = set()
        for command in super().get_system_commands(screen):
            seen.add(command.title)  # Textual's "Theme" (a picker) stands for our t too
            yield command
        lists = screen.query(CredentialList)
        selected = lists.first().selected_name if lists else None
        keymap: dict[str, str] = dict(getattr(self, "_keymap", {}))
        for owner in (screen, self):
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                if binding.action in {"quit", "command_palette"}:
                    continue
                title = binding.description
                if selected is not None and binding.action in CREDENTIAL_ACTIONS:
                    title = f"{title} {selected}"
                if title in seen:
                    continue
                seen.add(title)
                keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                yield SystemCommand(
                    title,
                    binding.tooltip or f"key: {written_keys(keys)}",
                    partial(self.run_action, binding.action, owner),
                )

    # -- secrets never leave through a crash report ----------------------------------------

    def known_secrets(self) -> list[str]:
        if self.store is None:
            return []
        out: list[str] = []
        for cred in self.store.data.credentials.values():
            out.extend(cred.secrets.values())
            if cred.token:
                out.append(cred.token.value)
        if self.clip_token:
            out.append(self.clip_token)
        return out

    def _handle_exception(self, error: Exception) -> None:
        # Replaces Textual's report, which shows local variables (tokens, passphrases).
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        report = crash_report(error, self.known_secrets())
        self._exit_renderables.append(Text(report))
        if self.store is not None:
            self.store.close()
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:  # pragma: no cover - only reached via _handle_exception
        error = sys.exc_info()[1]
        self._exit_renderables.append(Text(crash_report(error or RuntimeError("unknown error"))))
        self._close_messages_no_wait()


def _binding_owners() -> list[Any]:
    """Every class whose bindings carry ids: the keymap, the help screen and the README use it.

    Textual applies ``App.set_keymap`` to whichever screen's binding chain handles a key (modal
    screens included), so a class missing here would only lose its ids' remapping.
    """
    from vault.tui.screens.confirm import ConfirmScreen
    from vault.tui.screens.credential_form import CredentialFormScreen
    from vault.tui.screens.help import HelpScreen
    from vault.tui.screens.main import MainScreen
    from vault.tui.screens.rotation import RotationScreen
    from vault.tui.widgets.credential_list import CredentialList

    return [
        TokenVaultApp,
        MainScreen,
        ConfirmScreen,
        CredentialFormScreen,
        HelpScreen,
        RotationScreen,
        CredentialList,
    ]


def run_tui(vault_path: Path) -> int:
    """Open the TUI on ``vault_path`` (bare ``tokenvault``); returns the exit code."""
    app = TokenVaultApp(vault_path)
    try:
        app.run()
    except Exception as exc:  # a failure outside Textual's own handler
        print(crash_report(exc, app.known_secrets()), file=sys.stderr)
        return 1
    if agent_may_run(vault_path):
        from vault.agent.client import agent_status

        status = agent_status(vault_path)
        if status is not None:  # quitting the TUI leaves the CLI unlocked: say so, and until when
            print(agent_words.still_running(status))
    return app.return_code or 0

"""App-wide behaviour: themes, keymap, help, command palette, crash report, real clipboard."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.widgets import Input

from tests.tui.conftest import on_main, wait_for
from vault.core import tokens
from vault.core.config import config_dir, load_config
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.screens.help import HelpScreen
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]
ROOT = Path(__file__).resolve().parents[2]


async def test_theme_key_cycles_and_is_remembered(make_app: AppFactory, store: VaultStore) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert app.theme == "tokenvault-dark"
        await pilot.press("t")
        assert app.theme == "tokenvault-light"
        assert app.current_theme.dark is False
    assert load_config().theme == "tokenvault-light"


async def test_broken_theme_gives_one_notification(make_app: AppFactory, store: VaultStore) -> None:
    themes = config_dir() / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\n[colors]\nprimary = "zzz"\n')
    app = make_app(unlocked=store, theme="broken")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert app.theme == "tokenvault-dark"
        notes = list(app._notifications)
        assert len(notes) == 1
        assert "broken.toml" in str(notes[0].message) and "not available" in str(notes[0].message)


async def test_keymap_override(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store, keymap={"generate": "ctrl+g", "nonsense": "z"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert any("keymap.nonsense" in str(n.message) for n in app._notifications)
        app.screen.query_one(CredentialList).select_name("happay-uat")
        await pilot.press("g")
        await app.workers.wait_for_complete()  # a generate would run in a worker: none did
        assert sim.counters.get("app-token.generate", 0) == 0
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: sim.counters.get("app-token.generate.ok", 0) == 1)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(app.screen._table())
        table = console.export_text()
        for binding_id in TokenVaultApp.binding_ids():
            assert binding_id in table
        assert "ctrl+g" in table
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_lists_actions(make_app: AppFactory, store: VaultStore) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for title in (
            "Generate",
            "Refresh",
            "Copy",
            "Test call",
            "Revoke",
            "Add",
            "Filter",
            "Lock",
            "Theme",
        ):
            assert title in titles
        await pilot.press("ctrl+p", *"lock", "enter")
        await wait_for(pilot, lambda: app.store is None)


CRASH_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from vault.core.crypto import KdfParams
    from vault.core.model import Credential, Token
    from vault.core.store import VaultStore
    from vault.core.config import Config
    from vault.tui.app import TokenVaultApp
    from textual.binding import Binding

    path = Path(sys.argv[1])
    planted = sys.argv[2]
    store = VaultStore.create(path, "crash test pass", KdfParams.cheap())
    with store.transaction() as data:
        data.credentials["c"] = Credential("c", "app-token", token=Token(value=planted),
                                           secrets={"app_secret": planted[::-1]})

    class Crashing(TokenVaultApp):
        BINDINGS = [*TokenVaultApp.BINDINGS, Binding("f12", "crash", "Crash")]

        def action_crash(self) -> None:
            token_in_a_local = self.store.data.credentials["c"].token.value
            secret_too = self.store.data.credentials["c"].secrets["app_secret"]
            raise RuntimeError(f"bad state near {token_in_a_local} and {secret_too}")

    async def auto(pilot):
        await pilot.pause(0.3)
        await pilot.press("f12")
        await pilot.pause(0.5)

    app = Crashing(path, config=Config(), clipboard_tool=None)
    app.initial_store = VaultStore.unlock(path, "crash test pass")
    app.run(headless=True, auto_pilot=auto)
    sys.exit(app.return_code)
    """
)


def test_crash_report_never_prints_a_secret(tmp_path: Path) -> None:
    planted = "PLANTED-tok-9f8e7d6c5b4a3928"
    script = tmp_path / "crash.py"
    script.write_text(CRASH_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "v.tvault"), planted],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    combined = out.stdout + out.stderr
    assert out.returncode != 0
    assert "RuntimeError" in combined and "action_crash" in combined
    assert planted not in combined
    assert planted[::-1] not in combined
    assert planted[-4:] in combined  # masked form: last 4 characters at most


async def test_copy_to_real_clipboard_then_cleared(
    xvfb_xclip: str, vault_path: Path, demo_store: VaultStore
) -> None:
    from vault.core import clipboard
    from vault.core.config import Config
    from vault.core.crypto import KdfParams

    tokens.generate(demo_store, "happay-uat")
    # A long countdown, ended by the test once the copy is seen: a 2 s one could clear the
    # clipboard before a slow machine's first read-back, and the wait for the token would fail.
    app = TokenVaultApp(vault_path, config=Config(clipboard_timeout=300), kdf=KdfParams.cheap())
    app.initial_store = demo_store
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        value = demo_store.data.credentials["happay-uat"].token.value  # type: ignore[union-attr]
        await pilot.press("c")
        await wait_for(pilot, lambda: clipboard.read_text() == value, timeout=8)
        assert app.last_escape is None  # the native tool did it, not OSC 52
        assert app.clip_deadline is not None
        app.clip_deadline = time.time()
        await wait_for(pilot, lambda: clipboard.read_text() == "", timeout=8)
        # Copy again and quit at once: the token must not outlive the app on the clipboard.
        await pilot.press("c")
        await wait_for(pilot, lambda: clipboard.read_text() == value, timeout=8)
        await pilot.press("q")
    assert clipboard.read_text() == ""


async def test_help_and_form_bindings_are_remappable(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    keymap = {"help-close": "f4", "form-cancel": "f3", "form-save": "f2"}
    app = make_app(unlocked=demo_store, keymap=keymap)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert not any("keymap." in str(n.message) for n in app._notifications)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")  # remapped away: the help stays
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f4")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        await pilot.press("escape")
        assert isinstance(app.screen, CredentialFormScreen)
        await pilot.press("f3")
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        form = app.screen
        form.query_one("#name", Input).value = "remapped"
        form.query_one("#set-base-url", Input).value = sim.url
        form.query_one("#set-app-id", Input).value = "app-1"
        form.query_one("#sec-app-secret", Input).value = "s3cret-value"
        await pilot.press("ctrl+s")  # the default key no longer saves
        await app.workers.wait_for_complete()  # the save worker would have run by now
        await pilot.pause()
        assert isinstance(app.screen, CredentialFormScreen)
        assert "remapped" not in app.store.data.credentials  # type: ignore[union-attr]
        await pilot.press("f2")
        await wait_for(pilot, lambda: on_main(app))
        assert "remapped" in app.store.data.credentials  # type: ignore[union-attr]

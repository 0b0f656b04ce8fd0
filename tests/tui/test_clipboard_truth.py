"""The copy toast says what really happened: OSC 52 is unconfirmed, a missing tool is named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.conftest import on_main, wait_for
from vault.core import clipboard, tokens
from vault.core.config import load_config
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]


def toasts(app: TokenVaultApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_an_osc52_copy_inside_tmux_is_not_called_copied(
    make_app: AppFactory, demo_store: VaultStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1234,0")
    tokens.generate(demo_store, "partner-oauth")
    app = make_app(unlocked=demo_store, clipboard_timeout=300)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: any("OSC 52" in t for t in toasts(app)))
        text = next(t for t in toasts(app) if "OSC 52" in t)
        assert "sent to the terminal (OSC 52); the terminal may not accept it" in text
        assert "set-clipboard" in text and "best effort" in text
        assert "copied" not in text


async def test_a_configured_tool_that_is_missing_is_named(
    make_app: AppFactory, demo_store: VaultStore
) -> None:
    tokens.generate(demo_store, "partner-oauth")
    app = make_app(unlocked=demo_store, clipboard_command="tokenvault-no-such-clip --in")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: any("OSC 52" in t for t in toasts(app)))
        text = next(t for t in toasts(app) if "OSC 52" in t)
        assert "tokenvault-no-such-clip is not available" in text
        assert app.last_escape is not None  # the copy still went somewhere: the terminal


async def test_the_configured_command_is_used(
    make_app: AppFactory, demo_store: VaultStore, xvfb_xclip: str
) -> None:
    token = tokens.generate(demo_store, "partner-oauth")
    app = make_app(unlocked=demo_store, clipboard_command="xclip -selection clipboard -in")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: any("copied via xclip" in t for t in toasts(app)))
        tool = clipboard.configured_tool("xclip -selection clipboard -in")
        assert clipboard.read_text(tool) == token.value


def test_the_clipboard_command_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[clipboard]\ncommand = "xsel --clipboard --input"\n')
    assert load_config(path).clipboard_command == "xsel --clipboard --input"
    path.write_text('[clipboard]\ncommand = "xsel \'unbalanced"\n')
    cfg = load_config(path)
    assert cfg.clipboard_command == ""
    assert any("clipboard.command" in w for w in cfg.warnings)

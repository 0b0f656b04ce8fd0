"""The TUI at the edges: a shared vault folder is left as it was (with one notification),
and the demo never writes the user's real config file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.tui.conftest import on_main, wait_for
from vault.core.config import Config, config_path, load_config
from vault.core.crypto import KdfParams
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.demo import demo_app
from vault.tui.screens.create_vault import CreateVaultScreen


async def test_create_screen_leaves_a_sticky_folder_alone_and_says_so(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    config = Config()
    config.agent.start_on_unlock = False
    app = TokenVaultApp(
        shared / "v.tvault", config=config, kdf=KdfParams.cheap(), clipboard_tool=None
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CreateVaultScreen))
        app.screen.query_one("#passphrase").value = "a long passphrase"  # type: ignore[attr-defined]
        app.screen.query_one("#again").value = "a long passphrase"  # type: ignore[attr-defined]
        await pilot.click("#create")
        await wait_for(pilot, lambda: on_main(app))
        warnings = [n for n in app._notifications if "other users" in str(n.message)]
        assert len(warnings) == 1 and str(shared) in str(warnings[0].message)
        assert "1777" in str(warnings[0].message)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert VaultStore.unlock(shared / "v.tvault", "a long passphrase").data.credentials == {}


async def test_create_screen_in_a_private_folder_gives_no_warning(tmp_path: Path) -> None:
    config = Config()
    config.agent.start_on_unlock = False
    path = tmp_path / "new" / "v.tvault"
    app = TokenVaultApp(path, config=config, kdf=KdfParams.cheap(), clipboard_tool=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CreateVaultScreen))
        app.screen.query_one("#passphrase").value = "a long passphrase"  # type: ignore[attr-defined]
        app.screen.query_one("#again").value = "a long passphrase"  # type: ignore[attr-defined]
        await pilot.click("#create")
        await wait_for(pilot, lambda: on_main(app))
        assert not [n for n in app._notifications if "other users" in str(n.message)]
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_the_demo_never_writes_the_real_config(tmp_path: Path) -> None:
    real = config_path()  # under tmp_path: the autouse fixture points platformdirs there
    assert str(real).startswith(str(tmp_path))
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_text('# my settings\ntheme = "tokenvault-dark"\n')
    before = real.read_bytes(), real.stat().st_mtime_ns
    throwaway = tmp_path / "demo"
    throwaway.mkdir()
    with Simulator() as sim:
        from vault.sim import demo as fixtures

        fixtures.seed(sim)
        app = demo_app(throwaway, sim.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: on_main(app))
            await pilot.press("t")
            changed = throwaway / "config.toml"
            await wait_for(pilot, lambda: changed.exists() and app.theme in changed.read_text())
            assert app.theme != "tokenvault-dark"
    assert (real.read_bytes(), real.stat().st_mtime_ns) == before
    assert load_config(real).theme == "tokenvault-dark"

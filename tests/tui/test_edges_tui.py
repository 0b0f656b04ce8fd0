"""Files the user names to the TUI (a PEM path, theme files) are regular files or refused in
one sentence at once, and unlocking a vault others can reach warns once per unlock.

A FIFO with no writer would block ``open`` for ever (the whole app with it), so each case
runs under a bounded pytest timeout as well as ``wait_for``'s own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.tui.conftest import PASSPHRASE, on_main, unlock, wait_for
from tests.tui.test_forms import fill, open_form, style_values
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.screens.unlock import UnlockScreen
from vault.tui.themes import user_theme_dir

AppFactory = Callable[..., TokenVaultApp]


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _release(fifo: Path) -> None:
    """Open the FIFO's write end once, so a reader wrongly blocked in ``open`` (a worker
    thread the app would wait for at exit) gets EOF and the test fails instead of hanging."""
    with contextlib.suppress(OSError):  # ENXIO: nobody is reading it, as it should be
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["a FIFO", "a character device"])
async def test_the_form_refuses_a_pem_path_that_is_no_regular_file(
    kind: str, make_app: AppFactory, store: VaultStore, sim: Simulator, tmp_path: Path
) -> None:
    # /dev/null, not /dev/zero: a device is refused alike, and a regression cannot eat memory.
    path = _fifo(tmp_path / "key.pem") if kind == "a FIFO" else Path(os.devnull)
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-assertion")
        values = style_values("jwt-assertion", sim.url)
        fill(form, "from-fifo", values | {"sec-private-key": "", "pem-path": str(path)})
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        try:
            await wait_for(pilot, lambda: kind in str(error.render()))
        finally:
            if kind == "a FIFO":
                _release(path)
        assert f"{path}: it is {kind}, not a regular file" in str(error.render())
        assert isinstance(app.screen, CredentialFormScreen)
    assert "from-fifo" not in store.reload().credentials


@pytest.mark.timeout(60)
async def test_a_theme_file_that_is_a_fifo_is_skipped_with_one_notification(
    make_app: AppFactory, store: VaultStore
) -> None:
    themes = user_theme_dir()
    fifo = _fifo(themes / "evil.toml")
    (themes / "mine.toml").write_text('name = "mine"\n[colors]\nprimary = "#123456"\n')
    app = make_app(unlocked=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        said = [str(n.message) for n in app._notifications if "evil.toml" in str(n.message)]
        assert len(said) == 1 and f"{fifo}: it is a FIFO, not a regular file" in said[0]
        assert "mine" in app.theme_names  # the good file beside it still loads


@pytest.mark.timeout(60)
async def test_a_huge_theme_file_is_not_read_whole(make_app: AppFactory, store: VaultStore) -> None:
    themes = user_theme_dir()
    themes.mkdir(parents=True, exist_ok=True)
    huge = themes / "huge.toml"
    with huge.open("wb") as fh:
        fh.truncate(1 << 20)  # sparse: a MiB of zeros, sixteen times a theme's cap
    app = make_app(unlocked=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        said = [str(n.message) for n in app._notifications if "huge.toml" in str(n.message)]
        assert len(said) == 1 and "is larger than 65536 bytes" in said[0]


def _warnings(app: TokenVaultApp) -> list[str]:
    return [str(n.message) for n in app._notifications if "other users" in str(n.message)]


@pytest.mark.timeout(60)
async def test_unlocking_an_exposed_vault_warns_once_per_unlock(
    make_app: AppFactory, store: VaultStore, vault_path: Path
) -> None:
    os.chmod(vault_path.parent, 0o755)  # as a home folder often is: others may list it
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert _warnings(app) == []  # said on unlocking, not before
        await unlock(pilot, PASSPHRASE)
        await wait_for(pilot, lambda: on_main(app) and bool(_warnings(app)))
        first = _warnings(app)
        assert len(first) == 1 and f"the folder {vault_path.parent} (mode 0755)" in first[0]
        app.clear_notifications()
        await pilot.press("l")
        await unlock(pilot, PASSPHRASE)
        await wait_for(pilot, lambda: on_main(app) and bool(_warnings(app)))
        assert len(_warnings(app)) == 1


@pytest.mark.timeout(60)
async def test_unlocking_a_private_vault_gives_no_warning(
    make_app: AppFactory, store: VaultStore, vault_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await unlock(pilot, PASSPHRASE)
        await wait_for(pilot, lambda: on_main(app))
        assert _warnings(app) == []

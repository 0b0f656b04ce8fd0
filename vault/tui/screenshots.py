"""`python -m vault.tui.screenshots OUTDIR`: SVGs of the real app on the demo vault."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from vault.core import clock
from vault.core.config import Config
from vault.sim import Simulator
from vault.sim import demo as fixtures
from vault.tui.app import TokenVaultApp
from vault.tui.demo import DEMO_KDF, build_demo_vault
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList

FROZEN = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
SIZE = (132, 34)


async def _shoot(outdir: Path, vault_dir: Path, sim_url: str) -> list[Path]:
    store = build_demo_vault(vault_dir / "demo.tvault", sim_url)
    # Defaults, not the user's own config: screenshots must look the same for everyone.
    app = TokenVaultApp(store.path, config=Config(auto_lock=0), kdf=DEMO_KDF, clipboard_tool=None)
    app.initial_store = store
    written: list[Path] = []

    async with app.run_test(size=SIZE) as pilot:

        async def snap(name: str) -> None:
            app.clear_notifications()
            app.screen.sub_title = "demo.tvault"
            await pilot.pause(0.3)
            written.append(Path(app.save_screenshot(f"{name}.svg", str(outdir))))

        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.05)
        await snap("main")
        app.screen.query_one(CredentialList).select_name("shiftiq-reports")
        await pilot.press("enter")
        await snap("details")
        await pilot.press("escape", "a")
        await pilot.pause(0.2)
        await snap("add-form")
        await pilot.press("escape")
        app.theme = "tokenvault-light"
        await snap("light-theme")
        app.theme = "tokenvault-dark"
        await pilot.press("l")
        await pilot.pause(0.2)
        app.screen.query_one(".gate-path").update("demo.tvault")  # type: ignore[attr-defined]
        await snap("unlock")
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0] if args else "screenshots")
    outdir.mkdir(parents=True, exist_ok=True)
    clock.set_clock(lambda: FROZEN)
    try:
        with tempfile.TemporaryDirectory(prefix="tokenvault-shots-") as tmp, Simulator() as sim:
            fixtures.seed(sim)
            written = asyncio.run(_shoot(outdir, Path(tmp), sim.url))
    finally:
        clock.set_clock(None)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

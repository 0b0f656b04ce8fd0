"""`python -m vault.tui.screenshots OUTDIR`: SVGs of the real app on the demo vault."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import jwt

from vault.core import clock
from vault.core.config import Config
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim import demo as fixtures
from vault.tui.app import TokenVaultApp
from vault.tui.demo import DEMO_KDF, build_demo_vault
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList

FROZEN = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
SIZE = (132, 34)
PORTS = range(47100, 47200)
"""Tried in order for the simulator, so its URL in the details pane is the same on every run."""


def _fixed_port() -> int:
    """The first free port of ``PORTS``: deterministic where it matters (a quiet machine)."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"No free loopback port in {PORTS.start}-{PORTS.stop - 1} for the simulator.")


def _fake_value(name: str, real: str) -> str:
    """A fixed stand-in of the same shape: same prefix (``ghs_``) and length, or a JWT."""
    if real.count(".") == 2:
        claims = jwt.decode(real, options={"verify_signature": False})
        if "jti" in claims:
            claims["jti"] = hashlib.sha256(name.encode()).hexdigest()[:16]
        return jwt.encode(claims, "screenshot-only-key-0123456789abcdef", algorithm="HS256")
    prefix, sep, _ = real.partition("_")
    head = prefix + sep if sep and len(prefix) <= 4 else ""
    digest = hashlib.sha256(name.encode()).hexdigest().upper() * 4
    return head + digest[: max(8, len(real) - len(head))]


def _pin_tokens(store: VaultStore) -> None:
    """Replace the simulator's random tokens by fixed fakes: masked tails stay the same."""
    with store.transaction() as data:
        for cred in data.credentials.values():
            if cred.token is not None:
                cred.token.value = _fake_value(cred.name, cred.token.value)


async def _shoot(outdir: Path, vault_dir: Path, sim_url: str) -> list[Path]:
    store = build_demo_vault(vault_dir / "demo.tvault", sim_url)
    _pin_tokens(store)
    # Defaults, not the user's own config: screenshots must look the same for everyone.
    app = TokenVaultApp(store.path, config=Config(auto_lock=0), kdf=DEMO_KDF, clipboard_tool=None)
    app.initial_store = store
    written: list[Path] = []

    async with app.run_test(size=SIZE) as pilot:

        async def snap(name: str) -> None:
            app.clear_notifications()
            for title in app.screen.query("#title"):
                # The real path is a random temp folder: show a stable name instead.
                title.update("tokenvault — demo.tvault")  # type: ignore[attr-defined]
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
        with (
            tempfile.TemporaryDirectory(prefix="tokenvault-shots-") as tmp,
            Simulator(port=_fixed_port()) as sim,
        ):
            fixtures.seed(sim)
            written = asyncio.run(_shoot(outdir, Path(tmp), sim.url))
    finally:
        clock.set_clock(None)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

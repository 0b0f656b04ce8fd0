"""The cropping terminal writes: only on the Textual they were written for, only for this app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.segment import Segment
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from tests.tui.conftest import on_main, wait_for
from vault.core.store import VaultStore
from vault.tui import terminal_writes
from vault.tui.app import TokenVaultApp

AppFactory = Callable[..., TokenVaultApp]


def update() -> ChopsUpdate:
    """One line, "abcdefgh" from x=0, of which only cells 2 to 5 changed."""
    return ChopsUpdate([{0: Strip([Segment("abcdefgh")])}], [(0, 2, 5)], [[8]])


def test_the_installed_textual_is_the_one_the_patch_was_written_for() -> None:
    # Fails when Textual changes the method (update _render_segments, then the hashes) or
    # when the check stops recognising the Textual it was written for.
    assert terminal_writes.mismatch() is None


async def test_the_app_crops_its_own_writes_and_puts_textuals_back_on_exit(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    textuals = ChopsUpdate.render_segments
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert terminal_writes.installed()
        ours = update().render_segments(app.console)
        assert "cde" in ours and "ab" not in ours, repr(ours)  # the changed cells alone
        # Anything else in the process writing through another console gets Textual's output.
        other = Console(force_terminal=True, color_system="truecolor")
        assert update().render_segments(other) == textuals(update(), other)
        assert "abcde" in textuals(update(), other)
    assert ChopsUpdate.render_segments is textuals
    assert not terminal_writes.installed()


async def test_a_different_textual_is_left_alone_and_said_once(
    make_app: AppFactory, fixed_store: VaultStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = ChopsUpdate.render_segments

    def changed(self: ChopsUpdate, console: Console) -> str:  # a Textual that moved on
        return original(self, console)

    monkeypatch.setattr(ChopsUpdate, "render_segments", changed)
    monkeypatch.setattr(terminal_writes, "_REFUSED", None)
    said: list[str] = []
    monkeypatch.setattr(terminal_writes, "_log", lambda app, text: said.append(text))
    for _ in range(2):
        app = make_app(unlocked=fixed_store, auto_lock=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: on_main(pilot.app))
            assert ChopsUpdate.render_segments is changed  # Textual's own, untouched
            assert not terminal_writes.installed()
        assert ChopsUpdate.render_segments is changed
    assert len(said) == 1, said
    assert "render_segments is not the code" in said[0] and "Textual's own" in said[0]


def test_the_check_reads_signature_and_source(monkeypatch: pytest.MonkeyPatch) -> None:
    def other_signature(self: Any, console: Any, extra: int = 0) -> str:
        return ""

    monkeypatch.setattr(ChopsUpdate, "render_segments", other_signature)
    assert "takes ('self', 'console', 'extra')" in (terminal_writes.mismatch() or "")
    monkeypatch.delattr(ChopsUpdate, "render_segments")
    assert "missing" in (terminal_writes.mismatch() or "")

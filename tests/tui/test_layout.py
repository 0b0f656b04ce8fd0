"""Every terminal size, problems first, and idle repaints: the real app under Pilot."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.geometry import Region
from textual.widgets import Static

from tests.tui.conftest import on_main, wait_for
from vault.core import clock
from vault.core.clock import now
from vault.core.model import Credential
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.details import DetailsPane
from vault.tui.widgets.status_line import StatusLine

AppFactory = Callable[..., TokenVaultApp]


def screen_lines(app: TokenVaultApp) -> list[str]:
    """What the terminal would show, line by line (the compositor's own output)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def table(app: TokenVaultApp) -> CredentialList:
    return app.screen.query_one(CredentialList)


def row_text(app: TokenVaultApp, index: int) -> str:
    list_ = table(app)
    return "".join(s.text for s in list_.render_line(1 + index - int(list_.scroll_y)))


async def opened(pilot: Any, app: TokenVaultApp) -> MainScreen:
    await wait_for(pilot, lambda: on_main(app))
    await pilot.pause()
    assert isinstance(app.screen, MainScreen)
    return app.screen


# -- every terminal size ---------------------------------------------------------------------


async def test_footer_at_80x24_shows_help_and_quit(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=300)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, app)
        await wait_for(pilot, lambda: "? Help" in screen_lines(app)[-1])
        footer = screen_lines(app)[-1]
        assert "? Help" in footer and "q Quit" in footer, footer
        # The status line above it keeps the lock countdown though it cannot hold every part.
        status = screen_lines(app)[-2]
        assert "lock in 4:5" in status, status
        assert "1 error" in status and "1 expired" in status, status


async def test_status_line_drops_parts_but_never_the_lock_countdown(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=300)
    async with app.run_test(size=(60, 24)) as pilot:
        await opened(pilot, app)
        line = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "🔒" in str(line.render()))
        text = str(line.render())
        assert re.search(r"🔒 4:5\d$", text), text  # shortened, still there, at the end
        assert "1 error" in text and "1 expired" in text, text
        assert "sort:" not in text and "credentials" not in text  # the least needed went
        assert len(text) <= line.content_region.width


async def test_details_open_full_screen_when_narrow_and_escape_returns(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        pane = screen.query_one(DetailsPane)
        table(app).select_name("shiftiq-reports")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.display and not table(app).display)
        assert pane.outer_size.width == 80, pane.outer_size
        assert screen.view == "details"
        assert not table(app).display  # no half list with its time column cut off
        assert any("shiftiq-reports" in line for line in screen_lines(app)[:3])
        assert app.focused is pane  # the arrows scroll the pane, as k9s's describe
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).size.width == 80)
        assert screen.view == "list" and not pane.display and app.focused is table(app)


async def test_view_key_cycles_list_split_details(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await opened(pilot, app)
        pane = screen.query_one(DetailsPane)
        seen = []
        for _ in range(3):
            await pilot.press("plus")
            await pilot.pause()
            seen.append((screen.view, pane.outer_size.width, table(app).display))
        assert [v for v, _, _ in seen] == ["split", "details", "list"]
        _, split_pane, split_list = seen[0]
        assert 38 <= split_pane <= 72 and split_list  # side by side
        assert table(app).size.width == 140  # the list alone again
        assert seen[1][1:] == (140, False)


async def test_at_200_columns_names_and_styles_use_the_width(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(200, 50)) as pilot:
        await opened(pilot, app)
        header = row_text(app, -1)
        row = next(
            row_text(app, i) for i in range(6) if table(app).visible_names[i] == "partner-oauth"
        )
        assert "oauth2-client-credentials" in row and "…" not in row  # the style in full
        # The name column takes what is left, not a fixed 36 cells.
        assert header.index("style") > 60, header
        assert header.rstrip().endswith("root secret") and len(header.rstrip()) > 190


async def test_details_wrap_under_their_label_and_dates_carry_the_year(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    with fixed_store.transaction() as data:
        cred = data.credentials["happay-uat"]
        cred.settings["base_url"] = "https://api.uat-isac.happay.in/" + "segment/" * 8
        cred.record("generated", "")
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot, app)
        table(app).select_name("happay-uat")
        await pilot.press("enter")
        pane = screen.query_one(DetailsPane)
        body = pane.query_one("#details-body", Static)
        await wait_for(pilot, lambda: "base_url" in str(body.render()))
        await pilot.pause(1.2)  # a tick after layout: the pane knows its width
        lines = str(body.render()).split("\n")
        start = next(i for i, line in enumerate(lines) if "base_url:" in line)
        label_at = lines[start].index("base_url")
        following = lines[start + 1]
        assert "segment" in following
        assert len(following) - len(following.lstrip(" ")) > label_at  # hangs under its label
        history = lines[lines.index("History") + 1]
        assert history.lstrip().startswith(f"{now().year}-"), history


# -- problems first ---------------------------------------------------------------------------


async def test_status_line_counts_errors_and_root_secrets(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(160, 30)) as pilot:
        await opened(pilot, app)
        line = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "credentials" in str(line.render()))
        text = str(line.render())
        # legacy-oauth failed; shiftiq-reports' root secret has 10 days left.
        assert "1 error" in text and "1 root secret expiring" in text, text
        assert "1 expired" in text and "1 expiring" in text, text


async def test_sort_key_again_reverses_and_header_clicks_sort(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(140, 30)) as pilot:
        await opened(pilot, app)
        names = sorted(table(app).visible_names)
        await pilot.press("s")
        assert table(app).sort == "name" and table(app).visible_names == names
        await pilot.press("S")  # the same sort again: reversed
        assert table(app).reverse and table(app).visible_names == names[::-1]
        assert "name ▼" in row_text(app, -1)
        await pilot.press("s")  # a new sort starts in its natural order
        assert table(app).sort == "style" and not table(app).reverse
        # A click on a column header sorts by it; a second click reverses it.
        header = row_text(app, -1)
        await pilot.click(CredentialList, offset=(header.index("name") + 1, 0))
        assert table(app).sort == "name" and not table(app).reverse
        await pilot.click(CredentialList, offset=(header.index("name") + 1, 0))
        assert table(app).visible_names == names[::-1]


async def test_status_sort_puts_problems_first(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(140, 30)) as pilot:
        await opened(pilot, app)
        await pilot.press("s", "s", "s")
        assert table(app).sort == "status"
        assert table(app).visible_names == [
            "legacy-oauth",  # its last refresh failed
            "github-ci-bot",  # expired
            "unifize-prod",  # expiring
            "shiftiq-reports",  # valid, but its root secret has 10 days left
            "partner-oauth",  # no token yet
            "happay-uat",  # healthy
        ]


async def test_a_resort_leaves_the_cursor_row_in_place_until_the_cursor_moves(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await opened(pilot, app)
        list_ = table(app)
        list_.select_name("unifize-prod")
        await pilot.pause()
        index = list_.cursor
        # Another process refreshed it: by expiry it now belongs after every other token.
        with fixed_store.transaction() as data:
            token = data.credentials["unifize-prod"].token
            assert token is not None
            token.issued_at = now()
            token.expires_at = now() + timedelta(days=90)
        screen.reload_rows()
        await pilot.pause()
        assert list_.cursor == index and list_.visible_names[index] == "unifize-prod"
        # The next key acts on the row under the cursor; once the cursor moves, order returns.
        below = list_.visible_names[index + 1]
        await pilot.press("down")
        await pilot.pause()
        names = list_.visible_names
        assert names.index("unifize-prod") == 3  # after every other token now
        assert list_.cursor == index + 1 and list_.selected_name == below  # it stayed put


# -- cheap when idle ------------------------------------------------------------------------


async def test_a_tick_redraws_only_rows_whose_text_or_bar_moved(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(140, 30)) as pilot:
        await opened(pilot, app)
        list_ = table(app)
        # One long-lived row only: "9d 4h", a 30-day bar, "secret 10d".
        list_.filter_text = "shiftiq"
        await pilot.pause(0.1)
        drawn: list[int] = []
        real = list_.render_line

        def counting(y: int) -> Any:
            drawn.append(y)
            return real(y)

        list_.render_line = counting  # type: ignore[method-assign]
        regions: list[Region] = []
        refresh = list_.refresh

        def recording(*args: Any, **kwargs: Any) -> Any:
            regions.extend(a for a in args if isinstance(a, Region))
            return refresh(*args, **kwargs)

        list_.refresh = recording  # type: ignore[method-assign]
        start = clock.now()
        # 30 s earlier: the same words and the same eighth of a cell everywhere.
        clock.set_clock(lambda: start - timedelta(seconds=30))
        list_.tick()
        await pilot.pause(0.1)
        assert drawn == []
        # Two days on, its time and bar change: that row is drawn again, nothing else.
        clock.set_clock(lambda: start + timedelta(days=2))
        list_.tick()
        await pilot.pause(0.1)
        assert set(drawn) == {1}
        # Only the columns that changed were asked for: the name at the left edge was not.
        assert regions and all(r.x > 0 for r in regions), regions
        # ...with the new words in the changed cells and the rest of the row as it was.
        row = next(line for line in screen_lines(app) if "shiftiq-reports" in line)
        assert "7d 4h" in row and "secret 8d" in row and "secret-exchange" in row, row


async def test_a_list_longer_than_the_screen_shows_every_line_it_has(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """No sideways scrollbar over the last row, and no column under the vertical one."""
    with fixed_store.transaction() as data:
        for i in range(40):
            data.credentials[f"extra-{i:02d}"] = Credential(f"extra-{i:02d}", "app-token")
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(120, 24)) as pilot:
        await opened(pilot, app)
        list_ = table(app)
        await wait_for(pilot, lambda: list_.show_vertical_scrollbar)
        await pilot.pause()
        region = list_.region
        header, *rows = screen_lines(app)[region.y : region.bottom]
        assert header.rstrip().endswith("root secret"), header
        assert len(rows) == region.height - 1
        for line, name in zip(rows, list_.visible_names, strict=False):
            assert name in line, (name, line)
        # The cursor's last line without scrolling is one a person can see.
        await pilot.press(*["down"] * (len(rows) - 1))
        await pilot.pause()
        assert list_.scroll_y == 0 and list_.selected_name in screen_lines(app)[region.bottom - 1]


def test_every_cell_is_exactly_its_column_wide(frozen_clock: Any) -> None:
    """The list builds a row's strip with its length given, not measured, and a redraw reuses
    unchanged cells: a cell one cell too wide or narrow would shift or garble the row."""
    from rich.cells import cell_len
    from rich.style import Style

    from tests.tui.conftest import fixed_credentials
    from vault.tui.widgets.row_cells import COLUMNS, cell, columns, row_state, row_width, spans

    creds = fixed_credentials(frozen_clock)
    creds.append(Credential("名前-テスト-" + "x" * 60, "app-token"))  # wide glyphs, cut
    plain = Style()
    for width in (60, 80, 99, 100, 110, 140, 200):
        widths = columns(width)
        for cred in creds:
            for busy in ((), (cred.name,)):
                state = row_state(cred, frozen_clock, widths[3], busy, {cred.name: "refreshing…"})
                sizes = [
                    sum(
                        cell_len(s.text)
                        for s in cell(i, cred, state, widths, plain, lambda _: plain)
                    )
                    for i in range(COLUMNS)
                ]
                assert sizes == [w for _, w in spans(widths)], (width, cred.name, sizes)
                assert sum(sizes) == row_width(widths)

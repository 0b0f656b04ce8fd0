"""SVG snapshots with a frozen clock; each docstring says what a person should see."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]
SIZE = (130, 32)


def _steady_cursors(pilot: Pilot[Any]) -> None:
    """Stop every input's cursor blinking, left visible: a blink timer firing between the
    last step and the screenshot would otherwise make the focused field differ run to run."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(100):
        if isinstance(pilot.app.screen, MainScreen):
            break
        await pilot.pause(0.02)
    # The vault's temporary path would differ on every run.
    # The real path is a random temp folder: a stable title keeps the snapshot comparable.
    pilot.app.screen.query_one("#title", Static).update("tokenvault — test.tvault")
    await pilot.pause()


def test_main_screen_every_state(
    snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """Six credentials sorted by soonest expiry: github-ci-bot red "expired 3m ago" with an empty
    bar, unifize-prod amber/red "4m 10s" with a sliver of bar, shiftiq-reports "9d 4h" plus a
    thin root-secret indicator "secret 10d", happay-uat green "23h 12m" nearly full, then
    legacy-oauth "error" and partner-oauth "missing" with dotted empty bars. The status line
    counts problems first: 1 error, 1 expired, 1 expiring, 1 root secret expiring; the footer
    starts with "? Help  q Quit"; no token value appears anywhere."""
    app = make_app(unlocked=fixed_store, auto_lock=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_details_pane(snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore) -> None:
    """The details pane on the right (42% of the width) for shiftiq-reports: token masked as
    ••••dXJl, decoded JWT claims (sub: demo), root secret created 80 days ago expiring in 10 days,
    the refresh policy (auto-refresh off) and the client secret masked. The list beside it drops
    its style column but keeps names, status, bars, time left and root secret uncut."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        pilot.app.screen.query_one(CredentialList).select_name("shiftiq-reports")
        await pilot.press("enter")
        await pilot.pause()

    app = make_app(unlocked=fixed_store, auto_lock=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_add_form(snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore) -> None:
    """The add form over the list for the app-token style: style picker, name, base_url
    (prefilled with nothing), app_id, a masked app_secret field, the auto-refresh switch on, and a
    collapsed "Advanced settings" section below it."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("a")
        # Built, not just pushed: the app-token fields exist and the name field has focus.
        for _ in range(250):
            screen = pilot.app.screen
            built = isinstance(screen, CredentialFormScreen) and screen.query("#sec-app-secret")
            if built and screen.focused is not None and screen.focused.id == "name":
                break
            await pilot.pause(0.02)
        _steady_cursors(pilot)
        await pilot.pause()

    app = make_app(unlocked=fixed_store, auto_lock=0)
    assert snap_compare(app, terminal_size=(130, 45), run_before=run_before)


def test_unlock_wrong_passphrase(
    snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """The unlock box centred on screen with, in red, "Wrong passphrase: the vault could not be
    unlocked. (attempt 1)" and an empty passphrase field ready for another try."""

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.screen.query_one(".gate-path").update("test.tvault")  # type: ignore[attr-defined]
        await pilot.press(*"wrong pass", "enter")
        for _ in range(200):
            if "Wrong" in str(pilot.app.screen.query_one("#gate-error").render()):
                break
            await pilot.pause(0.02)
        _steady_cursors(pilot)
        await pilot.pause()

    app = make_app(auto_lock=0)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_light_theme(snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore) -> None:
    """The same list in the tokenvault-light theme: dark text on paper white, the urgency
    colours darkened (green, amber, red) and still readable."""
    app = make_app(unlocked=fixed_store, auto_lock=0, theme="tokenvault-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_main_screen_80x24(
    snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """An 80x24 terminal: the list drops its style and root-secret columns but keeps names,
    status, bars and time left uncut (github-ci-bot "expired 3m ago" first). The status line
    reads "1 error · 1 expired · 1 expiring · 1 root secret expiring · 🔒 lock in 4:59" (the
    count and the sort made room for the lock countdown) and the footer starts "? Help  q Quit"."""
    app = make_app(unlocked=fixed_store, auto_lock=300)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle_countdown)


def test_details_full_screen_80x24(
    snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """At 80x24 the details of shiftiq-reports take the whole body (no list squeezed beside
    them): the name and style on top, a full-width bar with "9d 4h", the token masked as
    ••••dXJl, the decoded claims, dates with the year, and the root secret's 10 days left."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        pilot.app.screen.query_one(CredentialList).select_name("shiftiq-reports")
        await pilot.press("enter")
        await pilot.pause()

    app = make_app(unlocked=fixed_store, auto_lock=0)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_add_form_80x24(snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore) -> None:
    """The add form at 80x24: its rounded border whole on all four sides, the style picker and
    the name field full width inside it, the rest of the fields reached by scrolling (a
    scrollbar on the right); nothing is cut at the screen's edge."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("a")
        for _ in range(250):
            screen = pilot.app.screen
            built = isinstance(screen, CredentialFormScreen) and screen.query("#sec-app-secret")
            if built and screen.focused is not None and screen.focused.id == "name":
                break
            await pilot.pause(0.02)
        _steady_cursors(pilot)
        await pilot.pause()

    app = make_app(unlocked=fixed_store, auto_lock=0)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_main_screen_200x50(
    snap_compare: Any, make_app: AppFactory, fixed_store: VaultStore
) -> None:
    """A 200x50 terminal: the columns spread over the whole width, every style name in full
    ("oauth2-client-credentials", no "…"), the name column wide, the root secret at the right
    edge; the status line has room for everything, the sort and the reminders included."""
    app = make_app(unlocked=fixed_store, auto_lock=300)
    assert snap_compare(app, terminal_size=(200, 50), run_before=_settle_countdown)


async def _settle_countdown(pilot: Pilot[Any]) -> None:
    """As ``_settle``, with the idle countdown restarted just before the picture: it shows
    4:59 however long the machine took to get here."""
    await _settle(pilot)
    pilot.app.last_activity = time.time()
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    screen.tick()
    await pilot.pause()

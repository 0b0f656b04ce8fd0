"""Main-screen bindings against the real simulator: generate, refresh, copy, revoke, filter..."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import timedelta

from textual.widgets import Static

from tests.tui.conftest import PASSPHRASE, on_main, wait_for
from vault.core import tokens
from vault.core.clock import now
from vault.core.model import EventKind, Status
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.confirm import ConfirmScreen
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.details import DetailsPane

AppFactory = Callable[..., TokenVaultApp]


def table(app: TokenVaultApp) -> CredentialList:
    return app.screen.query_one(CredentialList)


async def select(pilot: object, app: TokenVaultApp, name: str) -> None:
    table(app).select_name(name)
    assert table(app).selected_name == name


def cred(app: TokenVaultApp, name: str):  # type: ignore[no-untyped-def]
    assert app.store is not None
    return app.store.data.credentials[name]


async def test_generate_and_refresh(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "happay-uat")
        await pilot.press("g")
        await wait_for(pilot, lambda: cred(app, "happay-uat").token is not None)
        assert sim.counters["app-token.generate.ok"] == 1
        first = cred(app, "happay-uat").token
        assert cred(app, "happay-uat").status() is Status.VALID
        assert "happay-uat" not in table(app).busy
        # The row shows the token's time left ("1d 0h" for a fresh 25 h app token).
        assert "1d 0h" in "".join(s.text for s in table(app).render_line(1 + table(app).cursor))
        await pilot.press("r")
        await wait_for(pilot, lambda: sim.counters["app-token.generate.ok"] == 2)
        await wait_for(pilot, lambda: cred(app, "happay-uat").token.value != first.value)


async def test_provider_error_is_shown(make_app: AppFactory, demo_store: VaultStore) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "legacy-oauth")
        await pilot.press("g")
        await wait_for(pilot, lambda: cred(app, "legacy-oauth").last_error is not None)
        # The provider's own sentence reaches the notification.
        await wait_for(
            pilot, lambda: any("invalid_client" in str(n.message) for n in app._notifications)
        )
        assert cred(app, "legacy-oauth").status() is Status.ERROR


def age(store: VaultStore, name: str, left: timedelta) -> None:
    """Move a stored token's times so that ``left`` remains (lifetime kept)."""
    with store.transaction() as data:
        token = data.credentials[name].token
        assert token is not None and token.expires_at is not None
        life = token.expires_at - token.issued_at
        token.expires_at = now() + left
        token.issued_at = token.expires_at - life


async def test_refresh_every_expiring(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    for name in ("happay-uat", "partner-oauth"):
        tokens.generate(demo_store, name)
    age(demo_store, "partner-oauth", timedelta(minutes=2))
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        assert cred(app, "partner-oauth").status() is Status.EXPIRING
        sim.reset_counters()
        await pilot.press("R")
        await wait_for(pilot, lambda: cred(app, "partner-oauth").status() is Status.VALID)
        assert sim.counters.get("oauth2.generate.ok") == 1
        assert sim.counters.get("app-token.generate.ok", 0) == 0


def osc52_text(app: TokenVaultApp) -> str:
    assert app.last_escape is not None and app.last_escape.startswith("\x1b]52;c;")
    return base64.b64decode(app.last_escape[7:-1]).decode()


async def test_copy_via_osc52_then_cleared(make_app: AppFactory, demo_store: VaultStore) -> None:
    tokens.generate(demo_store, "partner-oauth")
    # A long countdown while the copy is checked: a 1 s one could end (and overwrite the
    # escape with the clearing one) before a slow machine looked at the first.
    app = make_app(unlocked=demo_store, clipboard_timeout=300)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "partner-oauth")
        value = cred(app, "partner-oauth").token.value
        await pilot.press("c")
        await wait_for(pilot, lambda: app.last_escape is not None)
        assert osc52_text(app) == value
        status = app.screen.query_one("#status", Static)
        await wait_for(pilot, lambda: "clipboard clears in" in str(status.render()))
        assert cred(app, "partner-oauth").history[-1].kind == EventKind.COPIED
        # The countdown ends now: an empty OSC 52 asks the terminal to clear its clipboard.
        assert app.clip_deadline is not None
        app.clip_deadline = time.time()
        await wait_for(pilot, lambda: app.last_escape == "\x1b]52;c;\a", timeout=5)
        await pilot.press("C")
        await wait_for(pilot, lambda: app.last_escape != "\x1b]52;c;\a")
        assert osc52_text(app) == f"Authorization: Bearer {value}"
        # Never a token in a notification.
        assert all(value not in str(n.message) for n in app._notifications)


async def test_quit_clears_a_token_still_on_the_clipboard(
    make_app: AppFactory, demo_store: VaultStore
) -> None:
    tokens.generate(demo_store, "partner-oauth")
    app = make_app(unlocked=demo_store, clipboard_timeout=300)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.last_escape is not None)
        assert osc52_text(app) == cred(app, "partner-oauth").token.value
        await pilot.press("q")  # long before the 300 s countdown ends
        await wait_for(pilot, lambda: app.last_escape == "\x1b]52;c;\a", timeout=4)
    assert app.clip_token is None


async def test_copy_header_uses_the_app_token_headers(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "happay-uat")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "happay-uat")
        value = cred(app, "happay-uat").token.value
        await pilot.press("C")
        await wait_for(pilot, lambda: app.last_escape is not None)
        app_id = cred(app, "happay-uat").settings["app_id"]
        # No Authorization line and no Request-ID: those would not authenticate (or replay).
        assert osc52_text(app) == f"App-ID: {app_id}\nApp-Token: {value}"
        notes = app._notifications
        await wait_for(pilot, lambda: any("App-Token" in str(n.message) for n in notes))
        assert all(value not in str(n.message) for n in app._notifications)


async def test_copy_expired_refreshes_first(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "partner-oauth")
    age(demo_store, "partner-oauth", -timedelta(minutes=1))
    old = demo_store.data.credentials["partner-oauth"].token
    assert old is not None
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.last_escape is not None)
        copied = osc52_text(app)
        assert copied != old.value
        assert copied == cred(app, "partner-oauth").token.value
        assert cred(app, "partner-oauth").status() is Status.VALID


async def test_copy_without_token_refuses(make_app: AppFactory, demo_store: VaultStore) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "partner-oauth")
        await pilot.press("c")
        await wait_for(pilot, lambda: any("no token" in str(n.message) for n in app._notifications))
        await app.workers.wait_for_complete()  # a copy would run in a worker: none did
        assert app.last_escape is None


async def test_revoke_remote_with_confirm(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "github-ci-bot")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "github-ci-bot")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        assert "remote" in str(app.screen.query_one("#confirm-text", Static).render())
        await pilot.press("n")
        assert isinstance(app.screen, MainScreen)
        assert cred(app, "github-ci-bot").token is not None
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: cred(app, "github-ci-bot").token is None)
        assert sim.counters.get("github-app.revoke") == 1
        assert cred(app, "github-ci-bot").status() is Status.REVOKED


async def test_revoke_local_says_so(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "happay-uat")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "happay-uat")
        await pilot.press("x")
        text = str(app.screen.query_one("#confirm-text", Static).render())
        assert "local only" in text and "no revocation API" in text
        await pilot.click("#yes")
        await wait_for(pilot, lambda: cred(app, "happay-uat").token is None)
        assert sim.counters.get("app-token.revoke", 0) == 0


async def test_remove_with_confirm(make_app: AppFactory, demo_store: VaultStore) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "legacy-oauth")
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: "legacy-oauth" not in app.store.data.credentials)  # type: ignore[union-attr]
        assert "legacy-oauth" not in table(app).visible_names
    assert "legacy-oauth" not in VaultStore.unlock(demo_store.path, PASSPHRASE).data.credentials


async def test_filter_sort_details_and_reveal(make_app: AppFactory, demo_store: VaultStore) -> None:
    tokens.generate(demo_store, "partner-oauth")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        # Soonest expiry first: the only credential with a token leads.
        assert table(app).visible_names[0] == "partner-oauth"
        await pilot.press("slash", *"oauth")
        assert table(app).visible_names == ["partner-oauth", "legacy-oauth"]
        await pilot.press("enter")
        assert app.focused is table(app)
        await pilot.press("escape")
        assert len(table(app).visible_names) == len(demo_store.data.credentials) == 7
        await pilot.press("s")
        assert table(app).sort == "name"
        assert table(app).visible_names == sorted(table(app).visible_names)
        await select(pilot, app, "partner-oauth")
        await pilot.press("enter")
        pane = app.screen.query_one(DetailsPane)
        assert pane.has_class("-open")
        body = str(pane.query_one("#details-body", Static).render())
        value = cred(app, "partner-oauth").token.value
        assert value not in body and value[-4:] in body
        assert "demo-client-secret" not in body
        assert "Refresh policy" in body and "History" in body
        await pilot.press("v")
        body = str(pane.query_one("#details-body", Static).render())
        assert value in body
        app.revealed = ("partner-oauth", 0.0)
        await wait_for(
            pilot, lambda: value not in str(pane.query_one("#details-body", Static).render())
        )


async def test_auto_refresh_when_under_the_threshold(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "partner-oauth")
    tokens.generate(demo_store, "happay-uat")
    age(demo_store, "partner-oauth", timedelta(minutes=3))  # 5% of 1 h left
    age(demo_store, "happay-uat", timedelta(minutes=30))  # 2% of 25 h left, but auto is off
    with demo_store.transaction() as data:
        data.credentials["partner-oauth"].policy.auto = True
    sim.reset_counters()
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await wait_for(pilot, lambda: cred(app, "partner-oauth").status() is Status.VALID)
        assert sim.counters.get("oauth2.generate.ok") == 1
        assert sim.counters.get("app-token.generate", 0) == 0
        assert cred(app, "happay-uat").status() is Status.EXPIRING


async def test_auto_refresh_retries_a_credential_whose_last_refresh_failed(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    tokens.generate(demo_store, "partner-oauth")
    age(demo_store, "partner-oauth", timedelta(minutes=3))  # 5% of 1 h left
    with demo_store.transaction() as data:
        failed = data.credentials["partner-oauth"]
        failed.policy.auto = True
        failed.last_error = "Could not refresh: HTTP 503 from the provider."
    assert demo_store.data.credentials["partner-oauth"].status() is Status.ERROR
    sim.reset_counters()
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await wait_for(pilot, lambda: cred(app, "partner-oauth").status() is Status.VALID)
        assert sim.counters.get("oauth2.generate.ok") == 1
        assert cred(app, "partner-oauth").last_error is None


async def test_test_call_regenerates_once_after_a_401(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    old = tokens.generate(demo_store, "happay-uat")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "happay-uat")
        sim.invalidate_tokens()
        sim.reset_counters()
        await pilot.press("T")
        notes = app._notifications
        await wait_for(pilot, lambda: any("Test call" in str(n.message) for n in notes))
        await wait_for(pilot, lambda: "happay-uat" not in table(app).busy)
        message = next(str(n.message) for n in notes if "Test call" in str(n.message))
        assert "HTTP 200" in message and "401" in message
        assert sim.counters["app-token.generate.ok"] == 1
        assert sim.counters["app-token.whoami"] == 2
        new = cred(app, "happay-uat")
        assert new.token is not None and new.token.value != old.value
        assert [e.kind for e in new.history[-2:]] == [EventKind.UNAUTHORIZED, EventKind.REFRESHED]
        assert new.token.value not in message and old.value not in message


async def test_test_call_works_for_every_demo_credential(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    good = ["happay-uat", "unifize-prod", "github-ci-bot", "shiftiq-reports", "partner-oauth"]
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        for name in [*good, "legacy-oauth"]:
            await select(pilot, app, name)
            await pilot.press("T")
            await wait_for(pilot, lambda n=name: n not in table(app).busy)
        notes = [str(n.message) for n in app._notifications]
        for name in good:
            assert any(f"Test call for {name}:" in m and "HTTP 200" in m for m in notes), notes
        # The demo's broken credential says why, in the provider's words.
        assert any("legacy-oauth" in m and "invalid_client" in m for m in notes), notes


async def test_narrow_terminal_with_details_keeps_list_readable(
    make_app: AppFactory, fixed_store: VaultStore
) -> None:
    app = make_app(unlocked=fixed_store, auto_lock=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await select(pilot, app, "shiftiq-reports")
        await pilot.press("enter")
        await pilot.pause()
        pane = app.screen.query_one(DetailsPane)
        assert pane.has_class("-open") and 38 <= pane.size.width <= 45
        lines = ["".join(s.text for s in table(app).render_line(y)) for y in range(7)]
        # Whole columns are dropped (style, root secret) instead of cutting any of them.
        for label in ("name", "status", "token", "left"):
            assert label in lines[0], lines[0]
        assert "…" not in "".join(lines), lines
        assert any("shiftiq-reports" in line and "9d 4h" in line for line in lines), lines

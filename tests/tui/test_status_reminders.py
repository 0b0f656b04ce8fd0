"""The status line shows the reminders the agent would notify about (the same rules)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.tui.conftest import on_main, wait_for
from vault.core.clock import now
from vault.core.model import Credential, RefreshPolicy, Token
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.widgets.status_line import StatusLine

AppFactory = Callable[..., TokenVaultApp]
SECRET = "status-line-secret-never-shown-91"


def status_text(app: TokenVaultApp) -> str:
    return str(app.screen.query_one(StatusLine).render())


async def test_status_line_shows_the_first_reminder_and_the_count(
    make_app: AppFactory, store: VaultStore
) -> None:
    at = now()
    with store.transaction() as data:
        data.credentials["fine"] = Credential(
            name="fine", provider="app-token", secrets={"app_secret": SECRET}
        )
    app = make_app(unlocked=store)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await wait_for(pilot, lambda: "1 credentials" in status_text(app))
        assert "⏰" not in status_text(app)
        with store.transaction() as data:
            # A name from before the name checks, holding Rich markup: shown literally.
            data.credentials["[red]rot"] = Credential(
                name="[red]rot",
                provider="secret-exchange",
                secrets={"client_secret": SECRET},
                secret_expires_at=at + timedelta(days=6, hours=1),
            )
            data.credentials["manual"] = Credential(
                name="manual",
                provider="app-token",
                secrets={"app_secret": SECRET},
                token=Token(
                    value=SECRET,
                    issued_at=at - timedelta(hours=1),
                    expires_at=at + timedelta(minutes=4),
                ),
                policy=RefreshPolicy(auto=False),
            )
        # The screen reloads the changed vault and re-counts within a few ticks.
        await wait_for(pilot, lambda: "⏰" in status_text(app), timeout=10)
        text = status_text(app)
        assert "⏰ the token of manual expires in 3m" in text
        assert "(+1 more)" in text
        assert SECRET not in text
        with store.transaction() as data:
            del data.credentials["manual"]
        await wait_for(pilot, lambda: "(+1 more)" not in status_text(app), timeout=10)
        assert "⏰ the root secret of [red]rot expires in 6d" in status_text(app)

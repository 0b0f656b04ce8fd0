"""The details pane masks what a person must not read there: a key kept as a plain header
setting, and an echoed secret in a stored last error or history line (an older vault's)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from textual.widgets import Static

from tests.echo_support import SECRET, leaks
from tests.tui.conftest import on_main, wait_for
from vault.core.clock import now
from vault.core.model import Credential, EventKind
from vault.core.store import VaultStore
from vault.sim import demo as fixtures
from vault.tui.widgets.details import render_details


def test_details_mask_plain_header_keys_and_echoed_secrets() -> None:
    key = "plain-header-key-24680"
    cred = Credential(
        name="k",
        provider="secret-exchange",
        settings={"partition": "acme", "request_headers": {"X-Api-Key": key}},
        secrets={"client_secret": SECRET},
    )
    echoed = f"answered 401: {quote_plus(SECRET)}"
    cred.last_error = echoed
    cred.record(EventKind.FAILED, echoed)
    text = render_details(cred, revealed=False, at=now())
    assert text.count("answered 401: ") == 2 and "X-Api-Key" in text
    assert not leaks(text, SECRET) and not leaks(text, key), text


async def test_the_pane_says_what_a_private_key_is(make_app: Any, store: VaultStore) -> None:
    with store.transaction() as data:
        data.credentials["gcp"] = Credential(
            "gcp", "jwt-bearer", secrets={"private_key": fixtures.PRIVATE_KEY_PEM}
        )
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("enter")
        body = app.screen.query_one("#details-body", Static)
        await wait_for(pilot, lambda: "private_key:" in str(body.render()))
        shown = str(body.render())
        assert "private_key: RSA key, 2048 bits" in shown
        assert "-----" not in shown and "•••" not in shown.split("private_key:")[1]

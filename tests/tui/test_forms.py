"""Add and edit forms: every provider style against the simulator, and the validation messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tests.tui.conftest import PASSPHRASE, on_main, wait_for
from vault.core.model import Status
from vault.core.providers import PRESETS
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim import demo as fixtures
from vault.tui.app import TokenVaultApp
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.screens.rotation import RotationScreen
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.secret_paste import SecretPaste

AppFactory = Callable[..., TokenVaultApp]


def style_values(style: str, url: str) -> dict[str, str]:
    """Field id -> value for a working credential of ``style`` on the simulator."""
    return {
        "app-token": {
            "set-base-url": url,
            "set-app-id": fixtures.APP_TOKEN_APP_ID,
            "sec-app-secret": fixtures.APP_TOKEN_SECRET,
        },
        "jwt-assertion": {
            "set-base-url": url,
            "set-app-id": fixtures.JWT_APP_ID,
            "set-org-id": fixtures.JWT_ORG_ID,
            "sec-private-key": fixtures.PRIVATE_KEY_PEM,
        },
        "github-app": {
            "set-base-url": url,
            "set-app-id": fixtures.GITHUB_APP_ID,
            "set-installation-id": str(fixtures.GITHUB_INSTALLATION_ID),
            "sec-private-key": fixtures.PRIVATE_KEY_PEM,
        },
        "secret-exchange": {
            "set-base-url": url,
            "set-partition": fixtures.SHIFTIQ_PARTITION,
            "set-lifetime": "3600",
            "sec-client-secret": fixtures.SHIFTIQ_SECRET,
        },
        "oauth2-client-credentials": {
            "set-base-url": url,
            "set-client-id": fixtures.OAUTH_CLIENT_ID,
            "sec-client-secret": fixtures.OAUTH_CLIENT_SECRET,
        },
        "jwt-bearer": {
            "set-base-url": url,
            "set-client-email": fixtures.SERVICE_ACCOUNT_EMAIL,
            "set-scope": fixtures.SERVICE_ACCOUNT_SCOPES[0],
            "set-subject": "alice@acme.example",
            "set-key-id": "1f2e3d4c5b6a",
            "sec-private-key": fixtures.PRIVATE_KEY_PEM,
        },
    }[style]


async def open_form(pilot, app: TokenVaultApp, style: str) -> CredentialFormScreen:  # type: ignore[no-untyped-def]
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
    form = app.screen
    assert isinstance(form, CredentialFormScreen)
    form.query_one("#style", Select).value = style
    # Wait for this style's own fields: the previous style's (base_url too) linger until the
    # new ones are mounted, and filling then would miss them.
    wanted = list(style_values(style, "http://127.0.0.1:1"))
    await wait_for(pilot, lambda: form.style == style and all(form.query(f"#{f}") for f in wanted))
    return form


def fill(form: CredentialFormScreen, name: str, values: dict[str, str]) -> None:
    form.query_one("#name", Input).value = name
    for field_id, value in values.items():
        widget = form.query_one(f"#{field_id}")
        if isinstance(widget, SecretPaste):
            widget.text = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


@pytest.mark.parametrize(
    "style",
    [
        "app-token",
        "jwt-assertion",
        "github-app",
        "secret-exchange",
        "oauth2-client-credentials",
        "jwt-bearer",
    ],
)
async def test_add_each_style_then_generate(
    style: str, make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, style)
        fill(form, f"my-{style}", style_values(style, sim.url))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        cred = app.store.data.credentials[f"my-{style}"]
        assert cred.provider == style
        table = app.screen.query_one(CredentialList)
        assert table.selected_name == f"my-{style}"
        if not PRESETS[style].auto_refresh:
            # A costly token (a ShiftIQ one lasts up to a year) is offered, not spent unasked.
            await wait_for(pilot, lambda: "Press g" in _toasts(app))
            assert cred.token is None
            await pilot.press("g")
        # The others get their first token at once instead of sitting at `missing`.
        await wait_for(pilot, lambda: app.store.data.credentials[f"my-{style}"].token is not None)  # type: ignore[union-attr]
        assert app.store.data.credentials[f"my-{style}"].status() is Status.VALID
        if style == "secret-exchange":
            assert cred.secret_expires_at is not None
        if style == "jwt-bearer":
            assert cred.settings["subject"] == "alice@acme.example"
            assert cred.settings["key_id"] == "1f2e3d4c5b6a"
            assert sim.counters["jwt-bearer.generate.ok"] == 1


def _toasts(app: TokenVaultApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def test_jwt_bearer_form_asks_for_the_service_account(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-bearer")
        labels = [str(label.render()) for label in form.query("#fields Label")]
        assert {"client_email *", "scope *", "subject", "key_id"} <= set(labels)
        base = form.query_one("#set-base-url", Input)
        assert "oauth2.googleapis.com" in base.placeholder
        assert "gserviceaccount" in form.query_one("#set-client-email", Input).placeholder
        values = style_values("jwt-bearer", sim.url)
        del values["set-scope"]
        fill(form, "gcp", values)
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: "scope" in str(error.render()))
        assert isinstance(app.screen, CredentialFormScreen)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"set-base-url": "not-a-url"}, "must be an http(s) URL"),
        (
            {"sec-private-key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"},
            "key",
        ),
        ({"sec-private-key": "", "pem-path": "/nonexistent/key.pem"}, "cannot be read"),
        ({"name": "happay-uat"}, "already exists"),
    ],
)
async def test_validation_messages(
    change: dict[str, str],
    message: str,
    make_app: AppFactory,
    demo_store: VaultStore,
    sim: Simulator,
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-assertion")
        values = style_values("jwt-assertion", sim.url)
        name = change.pop("name", "new-one")
        values.update(change)
        fill(form, name, values)
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: message in str(error.render()))
        assert isinstance(app.screen, CredentialFormScreen)


async def test_lifetime_out_of_range(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "secret-exchange")
        values = style_values("secret-exchange", sim.url) | {"set-lifetime": "40000000"}
        fill(form, "too-long", values)
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: "outside" in str(error.render()))


async def test_pem_from_file_and_edit(
    make_app: AppFactory, store: VaultStore, sim: Simulator, tmp_path: Path
) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text(fixtures.PRIVATE_KEY_PEM)
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-assertion")
        values = style_values("jwt-assertion", sim.url) | {
            "sec-private-key": "",
            "pem-path": str(pem),
        }
        fill(form, "from-file", values)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        assert "PRIVATE KEY" in app.store.data.credentials["from-file"].secrets["private_key"]
        with app.store.transaction() as data:  # a setting only the CLI sets
            data.credentials["from-file"].settings["timeout"] = 7.5
        # Edit: rename and change the org; the stored key is kept when the field stays empty.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        form = app.screen
        assert isinstance(form, CredentialFormScreen)
        fill(form, "renamed", {"set-org-id": "other-org"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "renamed" in app.store.data.credentials)  # type: ignore[union-attr]
        cred = app.store.data.credentials["renamed"]
        assert "from-file" not in app.store.data.credentials
        assert cred.settings["org_id"] == "other-org"
        assert cred.settings["timeout"] == 7.5  # not on the form: kept
        assert "PRIVATE KEY" in cred.secrets["private_key"]


async def test_advanced_settings_are_stored_and_validated(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "oauth2-client-credentials")
        # Every preset setting has a field, the preset's default as its placeholder.
        token_url = form.query_one("#adv-token-url", Input)
        assert token_url.value == "" and token_url.placeholder == "/oauth/token"
        for key in ("lifetime", "revoke-url", "test-url", "token-fields", "basic-user"):
            assert form.query(f"#adv-{key}"), key
        values = style_values("oauth2-client-credentials", sim.url)
        fill(form, "tuned", values | {"adv-timeout": "999"})
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: "'timeout' must be between" in str(error.render()))
        fill(
            form,
            "tuned",
            {
                "adv-revoke-url": "/oauth/revoke",
                "adv-timeout": "3.5",
                "adv-token-fields": "access_token, token",
            },
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        stored = VaultStore.unlock(store.path, PASSPHRASE).data.credentials["tuned"].settings
        assert stored["revoke_url"] == "/oauth/revoke"
        assert stored["timeout"] == 3.5
        assert stored["token_fields"] == ["access_token", "token"]
        assert "token_method" not in stored  # left empty: the preset default applies
        # The non-default revoke URL is used: revoke is now remote.
        await pilot.press("g")
        await wait_for(pilot, lambda: app.store.data.credentials["tuned"].token is not None)  # type: ignore[union-attr]
        await pilot.press("x", "y")
        await wait_for(pilot, lambda: app.store.data.credentials["tuned"].token is None)  # type: ignore[union-attr]
        assert sim.counters["oauth2.revoke"] == 1


async def test_rotating_a_client_secret_restarts_its_clock(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "secret-exchange")
        fill(
            form,
            "shiftiq",
            style_values("secret-exchange", sim.url) | {"secret-created": "2026-01-02"},
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        created = app.store.data.credentials["shiftiq"].secret_created_at
        assert created is not None and created.date().isoformat() == "2026-01-02"
        # Edit a setting only: the date shown in the form stays the secret's date.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        assert isinstance(app.screen, CredentialFormScreen)
        fill(app.screen, "shiftiq", {"set-lifetime": "7200"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        kept = app.store.data.credentials["shiftiq"].secret_created_at
        assert kept is not None and kept.date().isoformat() == "2026-01-02"
        # Paste a rotated secret and leave the date as shown: asked, "today" is the answer.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        assert isinstance(app.screen, CredentialFormScreen)
        fill(app.screen, "shiftiq", {"sec-client-secret": "rotated-client-secret-0002"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RotationScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_main(app))
        cred = app.store.data.credentials["shiftiq"]
        assert cred.secrets["client_secret"] == "rotated-client-secret-0002"
        assert cred.secret_seconds_left() is not None and cred.secret_seconds_left() > 89 * 86400


async def test_a_pasted_private_key_is_never_on_screen(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    from textual import events

    body_line = fixtures.PRIVATE_KEY_PEM.splitlines()[1]
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-assertion")
        paste = form.query_one("#sec-private-key", SecretPaste)
        paste.post_message(events.Paste(fixtures.PRIVATE_KEY_PEM))
        await wait_for(pilot, lambda: paste.text == fixtures.PRIVATE_KEY_PEM)
        await pilot.pause()
        # What the key is, never any of it (it was "received PRIVATE KEY").
        assert "received RSA key, 2048 bits: " in str(paste.render())
        screen = app.export_screenshot()  # an SVG: base64 lines have no spaces to escape
        assert body_line not in screen and body_line[:16] not in screen
        values = style_values("jwt-assertion", sim.url)
        del values["sec-private-key"]
        fill(form, "pasted", values)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        stored = app.store.data.credentials["pasted"].secrets["private_key"]
        assert stored.strip() == fixtures.PRIVATE_KEY_PEM.strip()

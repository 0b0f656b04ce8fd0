"""The credential form never looks like "nothing happened" and never moves a secret's clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from textual.widgets import Input, Select, Static

from tests.tui.conftest import on_main, wait_for
from tests.tui.test_forms import fill, open_form, style_values
from vault.core.clock import now
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.confirm import ConfirmScreen
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.screens.rotation import RotationScreen
from vault.tui.widgets.secret_paste import SecretPaste

AppFactory = Callable[..., TokenVaultApp]


async def _add_shiftiq(pilot, app: TokenVaultApp, url: str) -> None:  # type: ignore[no-untyped-def]
    form = await open_form(pilot, app, "secret-exchange")
    fill(form, "shiftiq", style_values("secret-exchange", url) | {"secret-created": "2026-01-02"})
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: on_main(app))


async def _edit(pilot, app: TokenVaultApp, values: dict[str, str]) -> CredentialFormScreen:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
    form = app.screen
    assert isinstance(form, CredentialFormScreen)
    await wait_for(pilot, lambda: form._pristine is not None)
    fill(form, "shiftiq", values)
    return form


async def test_the_same_secret_typed_again_keeps_its_date_and_history_names_real_changes(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await _add_shiftiq(pilot, app, sim.url)
        same = style_values("secret-exchange", sim.url)["sec-client-secret"]
        await _edit(pilot, app, {"sec-client-secret": same, "set-lifetime": "7200"})
        await pilot.press("ctrl+s")
        # No "rotated today?" question: saved straight away.
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        cred = app.store.data.credentials["shiftiq"]
        assert cred.secret_created_at is not None
        assert cred.secret_created_at.date().isoformat() == "2026-01-02"
        assert cred.history[-1].detail == "changed: lifetime"


async def test_a_replaced_secret_asks_when_it_was_rotated(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await _add_shiftiq(pilot, app, sim.url)
        assert app.store is not None
        form = await _edit(pilot, app, {"sec-client-secret": "rotated-client-secret-0002"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RotationScreen))
        day = app.screen.query_one("#rotated-on", Input)
        assert day.value == now().strftime("%Y-%m-%d")  # the date field is shown, today in it
        assert "Rotated today?" in str(app.screen.query_one("#rotation-text", Static).render())
        # Back: nothing is saved, the form is still there and says why.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form)
        assert "Not saved" in str(form.query_one("#form-error", Static).render())
        assert app.store.reload().credentials["shiftiq"].secrets["client_secret"] != (
            "rotated-client-secret-0002"
        )
        # Again, with the day the secret was really created.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RotationScreen))
        app.screen.query_one("#rotated-on", Input).value = "2026-02-20"
        await pilot.press("enter")
        await wait_for(pilot, lambda: on_main(app))
        cred = app.store.data.credentials["shiftiq"]
        assert cred.secrets["client_secret"] == "rotated-client-secret-0002"
        assert cred.secret_created_at is not None
        assert cred.secret_created_at.date().isoformat() == "2026-02-20"
        assert cred.history[-1].detail == "changed: client_secret, secret_created_at"


async def test_an_empty_name_focuses_and_marks_the_name_field_at_once(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "oauth2-client-credentials")
        fill(form, "", style_values("oauth2-client-credentials", sim.url))
        form.query_one("#save").focus()
        await pilot.press("enter")
        name = form.query_one("#name", Input)
        await wait_for(pilot, lambda: app.focused is name)
        assert name.has_class("-invalid")
        note = form.query(".field-error").first(Static)
        assert "cannot be empty" in str(note.render())
        siblings = list(name.parent.children)  # type: ignore[union-attr]
        assert siblings[siblings.index(name) + 1] is note  # right beside the field
        box = form.query_one("#form-box")
        await wait_for(
            pilot, lambda: box.region.contains_region(note.region)
        )  # on screen without scrolling


async def test_a_bad_advanced_setting_opens_the_section_and_focuses_it(
    make_app: AppFactory, store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "oauth2-client-credentials")
        fill(form, "tuned", style_values("oauth2-client-credentials", sim.url))
        form.query_one("#adv-timeout", Input).value = "999"
        await pilot.press("ctrl+s")
        timeout = form.query_one("#adv-timeout", Input)
        await wait_for(pilot, lambda: app.focused is timeout)
        assert timeout.has_class("-invalid")
        assert form.query_one("#advanced").collapsed is False  # type: ignore[attr-defined]


async def test_escape_on_a_changed_form_asks_first(make_app: AppFactory, store: VaultStore) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        form = app.screen
        assert isinstance(form, CredentialFormScreen)
        await wait_for(pilot, lambda: form._pristine is not None)
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, CredentialFormScreen))
        form = app.screen
        assert isinstance(form, CredentialFormScreen)
        await wait_for(pilot, lambda: form._pristine is not None)
        await pilot.press(*"half-typed")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep editing
        await wait_for(pilot, lambda: app.screen is form)
        assert form.query_one("#name", Input).value == "half-typed"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: on_main(app))


async def test_advanced_settings_are_the_ones_the_style_uses(
    make_app: AppFactory, store: VaultStore
) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "app-token")
        ids = [w.id for w in form.query("#advanced Input, #advanced Select")]
        assert ids[:3] == ["adv-token-url", "adv-revoke-url", "adv-test-url"]  # URLs first
        # An app token is neither HTTP Basic nor signed: those settings would be noise.
        for unused in ("adv-basic-user", "adv-assertion-claims", "adv-key-id", "adv-org-id"):
            assert unused not in ids
        method = form.query_one("#adv-token-method", Select)  # an enum is a select
        assert method.is_blank()
        hints = [str(h.render()) for h in form.query("#advanced .form-hint")]
        assert any("revoke" in h and "forgets" in h for h in hints)
        form = await open_form(pilot, app, "jwt-bearer")
        assert form.query("#adv-assertion-claims")  # signed: the claims are in use


def _google_key_file(folder: Path, token_uri: str) -> tuple[Path, str]:
    """A key file in the format Google documents for service accounts, with a fresh key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    doc = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": "1f2e3d4c5b6a79880123456789abcdef01234567",
        "private_key": pem,
        "client_email": "reports@acme-prod.iam.gserviceaccount.com",
        "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/reports",
        "universe_domain": "googleapis.com",
    }
    path = folder / "acme-prod-1f2e3d4c5b6a.json"
    path.write_text(json.dumps(doc, indent=2))
    return path, pem


async def test_a_google_key_file_fills_the_jwt_bearer_fields(
    make_app: AppFactory, store: VaultStore, tmp_path: Path
) -> None:
    path, pem = _google_key_file(tmp_path, "https://oauth2.googleapis.com/token")
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-bearer")
        form.query_one("#key-file", Input).value = str(path)
        form.query_one("#key-file", Input).focus()
        await pilot.press("enter")
        email = form.query_one("#set-client-email", Input)
        await wait_for(pilot, lambda: email.value != "")
        assert email.value == "reports@acme-prod.iam.gserviceaccount.com"
        assert form.query_one("#set-key-id", Input).value.startswith("1f2e3d4c5b6a")
        assert form.query_one("#set-base-url", Input).value == "https://oauth2.googleapis.com"
        assert form.query_one("#adv-token-url", Input).value == "/token"
        assert form.query_one("#sec-private-key", SecretPaste).text.strip() == pem.strip()
        assert pem.splitlines()[1] not in app.export_screenshot()  # the key stays hidden
        form.query_one("#name", Input).value = "gcp"
        form.query_one("#set-scope", Input).value = "https://www.googleapis.com/auth/cloud-platform"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: on_main(app))
        assert app.store is not None
        cred = app.store.data.credentials["gcp"]
        assert cred.settings["client_email"] == "reports@acme-prod.iam.gserviceaccount.com"
        assert cred.secrets["private_key"].strip() == pem.strip()


async def test_a_key_file_that_is_not_a_service_account_is_refused_on_its_field(
    make_app: AppFactory, store: VaultStore, tmp_path: Path
) -> None:
    path, _ = _google_key_file(tmp_path, "https://oauth2.googleapis.com/token")
    doc = json.loads(path.read_text())
    doc["type"] = "authorized_user"
    path.write_text(json.dumps(doc))
    app = make_app(unlocked=store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "jwt-bearer")
        box = form.query_one("#key-file", Input)
        box.value = str(path)
        box.focus()
        await pilot.press("enter")
        error = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: "not 'service_account'" in str(error.render()))
        assert box.has_class("-invalid")
        assert form.query_one("#set-client-email", Input).value == ""

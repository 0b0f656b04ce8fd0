"""Add and edit a credential of any provider style, validated by the provider engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, Select, Static, Switch

from vault.core.clock import now
from vault.core.errors import CredentialNotFound, UsageError, VaultError
from vault.core.model import Credential, EventKind, RefreshPolicy
from vault.core.providers import PRESETS, validate_settings
from vault.core.providers.engine import SETTING_KINDS
from vault.tui.widgets.secret_paste import SecretPaste

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp

OPTIONAL_SETTINGS: dict[str, tuple[str, ...]] = {
    "jwt-assertion": ("org_id",),
    "secret-exchange": ("lifetime",),
    "oauth2-client-credentials": ("scope",),
    "jwt-bearer": ("subject", "key_id"),
}
"""Settings worth a field beyond each preset's required ones (the rest stay CLI-only)."""

HINTS: dict[str, str] = {
    "base_url": "https://api.example.com (http only for 127.0.0.1)",
    "lifetime": "token lifetime in seconds, 60 to 31536000 (empty: 86400)",
    "org_id": "Org ID sent with the first token request",
    "installation_id": "numeric installation id",
    "scope": "space-separated scopes (optional)",
    "client_email": "service account, e.g. reports@acme-prod.iam.gserviceaccount.com",
    "subject": "user to impersonate (domain-wide delegation; optional)",
    "key_id": "private_key_id from the key file, sent as kid (optional)",
    "jwt-bearer.base_url": "https://oauth2.googleapis.com for Google (token URL /token)",
    "jwt-bearer.scope": "space-separated scopes, e.g. https://www.googleapis.com/auth/…",
}
"""Placeholders by setting; a ``style.setting`` key wins for that style."""


ENGINE_WIDE = ("org_id", "lifetime", "allow_insecure_http")
"""Settings without a common default that every style's engine still reads."""


def _field_id(kind: str, key: str) -> str:
    return f"{kind}-{key.replace('_', '-')}"


def advanced_settings(style: str) -> list[str]:
    """Every setting of ``style`` the main fields do not ask for, for the advanced section."""
    preset = PRESETS[style]
    shown = {*preset.required_settings, *OPTIONAL_SETTINGS.get(style, ())}
    keys = [*preset.settings(), *ENGINE_WIDE]
    return [k for k in dict.fromkeys(keys) if k in SETTING_KINDS and k not in shown]


def setting_text(value: Any) -> str:
    """A setting as the text its field shows (lists comma-separated, mappings as JSON)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CredentialFormScreen(ModalScreen[str | None]):
    """Dismisses with the saved credential's name, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form-cancel"),
        Binding("ctrl+s", "save", "Save", id="form-save"),
    ]

    class Saved(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class Invalid(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, cred: Credential | None) -> None:
        super().__init__()
        self.original = cred
        self.style = cred.provider if cred else next(iter(PRESETS))
        self._initial: dict[str, str] = {}
        """Advanced fields as first shown: only the ones the user changed are written back."""

    @property
    def tv(self) -> TokenVaultApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        title = f"Edit {self.original.name}" if self.original else "Add a credential"
        with VerticalScroll(id="form-box"):
            yield Static(f"[b $primary]{title}[/]")
            yield Label("Provider style")
            yield Select(
                [(p.title, key) for key, p in PRESETS.items()],
                value=self.style,
                allow_blank=False,
                id="style",
                disabled=self.original is not None,
            )
            yield Label("Name")
            yield Input(
                self.original.name if self.original else "",
                placeholder="e.g. billing-prod",
                id="name",
            )
            yield Vertical(*self._style_fields(self.style), id="fields")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _style_fields(self, style: str) -> list[Widget]:
        preset = PRESETS[style]
        cred = self.original
        settings = cred.settings if cred else {}
        out: list[Widget] = []
        keys = [*preset.required_settings, *OPTIONAL_SETTINGS.get(style, ())]
        for key in keys:
            required = key in preset.required_settings and not preset.defaults.get(key)
            out.append(Label(f"{key}{' *' if required else ''}"))
            value = settings.get(key, preset.defaults.get(key, "") if key == "base_url" else "")
            out.append(
                Input(
                    str(value) if value not in (None, "") else "",
                    placeholder=HINTS.get(f"{style}.{key}", HINTS.get(key, "")),
                    id=_field_id("set", key),
                )
            )
        for key in preset.secrets:
            keep = " (empty: keep the stored one)" if cred and key in cred.secrets else ""
            if key == "private_key":
                out.append(Label(f"private_key: paste the RSA PEM here{keep}"))
                out.append(SecretPaste(id=_field_id("sec", key)))
                out.append(Label("…or a path to the PEM file"))
                out.append(Input(placeholder="~/keys/app.pem", id="pem-path"))
            else:
                out.append(Label(f"{key} *{keep}"))
                out.append(
                    Input(password=True, placeholder="secret (masked)", id=_field_id("sec", key))
                )
        if preset.secret_lifetime is not None:
            days = preset.secret_lifetime.days
            out.append(Label(f"Secret created on (YYYY-MM-DD; it expires {days} days later)"))
            created = cred.secret_created_at if cred else None
            out.append(
                Input(
                    created.strftime("%Y-%m-%d") if created else "",
                    placeholder="empty: today",
                    id="secret-created",
                )
            )
        auto = cred.policy.auto if cred else self.tv.config.auto_refresh.enabled_for(style)
        out.append(Label("Auto-refresh when under 10% of the lifetime is left"))
        out.append(Switch(value=auto, id="auto"))
        out.append(self._advanced_fields(style, settings))
        return out

    def _advanced_fields(self, style: str, settings: dict[str, Any]) -> Collapsible:
        """One field per other setting; empty means the preset default, shown as placeholder."""
        defaults = PRESETS[style].settings()
        children: list[Widget] = [
            Static(
                "Empty fields use the preset's default (shown greyed). Lists: comma-separated; "
                'headers, body and query: JSON objects, e.g. {"X-Key": "{token}"}.',
                classes="form-hint",
            )
        ]
        self._initial = {}
        for key in advanced_settings(style):
            field_id = _field_id("adv", key)
            value = setting_text(settings.get(key))
            self._initial[field_id] = value
            default = setting_text(defaults.get(key))
            children.append(Label(key))
            children.append(Input(value, placeholder=default or "(not set)", id=field_id))
        return Collapsible(*children, title="Advanced settings", collapsed=True, id="advanced")

    @on(Select.Changed, "#style")
    async def _style_changed(self, event: Select.Changed) -> None:
        if event.value == self.style or not isinstance(event.value, str):
            return
        self.style = event.value
        fields = self.query_one("#fields", Vertical)
        await fields.remove_children()
        await fields.mount(*self._style_fields(self.style))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.query_one("#form-error", Static).update("")
        values: dict[str, Any] = {"name": self.query_one("#name", Input).value.strip()}
        for field in self.query("#fields Input"):
            assert isinstance(field, Input)
            values[field.id or ""] = field.value
        for area in self.query("#fields SecretPaste"):
            assert isinstance(area, SecretPaste)
            values[area.id or ""] = area.text
        values["auto"] = self.query_one("#auto", Switch).value
        self._save(self.style, values)

    @work(thread=True, exclusive=True, group="form")
    def _save(self, style: str, values: dict[str, Any]) -> None:
        try:
            name = self._store(style, values)
        except VaultError as exc:
            self.post_message(self.Invalid(exc.message))
            return
        self.post_message(self.Saved(name))

    def _store(self, style: str, values: dict[str, Any]) -> str:
        preset = PRESETS[style]
        # The name is checked by data.add / data.rename below: the rule and the sentence the
        # CLI's add and --rename use.
        name = values["name"]
        # Editing keeps settings the form does not show (set with the CLI, say), read from the
        # latest file rather than from when the form opened.
        base: Credential | None = None
        if self.original is not None and self.tv.store is not None:
            base = self.tv.store.reload().credentials.get(self.original.name)
            if base is None:
                raise CredentialNotFound(self.original.name)
        settings: dict[str, Any] = dict(base.settings) if base else {}
        for key in [*preset.required_settings, *OPTIONAL_SETTINGS.get(style, ())]:
            raw = str(values.get(_field_id("set", key), "")).strip()
            if raw:
                settings[key] = raw
            else:
                settings.pop(key, None)
        initial = dict(self._initial)
        for key in advanced_settings(style):
            field_id = _field_id("adv", key)
            raw = str(values.get(field_id, "")).strip()
            if raw == initial.get(field_id, ""):
                continue  # untouched: keep what the latest file holds
            if raw:
                settings[key] = raw
            else:
                settings.pop(key, None)
        if "lifetime" in settings:
            try:
                settings["lifetime"] = int(settings["lifetime"])
            except ValueError:
                raise UsageError("The lifetime must be a whole number of seconds.") from None
        secrets: dict[str, str] = {}
        for key in preset.secrets:
            raw = str(values.get(_field_id("sec", key), "")).strip()
            if key == "private_key" and not raw and values.get("pem-path", "").strip():
                path = Path(values["pem-path"].strip()).expanduser()
                try:
                    raw = path.read_text(encoding="utf-8").strip()
                except (OSError, UnicodeDecodeError) as exc:
                    raise UsageError(f"The PEM file {path} cannot be read ({exc}).") from None
            if raw:
                secrets[key] = raw + ("\n" if key == "private_key" else "")
        kept = dict(base.secrets) if base else {}
        merged_secrets = {**kept, **secrets}
        if "private_key" in secrets and "PRIVATE KEY" not in secrets["private_key"]:
            raise UsageError(
                "The private key is not a PEM (no '-----BEGIN … PRIVATE KEY-----' line)."
            )
        normalized = validate_settings(style, settings, merged_secrets)
        stored = self.original.secret_created_at if self.original else None
        given: datetime | None = None
        raw_date = str(values.get("secret-created", "")).strip()
        if preset.secret_lifetime is not None and raw_date:
            try:
                given = datetime.strptime(raw_date, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise UsageError(
                    f"The secret's creation date {raw_date!r} is not YYYY-MM-DD."
                ) from None
            if given > now():
                raise UsageError("The secret's creation date is in the future.")
            if stored is not None and given.date() == stored.date():
                given = None  # the field was left as shown: not a new date
        # A new or rotated secret starts its own clock unless a date was typed (same rule as
        # the CLI: Preset.secret_dates).
        replaced = self.original is None or any(k in secrets for k in preset.required_secrets)
        created, expires = preset.secret_dates(stored, given=given, replaced=replaced)
        store = self.tv.store
        if store is None:
            raise VaultError("The vault is locked; unlock it again.")
        with store.transaction() as data:
            if self.original is None:
                cred = data.add(Credential(name=name, provider=style))
                cred.policy = RefreshPolicy(
                    auto=bool(values["auto"]), share=self.tv.config.auto_refresh.share
                )
                cred.record(EventKind.CREATED)
            else:
                cred = data.rename(self.original.name, name)
                cred.policy.auto = bool(values["auto"])
                changed = sorted({*normalized, *secrets})
                cred.record(EventKind.EDITED, "changed: " + ", ".join(changed) if changed else "")
            cred.settings = normalized
            cred.secrets = merged_secrets
            cred.secret_created_at, cred.secret_expires_at = created, expires
        return name

    def on_credential_form_screen_saved(self, message: Saved) -> None:
        self.dismiss(message.name)

    def on_credential_form_screen_invalid(self, message: Invalid) -> None:
        self.query_one("#form-error", Static).update(message.reason)

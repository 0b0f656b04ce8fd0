"""Add and edit a credential of any provider style, validated by the provider engine."""

from __future__ import annotations

from datetime import date
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

from vault.core.errors import VaultError
from vault.core.keyfile import read_service_account
from vault.core.model import Credential
from vault.core.providers import PRESETS
from vault.tui.form_save import FieldProblem, FormInput, RotationUnconfirmed, save_form
from vault.tui.setting_fields import (
    ADVANCED_HINTS,
    HINTS,
    advanced_settings,
    choices,
    field_id,
    main_settings,
    setting_text,
)
from vault.tui.widgets.secret_paste import SecretPaste

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp


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
        def __init__(self, reason: str, field: str | None = None) -> None:
            super().__init__()
            self.reason = reason
            self.field = field
            """The id of the field at fault (focused and marked), when one is."""

    class RotationAsked(Message):
        """A root secret was replaced: the user must say when it was rotated."""

        def __init__(self, secret: str, values: dict[str, Any]) -> None:
            super().__init__()
            self.secret = secret
            self.values = values

    def __init__(self, cred: Credential | None) -> None:
        super().__init__()
        self.original = cred
        self.style = cred.provider if cred else next(iter(PRESETS))
        self._initial: dict[str, str] = {}
        """Advanced settings as first shown: only the ones the user changed are written back."""
        self._pristine: dict[str, Any] | None = None
        """Every field's value once the form was built: escape asks only when they differ."""

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
        self.call_after_refresh(self._remember_pristine)

    def _remember_pristine(self) -> None:
        self._pristine = self._values()

    def _style_fields(self, style: str) -> list[Widget]:
        preset = PRESETS[style]
        cred = self.original
        settings = cred.settings if cred else {}
        out: list[Widget] = []
        if style == "jwt-bearer":
            out.append(Label("Google service-account key file (JSON): enter fills the fields"))
            out.append(Input(placeholder="~/keys/acme-prod-1f2e3d.json", id="key-file"))
        for key in main_settings(style):
            required = key in preset.required_settings and not preset.defaults.get(key)
            out.append(Label(f"{key}{' *' if required else ''}"))
            value = settings.get(key, preset.defaults.get(key, "") if key == "base_url" else "")
            out.append(
                Input(
                    str(value) if value not in (None, "") else "",
                    placeholder=HINTS.get(f"{style}.{key}", HINTS.get(key, "")),
                    id=field_id("set", key),
                )
            )
        for key in preset.secrets:
            keep = " (empty: keep the stored one)" if cred and key in cred.secrets else ""
            if key == "private_key":
                out.append(Label(f"private_key: paste the RSA PEM here{keep}"))
                out.append(SecretPaste(id=field_id("sec", key)))
                out.append(Label("…or a path to the PEM file"))
                out.append(Input(placeholder="~/keys/app.pem", id="pem-path"))
            else:
                out.append(Label(f"{key} *{keep}"))
                out.append(
                    Input(password=True, placeholder="secret (masked)", id=field_id("sec", key))
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
        """The other settings this style uses, URLs first; empty means the preset default."""
        defaults = PRESETS[style].settings()
        children: list[Widget] = [
            Static(
                "Empty fields use the preset's default (shown greyed). Lists: comma-separated; "
                'headers, body and query: JSON objects, e.g. {"X-Key": "{token}"}.',
                classes="form-hint",
            )
        ]
        self._initial = {}
        for key in advanced_settings(style, settings):
            fid = field_id("adv", key)
            value = setting_text(settings.get(key))
            self._initial[key] = value
            default = setting_text(defaults.get(key))
            children.append(Label(key))
            allowed = choices(key)
            if allowed is not None:
                options = [(v, v) for v in allowed]
                if value and value not in allowed:
                    options.append((value, value))  # an odd stored value stays visible
                children.append(
                    Select(
                        options,
                        value=value or Select.NULL,
                        prompt=f"default: {default}" if default else "(not set)",
                        id=fid,
                    )
                )
            else:
                children.append(Input(value, placeholder=default or "(not set)", id=fid))
            children.append(Static(ADVANCED_HINTS.get(key, ""), classes="form-hint"))
        return Collapsible(*children, title="Advanced settings", collapsed=True, id="advanced")

    @on(Select.Changed, "#style")
    async def _style_changed(self, event: Select.Changed) -> None:
        if event.value == self.style or not isinstance(event.value, str):
            return
        if self._pristine is None:
            # The first fields are still mounting: removing a Select before its Mount is
            # handled crashes it (Textual queries its overlay then), so switch once settled.
            wanted = event.value
            self.call_after_refresh(lambda: self.post_message(Select.Changed(event.select, wanted)))
            return
        self.style = event.value
        fields = self.query_one("#fields", Vertical)
        await fields.remove_children()
        await fields.mount(*self._style_fields(self.style))

    # -- the Google key file ---------------------------------------------------------------

    @on(Input.Submitted, "#key-file")
    def _key_file_given(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self._read_key_file(Path(event.value.strip()).expanduser())

    @work(thread=True, exclusive=True, group="key-file")
    def _read_key_file(self, path: Path) -> None:
        try:
            key = read_service_account(path)
        except VaultError as exc:
            self.post_message(self.Invalid(exc.message, "key-file"))
            return
        self.app.call_from_thread(self._fill_from_key, key)

    def _fill_from_key(self, key: Any) -> None:
        self.query_one("#set-client-email", Input).value = key.client_email
        self.query_one("#set-key-id", Input).value = key.private_key_id
        self.query_one("#set-base-url", Input).value = key.base_url
        self.query_one("#sec-private-key", SecretPaste).text = key.private_key
        token_url = self.query("#adv-token-url")
        if token_url and isinstance(token_url.first(), Input):
            token_url.first(Input).value = key.token_path
        self._clear_marks()
        self.query_one("#form-error", Static).update(
            f"Filled in from the key file: {key.client_email} (key {key.private_key_id[:8]}…)."
        )
        self.query_one("#set-scope", Input).focus()

    # -- cancel: never lose typed work silently --------------------------------------------

    def _values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"name": self.query_one("#name", Input).value}
        for field in self.query("#fields Input"):
            assert isinstance(field, Input)
            values[field.id or ""] = field.value
        for area in self.query("#fields SecretPaste"):
            assert isinstance(area, SecretPaste)
            values[area.id or ""] = area.text
        for select in self.query("#fields Select"):
            assert isinstance(select, Select)
            values[select.id or ""] = "" if select.is_blank() else str(select.value)
        values["auto"] = self.query_one("#auto", Switch).value
        values["style"] = self.style
        return values

    def action_cancel(self) -> None:
        from vault.tui.screens.confirm import ConfirmScreen

        if self._pristine is None or self._values() == self._pristine:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard the changes made in this form?\n\nNothing has been saved yet.",
                confirm="Discard",
            ),
            answered,
        )

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    # -- save --------------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._clear_marks()
        self.query_one("#form-error", Static).update("Saving…")
        self._save(self._values(), None)

    def _clear_marks(self) -> None:
        for widget in self.query(".-invalid"):
            widget.remove_class("-invalid")
        for note in self.query(".field-error"):
            note.remove()

    @work(thread=True, exclusive=True, group="form")
    def _save(self, values: dict[str, Any], rotated_on: date | None) -> None:
        form = FormInput(self.style, values, dict(self._initial), rotated_on)
        original = self.original.name if self.original else None
        try:
            name = save_form(self.tv.store, original, form, self.tv.config)
        except RotationUnconfirmed as exc:
            self.post_message(self.RotationAsked(exc.secret, values))
            return
        except FieldProblem as exc:
            self.post_message(self.Invalid(exc.message, exc.field))
            return
        except VaultError as exc:
            self.post_message(self.Invalid(exc.message))
            return
        self.post_message(self.Saved(name))

    def on_credential_form_screen_rotation_asked(self, message: RotationAsked) -> None:
        from vault.tui.screens.rotation import RotationScreen

        self.query_one("#form-error", Static).update("")
        lifetime = PRESETS[self.style].secret_lifetime
        days = lifetime.days if lifetime else 0
        values = message.values

        def answered(day: date | None) -> None:
            if day is None:
                self.query_one("#form-error", Static).update(
                    "Not saved: say when the new secret was created, then save again."
                )
                self._mark("secret-created", "The new secret's creation date.")
                return
            self.query_one("#form-error", Static).update("Saving…")
            self._save(values, day)

        self.app.push_screen(RotationScreen(message.secret, days), answered)

    def on_credential_form_screen_saved(self, message: Saved) -> None:
        self.dismiss(message.name)

    def on_credential_form_screen_invalid(self, message: Invalid) -> None:
        self.query_one("#form-error", Static).update(message.reason)
        if message.field:
            self._mark(message.field, message.reason)

    def _mark(self, fid: str, reason: str) -> None:
        """Focus the field at fault and put its message right under it (visible at once)."""
        found = self.query(f"#{fid}")
        if not found:
            return
        widget = found.first()
        widget.add_class("-invalid")
        for collapsible in widget.ancestors_with_self:
            if isinstance(collapsible, Collapsible):
                collapsible.collapsed = False
        note = Static(reason, classes="field-error")
        parent = widget.parent
        assert isinstance(parent, Widget)
        parent.mount(note, after=widget)
        widget.focus(scroll_visible=False)
        # Once the note is laid out: the field *and* its sentence in the middle of the view.
        box = self.query_one("#form-box", VerticalScroll)
        self.call_after_refresh(box.scroll_to_center, widget, animate=False, immediate=True)

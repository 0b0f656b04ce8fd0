"""What saving the credential form writes: only real changes, and a secret's clock only when told.

The root secret's creation date decides the expiry the app shows (ShiftIQ secrets die on day
90), so it must never move behind the user's back: re-typing or re-pasting the stored secret is
not a rotation, and a replaced secret is dated by the user's answer ("rotated today?"), never
silently. The history names only the fields whose value really changed.

Headless on purpose (no textual): the form's worker calls ``save_form`` with plain values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from vault.core.clock import now
from vault.core.config import Config
from vault.core.errors import CredentialNotFound, UsageError, VaultError
from vault.core.model import Credential, EventKind, RefreshPolicy
from vault.core.names import check_name
from vault.core.providers import PRESETS, validate_settings
from vault.core.providers.engine import SETTING_KINDS
from vault.core.safefile import read_bounded
from vault.core.store import VaultStore
from vault.tui.setting_fields import field_id, main_settings

PEM_LIMIT = 64 * 1024
"""A PEM private key is a few KiB; a bigger "key file" is a mistake, not read whole."""


class FieldProblem(UsageError):
    """A form value the vault refuses, with the id of the field that holds it."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field
        """The form field to focus and mark (None: no single field is at fault)."""


class RotationUnconfirmed(VaultError):
    """A root secret was replaced on edit and nobody said when: ask before dating it."""

    def __init__(self, secret: str) -> None:
        super().__init__(f"The {secret} was replaced: when was it rotated?")
        self.secret = secret


@dataclass(frozen=True)
class FormInput:
    """Everything the form read from its widgets, keyed by field id."""

    style: str
    values: dict[str, Any]
    initial: dict[str, str]
    """Advanced setting -> its text as first shown: untouched ones keep the latest file's."""
    rotated_on: date | None = None
    """The user's answer to "rotated today?" (None: not asked yet)."""


def field_for(message: str, style: str) -> str | None:
    """The field id a provider-engine sentence is about (its messages quote keys: 'app_id')."""
    preset = PRESETS[style]
    for key in re.findall(r"'([a-z_]+)'", message):
        if key in preset.secrets:
            return field_id("sec", key)
        if key in main_settings(style):
            return field_id("set", key)
        if key in SETTING_KINDS:
            return field_id("adv", key)
    if "lifetime" in message and "lifetime" in main_settings(style):
        return field_id("set", "lifetime")
    if "private key" in message.lower() or "PEM" in message:
        return field_id("sec", "private_key")
    return None


def _text(values: dict[str, Any], key: str) -> str:
    return str(values.get(key, "")).strip()


def _secrets_typed(style: str, values: dict[str, Any]) -> dict[str, str]:
    secrets: dict[str, str] = {}
    for key in PRESETS[style].secrets:
        raw = _text(values, field_id("sec", key))
        if key == "private_key" and not raw and _text(values, "pem-path"):
            path = Path(_text(values, "pem-path")).expanduser()
            raw = _read_pem(path)
        if raw:
            secrets[key] = raw + ("\n" if key == "private_key" else "")
            if key == "private_key" and "PRIVATE KEY" not in raw:
                raise FieldProblem(
                    "The private key is not a PEM (no '-----BEGIN … PRIVATE KEY-----' line).",
                    field_id("sec", key),
                )
    return secrets


def _read_pem(path: Path) -> str:
    try:
        return read_bounded(path, "PEM file", PEM_LIMIT, UsageError).decode("utf-8").strip()
    except UsageError as exc:
        why = exc.message
    except FileNotFoundError:
        why = "no such file"
    except UnicodeDecodeError:
        why = "it is not text"
    raise FieldProblem(f"The PEM file {path} cannot be read ({why}).", "pem-path")


def _date_typed(values: dict[str, Any]) -> date | None:
    raw = _text(values, "secret-created")
    if not raw:
        return None
    try:
        given = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise FieldProblem(
            f"The secret's creation date {raw!r} is not YYYY-MM-DD.", "secret-created"
        ) from None
    if given > now().date():
        raise FieldProblem("The secret's creation date is in the future.", "secret-created")
    return given


def changed_fields(
    base: Credential, name: str, settings: dict[str, Any], secrets: dict[str, str], auto: bool
) -> list[str]:
    """The names of the fields whose stored value an edit really changes (for the history)."""
    out = [
        k for k in sorted({*base.settings, *settings}) if base.settings.get(k) != settings.get(k)
    ]
    out += [k for k in sorted({*base.secrets, *secrets}) if base.secrets.get(k) != secrets.get(k)]
    if name != base.name:
        out.insert(0, "name")
    if auto != base.policy.auto:
        out.append("auto-refresh")
    return out


def save_form(
    store: VaultStore | None, original: str | None, form: FormInput, config: Config
) -> str:
    """Validate the form's values and write them; returns the credential's name.

    Raises:
        FieldProblem: a value is refused (the sentence and the field to mark).
        RotationUnconfirmed: a root secret was replaced and ``form.rotated_on`` is None.
        VaultError: the vault is locked, or the save failed.
    """
    style, values = form.style, form.values
    preset = PRESETS[style]
    name = _text(values, "name")
    try:
        check_name(name)
    except UsageError as exc:
        raise FieldProblem(exc.message, "name") from None
    if store is None:
        raise VaultError("The vault is locked; unlock it again.")
    # Editing keeps settings the form does not show (set with the CLI, say), read from the
    # latest file rather than from when the form opened.
    base: Credential | None = None
    if original is not None:
        base = store.reload().credentials.get(original)
        if base is None:
            raise CredentialNotFound(original)
    if name != original and name in store.data.credentials:
        raise FieldProblem(f"A credential named {name!r} already exists.", "name")
    settings: dict[str, Any] = dict(base.settings) if base else {}
    for key in main_settings(style):
        raw = _text(values, field_id("set", key))
        if raw:
            settings[key] = raw
        else:
            settings.pop(key, None)
    for key, first in form.initial.items():
        raw = _text(values, field_id("adv", key))
        if raw == first:
            continue  # untouched: keep what the latest file holds
        if raw:
            settings[key] = raw
        else:
            settings.pop(key, None)
    if "lifetime" in settings:
        try:
            settings["lifetime"] = int(settings["lifetime"])
        except ValueError:
            raise FieldProblem(
                "The lifetime must be a whole number of seconds.", field_id("set", "lifetime")
            ) from None
    typed = _secrets_typed(style, values)
    kept = dict(base.secrets) if base else {}
    # The same secret typed again is no change at all (and never a rotation).
    new_secrets = {k: v for k, v in typed.items() if kept.get(k, "").strip() != v.strip()}
    merged_secrets = {**kept, **new_secrets}
    try:
        normalized = validate_settings(style, settings, merged_secrets)
    except UsageError as exc:
        raise FieldProblem(exc.message, field_for(exc.message, style)) from None
    given = _date_typed(values)
    stored = base.secret_created_at if base else None
    if stored is not None and given == stored.date():
        given = None  # the field was left as shown: not a new date
    rotated = base is not None and any(k in new_secrets for k in preset.required_secrets)
    if rotated and preset.secret_lifetime is not None and given is None:
        if form.rotated_on is None:
            raise RotationUnconfirmed(preset.primary_secret or "secret")
        given = form.rotated_on
    at = datetime.combine(given, datetime.min.time(), UTC) if given else None
    created, expires = preset.secret_dates(stored, given=at, replaced=base is None or rotated)
    auto = bool(values.get("auto"))
    with store.transaction() as data:
        if base is None:
            cred = data.add(Credential(name=name, provider=style))
            cred.policy = RefreshPolicy(auto=auto, share=config.auto_refresh.share)
            cred.record(EventKind.CREATED)
        else:
            current = data.credentials[base.name]
            changed = changed_fields(current, name, normalized, merged_secrets, auto)
            if created != current.secret_created_at:
                changed.append("secret_created_at")
            cred = data.rename(base.name, name)
            cred.policy.auto = auto
            if changed:
                cred.record(EventKind.EDITED, "changed: " + ", ".join(changed))
        cred.settings = normalized
        cred.secrets = merged_secrets
        cred.secret_created_at, cred.secret_expires_at = created, expires
    return name

"""An import plan: the credentials a file would create, checked whole before anything is saved.

Every importer (Postman, dotenv) turns its file into a list of :class:`Planned` credentials;
:func:`check` refuses the whole list on the first problem, so an import either creates all of
its credentials in one transaction or none. :func:`describe` is the dry run's text: secrets
appear only masked (``mask``: the last 4 characters at most).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from vault.core.errors import UsageError
from vault.core.model import mask
from vault.core.names import check_name, printable

SECRET_WHITESPACE = frozenset("\n\r\t")
"""The only control characters a secret may hold: a PEM key spans lines."""


@dataclass
class Planned:
    """One credential an import would create (or, with ``--replace``, replace)."""

    name: str
    provider: str
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    """Root secrets from the file: kept out of reprs, shown only masked."""
    source: str = ""
    """Where in the file it came from, for the plan and the history (never a value)."""
    skipped: list[str] = field(default_factory=list)
    """Variables of the file left out, each with the reason."""


def field_kind(style: str, name: str) -> str | None:
    """``"secret"`` or ``"setting"`` for a field of ``style``, or None when it has no such field.

    A name the style keeps as a secret is a secret whatever the file says about it, so a
    client secret a Postman user forgot to mark ``secret`` never lands in the shown settings.
    """
    # Lazy: the provider package loads httpx, which reading a file does not need.
    from vault.core.providers.engine import SETTING_KINDS, preset_of

    preset = preset_of(style)
    if name in preset.secrets:
        return "secret"
    if name in SETTING_KINDS:
        return "setting"
    return None


def _control(value: str, allowed: Collection[str] = ()) -> str | None:
    return next(
        (ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in allowed), None
    )


def setting_value(value: Any, what: str) -> str:
    """A setting from a file as text: strings and numbers only, no control characters."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{what} must be text, not {type(value).__name__}.")
    text = str(value)
    if _control(text) is not None:
        raise UsageError(f"{what} holds a control character; settings are one line of text.")
    return text


def secret_value(value: Any, what: str) -> str:
    """A secret from a file: text, non-empty, no control characters but line breaks and tabs.

    The sentence names where the secret was, never the secret.
    """
    if not isinstance(value, str):
        raise UsageError(f"{what} must be text, not {type(value).__name__}.")
    if not value:
        raise UsageError(f"{what} is empty.")
    if _control(value, SECRET_WHITESPACE) is not None:
        raise UsageError(f"{what} holds a control character, which no secret does.")
    return value


def check(plans: list[Planned], existing: Collection[str], *, replace: bool) -> None:
    """Refuse the whole import on the first bad name, clash or setting.

    Args:
        plans: everything the import would create.
        existing: the names the vault holds now.
        replace: whether an existing credential of the same name may be replaced.

    Raises:
        UsageError: one sentence naming the credential and the problem.
    """
    if not plans:
        raise UsageError("The file holds nothing to import.")
    seen: set[str] = set()
    for plan in plans:
        check_name(plan.name)
        if plan.name in seen:
            raise UsageError(
                f"The import would create {plan.name!r} twice; give the credentials distinct names."
            )
        seen.add(plan.name)
        if plan.name in existing and not replace:
            raise UsageError(
                f"A credential named {plan.name!r} already exists; pass --replace to replace "
                "it, or import under another name. Nothing was imported."
            )


def describe(plans: list[Planned], existing: Collection[str]) -> list[str]:
    """The dry run: one block per credential, settings in clear, secrets masked."""
    # Lazy: the provider package loads httpx, which a dry run does not need until here.
    from vault.core.providers.secretsettings import masked

    lines: list[str] = []
    for plan in plans:
        verb = "replace" if plan.name in existing else "create"
        lines.append(f"would {verb} {printable(plan.name)!r} ({plan.provider})" + _from(plan))
        for key, value in sorted(masked(plan.settings).items()):
            lines.append(f"  setting {printable(key)} = {printable(_show(value))}")
        for key, value in sorted(plan.secrets.items()):
            lines.append(f"  secret  {printable(key)} = {mask(value)}")
        for note in plan.skipped:
            lines.append(f"  left out: {printable(note)}")
    return lines


def _from(plan: Planned) -> str:
    return f" from {printable(plan.source)}" if plan.source else ""


def _show(value: Any) -> str:
    if isinstance(value, Mapping | list):
        import json

        return json.dumps(value, sort_keys=True)
    return str(value)

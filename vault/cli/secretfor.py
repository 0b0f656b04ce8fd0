"""`--secret-for`: a header API key or a static Basic password kept as a secret, never in argv.

`add` and `edit` normally fill the style's own secret from --secret-file/--secret-stdin.
With `--secret-for header:X-Api-Key` (or `token-header:NAME`, `basic-password`) the same
input fills a secret of its own, and the setting is pointed at it with a `{secret.NAME}`
template (``vault.core.providers.secretsettings.bind``). Without a file or stdin the value
is asked for on the terminal, not echoed.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vault.cli.common import err
from vault.core.errors import UsageError

if TYPE_CHECKING:
    from vault.core.model import Credential


def bind(
    args: argparse.Namespace, style: str, settings: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The settings with ``--secret-for``'s template bound, and the secret to fill (or None)."""
    from vault.core.providers.secretsettings import bind as bind_target

    target = getattr(args, "secret_for", None)
    if not target:
        return dict(settings), None
    return bind_target(style, settings, target.strip())


def ask(name: str) -> str:
    """Ask for the secret ``name`` on the controlling terminal, without echo."""
    import getpass

    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
    except OSError:
        raise UsageError(
            f"No value for the secret {name!r} and no terminal to ask on: "
            "give it with --secret-file FILE or --secret-stdin."
        ) from None
    value = getpass.getpass(f"Value of the secret {name} (not shown): ")
    if not value:
        raise UsageError(f"The secret {name!r} cannot be empty; nothing was changed.")
    return value


def warn_plain(cred: Credential) -> None:
    """Tell the user when a setting still holds a credential in plain text."""
    from vault.core.providers.secretsettings import advice

    said = advice(cred.name, cred.settings)
    if said:
        err(f"note: {said}")


__all__ = ["ask", "bind", "warn_plain"]

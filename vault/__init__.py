"""tokenvault: a passphrase-encrypted local vault for API credentials."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~6 ms at start-up
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = ["VaultAuth", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from vault.core.auth import VaultAuth


def __getattr__(name: str) -> Any:
    # Lazy so that `import vault` stays cheap for the CLI and never drags in httpx needlessly.
    if name == "VaultAuth":
        from vault.core.auth import VaultAuth

        return VaultAuth
    raise AttributeError(name)

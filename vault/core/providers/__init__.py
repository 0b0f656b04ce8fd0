"""Provider engine: one configurable engine, presets as data (see docs/providers.md)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vault.core.providers.base import Provider, RevokeResult, SecretExpired, TokenResult
    from vault.core.providers.engine import Engine, header_lines, provider_for
    from vault.core.providers.presets import PRESETS, Preset
    from vault.core.providers.validation import validate_settings

# Each name loads its own module on first use (PEP 562): importing the package, or the preset
# table through it, must not pull in httpx and PyJWT (~130 ms) for a command that never talks
# to a provider (`edit`, `list`, the TUI's forms).
_HOMES = {
    "Provider": "base",
    "RevokeResult": "base",
    "SecretExpired": "base",
    "TokenResult": "base",
    "Engine": "engine",
    "header_lines": "engine",
    "provider_for": "engine",
    "PRESETS": "presets",
    "Preset": "presets",
    "validate_settings": "validation",
}

__all__ = [
    "PRESETS",
    "Engine",
    "Preset",
    "Provider",
    "RevokeResult",
    "SecretExpired",
    "TokenResult",
    "header_lines",
    "provider_for",
    "validate_settings",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)

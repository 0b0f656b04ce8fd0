"""Provider engine: one configurable engine, presets as data (see docs/providers.md)."""

from __future__ import annotations

from vault.core.providers.base import Provider, RevokeResult, SecretExpired, TokenResult
from vault.core.providers.engine import Engine, header_lines, provider_for, validate_settings
from vault.core.providers.presets import PRESETS, Preset

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

"""The user's TOML config: theme, keymap, clipboard, auto-lock, auto-refresh, agent, notify."""

from __future__ import annotations

import os
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault.core.errors import ConfigError
from vault.core.paths import config_dir
from vault.core.safefile import read_bounded, write_through

CLIPBOARD_TIMEOUT = 30
"""Seconds before a copied token is wiped from the clipboard (pass uses 45 s; we are stricter)."""

AUTO_LOCK = 300
"""Idle seconds before the TUI drops its keys and decrypted data and shows the unlock screen."""

DEFAULT_THEME = "tokenvault-dark"

MAX_CONFIG_BYTES = 1024 * 1024
"""A config is a few hundred bytes; anything past a MiB is not one (and is not read whole)."""

_TOP_KEYS = frozenset({"theme", "keymap", "clipboard", "lock", "auto_refresh", "agent", "notify"})
_AGENT_KEYS = frozenset({"start_on_unlock", "timeout", "refresh"})
_CLIPBOARD_KEYS = frozenset({"timeout", "command"})
_LOCK_KEYS = frozenset({"idle_seconds"})
_REFRESH_KEYS = frozenset({"enabled", "share", "styles"})
_NOTIFY_KEYS = frozenset({"enabled", "secret_days", "token_minutes", "failures"})


def config_path() -> Path:
    """Where the config lives; ``TOKENVAULT_CONFIG`` overrides it (tests, several profiles)."""
    override = os.environ.get("TOKENVAULT_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


@dataclass
class AutoRefresh:
    """Defaults applied to new credentials' refresh policies."""

    enabled: bool = True
    """Auto-refresh on for new credentials whose preset allows it by default."""
    share: float = 0.10
    """Refresh once less than this share of the lifetime remains."""
    styles: dict[str, bool] = field(default_factory=dict)
    """Per-style override of ``enabled``."""

    def enabled_for(self, style: str) -> bool:
        """The user's per-style choice, else ``enabled`` where the preset allows it.

        Presets say which styles are costly or rate limited (secret-exchange tokens are
        long-lived and the vendor rate-limits generation), so that knowledge lives in one place.
        """
        if style in self.styles:
            return self.styles[style]
        from vault.core.providers.presets import PRESETS

        preset = PRESETS.get(style)
        return self.enabled and preset is not None and preset.auto_refresh


AGENT_TIMEOUT = 15 * 60
"""Idle seconds before the session agent locks itself: the one default for ``tokenvault unlock``
and the TUI (rbw's is one hour; a key in memory should not outlive its use by much)."""


@dataclass
class AgentSettings:
    """How the TUI and ``tokenvault unlock`` use the session agent."""

    start_on_unlock: bool = True
    """Unlocking in the TUI starts an agent (if none runs) so CLI calls need no passphrase."""
    timeout: int = AGENT_TIMEOUT
    """Idle seconds before an agent started by the TUI or ``unlock`` locks itself."""
    refresh: bool = True
    """The running agent refreshes auto-refresh credentials in the background (the TUI then
    leaves that to it); off, every process refreshes only when it needs a token."""


@dataclass
class NotifySettings:
    """When the agent's desktop notifications and the TUI's status line remind (``[notify]``)."""

    enabled: bool = True
    """Desktop notifications from the agent; the TUI's status line reminds either way."""
    secret_days: tuple[int, ...] = (30, 7, 1)
    """Days before a root secret dies at which to remind, once each."""
    token_minutes: int = 10
    """Remind this long before a token that nothing refreshes automatically expires; 0: never."""
    failures: int = 3
    """Failed refreshes in a row of an auto-refresh credential before a reminder."""


@dataclass
class Config:
    """Everything the user can set; unknown keys land in ``warnings`` rather than failing."""

    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys (comma separated), applied with Textual's ``App.set_keymap``."""
    clipboard_timeout: int = CLIPBOARD_TIMEOUT
    clipboard_command: str = ""
    """The copy command to use instead of the detected one (lazygit's ``copyToClipboardCmd``)."""
    auto_lock: int = AUTO_LOCK
    """Idle seconds before locking; 0 turns auto-lock off."""
    auto_refresh: AutoRefresh = field(default_factory=AutoRefresh)
    agent: AgentSettings = field(default_factory=AgentSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    path: Path | None = None
    """The file this was read from (None for defaults)."""
    warnings: list[str] = field(default_factory=list)
    """One sentence per ignored key or bad value, naming the file and the key."""


def load_config(path: Path | None = None) -> Config:
    """Read the config; a missing file gives defaults.

    Raises:
        ConfigError: the file is not valid TOML (with the file name and the parser's reason).
    """
    path = path or config_path()
    cfg = Config(path=path)
    try:
        # A FIFO or /dev/zero named as the config is refused at once, not read forever.
        raw = read_bounded(path, "config file", limit=MAX_CONFIG_BYTES, error=ConfigError)
    except FileNotFoundError:
        return cfg
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    _apply(cfg, data, path)
    return cfg


def _apply(cfg: Config, data: dict[str, Any], path: Path) -> None:
    def warn(key: str, why: str) -> None:
        cfg.warnings.append(f"{path}: {key}: {why}")

    for key in sorted(set(data) - _TOP_KEYS):
        warn(key, "unknown key, ignored")
    if "theme" in data:
        if isinstance(data["theme"], str) and data["theme"]:
            cfg.theme = data["theme"]
        else:
            warn("theme", "must be a theme name")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        warn("keymap", 'must be a table of binding id = "keys"')
    else:
        for binding_id, keys in keymap.items():
            if isinstance(keys, str) and keys.strip():
                cfg.keymap[binding_id] = keys
            elif isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
                cfg.keymap[binding_id] = ",".join(keys)
            else:
                warn(f"keymap.{binding_id}", 'must be a key string such as "ctrl+g"')
    clip = _table(data, "clipboard", _CLIPBOARD_KEYS, warn)
    if "timeout" in clip:
        cfg.clipboard_timeout = _int(clip["timeout"], "clipboard.timeout", 0, 3600, warn, 30)
    if "command" in clip:
        command = clip["command"]
        if isinstance(command, str) and not command.strip():
            pass  # "" (the default): detect the tool
        elif isinstance(command, str) and _command_line(command):
            cfg.clipboard_command = command.strip()
        else:
            warn("clipboard.command", 'must be a command line such as "xsel --clipboard --input"')
    lock = _table(data, "lock", _LOCK_KEYS, warn)
    if "idle_seconds" in lock:
        cfg.auto_lock = _int(lock["idle_seconds"], "lock.idle_seconds", 0, 86400, warn, 300)
    agent = _table(data, "agent", _AGENT_KEYS, warn)
    if "start_on_unlock" in agent:
        cfg.agent.start_on_unlock = _bool(
            agent["start_on_unlock"], "agent.start_on_unlock", warn, cfg.agent.start_on_unlock
        )
    if "refresh" in agent:
        cfg.agent.refresh = _bool(agent["refresh"], "agent.refresh", warn, cfg.agent.refresh)
    if "timeout" in agent:
        # Same bounds as `tokenvault unlock --timeout` (vault/agent/duration.py).
        cfg.agent.timeout = _int(agent["timeout"], "agent.timeout", 1, 7 * 86400, warn, 900)
    refresh = _table(data, "auto_refresh", _REFRESH_KEYS, warn)
    if "enabled" in refresh:
        cfg.auto_refresh.enabled = _bool(
            refresh["enabled"], "auto_refresh.enabled", warn, cfg.auto_refresh.enabled
        )
    if "share" in refresh:
        share = refresh["share"]
        if isinstance(share, int | float) and not isinstance(share, bool) and 0.01 <= share <= 0.9:
            cfg.auto_refresh.share = float(share)
        else:
            warn("auto_refresh.share", "must be a number between 0.01 and 0.9")
    styles = refresh.get("styles", {})
    if isinstance(styles, dict):
        for style, on in styles.items():
            if isinstance(on, bool):
                cfg.auto_refresh.styles[style] = on
            else:
                warn(f"auto_refresh.styles.{style}", "must be true or false")
    else:
        warn("auto_refresh.styles", "must be a table of style = true/false")
    _apply_notify(cfg.notify, _table(data, "notify", _NOTIFY_KEYS, warn), warn)


def _apply_notify(notify: NotifySettings, table: dict[str, Any], warn: Any) -> None:
    if "enabled" in table:
        notify.enabled = _bool(table["enabled"], "notify.enabled", warn, notify.enabled)
    if "secret_days" in table:
        days = table["secret_days"]
        if isinstance(days, list) and all(_whole(d, 1, 366) for d in days):
            notify.secret_days = tuple(sorted(set(days), reverse=True))
        else:
            warn("notify.secret_days", "must be a list of whole days from 1 to 366 ([30, 7, 1])")
    if "token_minutes" in table:
        if _whole(table["token_minutes"], 0, 1440):
            notify.token_minutes = table["token_minutes"]
        else:
            warn("notify.token_minutes", "must be a whole number of minutes from 0 to 1440")
    if "failures" in table:
        if _whole(table["failures"], 1, 100):
            notify.failures = table["failures"]
        else:
            warn("notify.failures", "must be a whole number of failures from 1 to 100")


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _command_line(text: str) -> bool:
    """A one-line command that splits like a shell word list (balanced quotes)."""
    try:
        return bool(shlex.split(text)) and "\n" not in text
    except ValueError:
        return False


def _table(data: dict[str, Any], name: str, known: frozenset[str], warn: Any) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        warn(name, "must be a table")
        return {}
    for key in sorted(set(value) - known):
        warn(f"{name}.{key}", "unknown key, ignored")
    return value


def _bool(value: Any, key: str, warn: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    warn(key, "must be true or false")
    return default


def _int(value: Any, key: str, low: int, high: int, warn: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    warn(key, f"must be a whole number of seconds from {low} to {high}")
    return default


def save_theme(name: str, path: Path | None = None) -> None:
    """Remember the chosen theme, rewriting only the top-level ``theme`` line.

    Other lines (comments included) are kept as the user wrote them. The write goes through
    a fresh temp file and keeps a symlinked config a symlink (``safefile.write_through``).

    Raises:
        ConfigError: the file cannot be read or written (one sentence naming it).
    """
    path = path or config_path()
    try:
        raw = read_bounded(path, "config file", MAX_CONFIG_BYTES, ConfigError)
        lines = raw.decode("utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; the theme was not saved.") from None
    entry = f"theme = {_toml_string(name)}"
    for index, line in enumerate(lines):
        if line.startswith("["):
            lines.insert(index, entry)
            break
        if line.replace(" ", "").startswith("theme="):
            lines[index] = entry
            break
    else:
        lines.append(entry)
    write_through(path, ("\n".join(lines) + "\n").encode("utf-8"), "config file", ConfigError)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

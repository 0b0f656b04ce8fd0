"""Where things live: the vault, the config and the runtime folder (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "tokenvault"
VAULT_ENV = "TOKENVAULT_VAULT"
VAULT_FILENAME = "vault.tvault"


def default_vault_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The vault path: an explicit ``--vault``, then ``$TOKENVAULT_VAULT``, then platformdirs."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(VAULT_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # lazily: most calls name the vault through the environment or a flag

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / VAULT_FILENAME


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def runtime_dir() -> Path:
    """Per-user runtime folder for the agent's socket.

    ``$XDG_RUNTIME_DIR/tokenvault`` when the session has one; otherwise a per-uid folder in
    the temp directory (its owner and mode are checked by the agent before use). platformdirs'
    own fallback warns on stderr on every call, which would litter every CLI command.
    """
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return Path(base) / APP
    import tempfile

    return Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten it if it exists with looser bits."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path

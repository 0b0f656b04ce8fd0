"""Where things live: the vault, the config and the runtime folder (platformdirs)."""

from __future__ import annotations

import errno
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

    ``$XDG_RUNTIME_DIR/tokenvault`` when the session has one; otherwise an unpredictable
    mkdtemp folder found through a pointer in the user's state folder (``vault.core.rundir``):
    a fixed ``/tmp/tokenvault-<uid>`` could be planted by another user first. platformdirs'
    own fallback warns on stderr on every call, which would litter every CLI command.
    """
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return Path(base) / APP
    from vault.core.rundir import private_temp_runtime_dir

    return private_temp_runtime_dir(APP)


def ensure_private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """Create ``path`` and any missing parents, each 0700 (whatever the umask).

    Args:
        tighten_existing: also chmod an existing ``path`` to 0700. Only for a folder that is
            tokenvault's own (the agent's runtime folder). Never for the vault's folder: that
            may be a shared project folder (setgid), /tmp (sticky 1777) or a 0755 home, and
            changing its mode would break it for everyone else; the vault warns instead
            (``vault.core.exposure``).
    """
    missing: list[Path] = []
    folder = path
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by someone else meanwhile: not ours, so its mode is not ours to set
        os.chmod(created, 0o700)  # the umask may have taken bits away; ours is exactly 0700
    if tighten_existing and not missing and path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    return path

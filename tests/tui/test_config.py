"""Config file: defaults, values, unknown keys reported with file and key; theme persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault.core.config import config_path, load_config, save_theme
from vault.core.errors import ConfigError


def test_missing_file_gives_defaults() -> None:
    cfg = load_config()
    assert cfg.theme == "tokenvault-dark"
    assert cfg.clipboard_timeout == 30
    assert cfg.auto_lock == 300
    assert cfg.warnings == []
    assert cfg.auto_refresh.enabled_for("app-token")
    assert not cfg.auto_refresh.enabled_for("secret-exchange")


def test_values_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'theme = "nord-frost"\ncolour = 1\n'
        '[keymap]\ngenerate = "ctrl+g"\nrefresh = 5\n'
        "[clipboard]\ntimeout = 10\nbogus = true\n"
        "[lock]\nidle_seconds = 99999999\n"
        "[auto_refresh]\nshare = 0.2\n[auto_refresh.styles]\nsecret-exchange = true\n"
    )
    cfg = load_config(path)
    assert cfg.theme == "nord-frost"
    assert cfg.keymap == {"generate": "ctrl+g"}
    assert cfg.clipboard_timeout == 10
    assert cfg.auto_lock == 300
    assert cfg.auto_refresh.share == 0.2
    assert cfg.auto_refresh.enabled_for("secret-exchange")
    joined = "\n".join(cfg.warnings)
    for key in ("colour", "keymap.refresh", "clipboard.bogus", "lock.idle_seconds"):
        assert f"{path}: {key}:" in joined


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("theme = \n")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_save_theme_keeps_other_lines() -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# mine\n[clipboard]\ntimeout = 12\n")
    save_theme("solarized-paper")
    cfg = load_config()
    assert cfg.theme == "solarized-paper" and cfg.clipboard_timeout == 12
    assert path.read_text().startswith("# mine\n")
    save_theme("nord-frost")
    assert load_config().theme == "nord-frost"
    assert path.read_text().count("theme =") == 1

"""Themes are TOML data files mapped onto Textual's ``Theme``; a broken file is skipped."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from vault.core.config import DEFAULT_THEME, config_dir
from vault.core.errors import ConfigError
from vault.core.safefile import read_bounded

THEME_LIMIT = 64 * 1024
"""A theme is a dozen colour lines; a file past 64 KiB is not one (and is not read whole)."""

_COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


def builtin_theme_dir() -> Path:
    """``themes/`` in a checkout, or the copy hatch packs as ``vault/_themes`` in a wheel."""
    packaged = Path(__file__).resolve().parent.parent / "_themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "themes"


def user_theme_dir() -> Path:
    return config_dir() / "themes"


@dataclass
class ThemeSet:
    """Themes that loaded, and one sentence per file that did not."""

    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def theme_from_toml(path: Path) -> Theme:
    """Build a ``Theme`` from one file.

    Raises:
        ValueError: with the file and the key at fault.
    """
    # A *.toml in a themes folder may be a FIFO or a link to /dev/zero (a copied dotfiles
    # tree, a stray mkfifo): regular files of a theme's size only, or start-up would hang.
    try:
        raw = read_bounded(path, "theme file", THEME_LIMIT, ConfigError)
        data = tomllib.loads(raw.decode("utf-8"))
    except ConfigError as exc:
        raise ValueError(exc.message) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read as TOML ({exc})") from exc
    name = data.get("name") or path.stem
    if not isinstance(name, str):
        raise ValueError(f"{path}: name: must be text")
    colors = data.get("colors", {})
    if not isinstance(colors, dict):
        raise ValueError(f"{path}: colors: must be a table")
    unknown = sorted(set(colors) - set(_COLOR_KEYS))
    if unknown:
        raise ValueError(f"{path}: colors.{unknown[0]}: unknown colour name")
    if "primary" not in colors:
        raise ValueError(f"{path}: colors.primary: required")
    for key, value in colors.items():
        try:
            Color.parse(str(value))
        except ColorParseError as exc:
            raise ValueError(f"{path}: colors.{key}: {value!r} is not a colour") from exc
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{path}: variables: must be a table")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(f"{path}: dark: must be true or false")
    kwargs: dict[str, Any] = {k: str(v) for k, v in colors.items()}
    return Theme(
        name=name, dark=dark, variables={str(k): str(v) for k, v in variables.items()}, **kwargs
    )


def load_themes(extra_dirs: list[Path] | None = None) -> ThemeSet:
    """Built-in themes, then user themes (which may replace a built-in of the same name)."""
    found = ThemeSet()
    for folder in [builtin_theme_dir(), user_theme_dir(), *(extra_dirs or [])]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as exc:
                found.errors.append(str(exc))
                continue
            found.themes[theme.name] = theme
    return found


def is_known(name: str, themes: ThemeSet) -> bool:
    return name in themes.themes


__all__ = ["DEFAULT_THEME", "ThemeSet", "builtin_theme_dir", "load_themes", "theme_from_toml"]

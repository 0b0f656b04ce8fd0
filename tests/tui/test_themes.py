"""Theme files load onto Textual's Theme; broken files are reported, not fatal."""

from __future__ import annotations

from pathlib import Path

from vault.tui.themes import builtin_theme_dir, load_themes


def test_builtin_themes_light_and_dark() -> None:
    found = load_themes()
    assert found.errors == []
    assert len(found.themes) >= 4
    assert {t.dark for t in found.themes.values()} == {True, False}
    assert len(list(builtin_theme_dir().glob("*.toml"))) == len(found.themes)


def test_user_theme_and_broken_theme(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "mine"\n[colors]\nprimary = "#123456"\n')
    (tmp_path / "bad.toml").write_text('name = "bad"\n[colors]\nprimary = "not-a-colour"\n')
    found = load_themes([tmp_path])
    assert "mine" in found.themes
    assert "bad" not in found.themes
    assert len(found.errors) == 1 and "colors.primary" in found.errors[0]

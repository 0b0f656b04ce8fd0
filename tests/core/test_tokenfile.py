"""The token file of `exec --watch`: private, replaced whole, never written through a link."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from vault.core.tokenfile import TokenFile, expiry_text

EXPIRES = datetime(2030, 1, 31, 12, 0, 0, 999_000, tzinfo=UTC)


def test_write_replaces_the_token_and_its_expiry_privately(tmp_path: Path) -> None:
    file = TokenFile(tmp_path)
    file.write("FIRST-TOKEN", EXPIRES)
    first_inode = file.path.stat().st_ino
    file.write("SECOND-TOKEN", None)
    assert file.path.read_text() == "SECOND-TOKEN"  # the token alone: `cat` works
    assert file.expires_path.read_text() == "\n"  # no known expiry
    # A new file each time (renamed over the old one), never the old one rewritten in place.
    assert file.path.stat().st_ino != first_inode
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.folder.stat().st_mode) == 0o700
    assert sorted(os.listdir(file.folder)) == ["expires_at", "token"]  # no temp files left
    assert "TOKEN" not in repr(file)
    file.remove()
    file.remove()
    assert not file.folder.exists()


def test_a_planted_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    file = TokenFile(tmp_path)
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    file.path.symlink_to(target)
    file.write("SECRET-TOKEN", EXPIRES)
    assert target.read_text() == "untouched"
    assert not file.path.is_symlink() and file.path.read_text() == "SECRET-TOKEN"


def test_expiry_text_is_iso_utc_in_whole_seconds() -> None:
    assert expiry_text(EXPIRES) == "2030-01-31T12:00:00Z"
    assert expiry_text(None) == ""

"""Clipboard: OSC 52 fallback, native round trip under xvfb + xclip, clear only if unchanged."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from vault.core import clipboard


def test_osc52_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENVAULT_CLIPBOARD", "osc52")
    result = clipboard.copy_text("tok-123")
    assert result.method == "osc52"
    assert result.osc52 is not None
    assert base64.b64decode(result.osc52[7:-1]) == b"tok-123"
    assert "tok-123" not in repr(result)
    cleared = clipboard.clear_if_unchanged("tok-123", "osc52")
    assert cleared is not None and cleared.osc52 == "\x1b]52;c;\a"


def test_native_round_trip_and_conditional_clear(xvfb_xclip: str) -> None:
    result = clipboard.copy_text("native-token-abc")
    assert result.method == "xclip"
    assert clipboard.read_text() == "native-token-abc"
    clipboard.clear_if_unchanged("native-token-abc", "xclip")
    assert clipboard.read_text() in ("", None)
    # Something else copied since: left alone.
    clipboard.copy_text("user's own text")
    clipboard.clear_if_unchanged("native-token-abc", "xclip")
    assert clipboard.read_text() == "user's own text"


def test_clipboard_tools_never_inherit_the_passphrase(
    xvfb_xclip: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xclip keeps running to serve the selection: its environment must not hold secrets."""
    monkeypatch.setenv("TOKENVAULT_PASSPHRASE", "passphrase-in-env-7d1e")
    clipboard.copy_text("token-for-env-check")
    environs = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if b"xclip" not in cmdline.split(b"\0")[0]:
                continue
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if f"DISPLAY={xvfb_xclip}".encode() in environ:
            environs.append(environ)
    assert environs, "no xclip process serving the selection was found"
    assert all(b"passphrase-in-env-7d1e" not in env for env in environs)

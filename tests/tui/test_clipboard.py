"""Clipboard: OSC 52 fallback, native round trip under xvfb + xclip, clear only if unchanged."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator

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


@pytest.fixture
def xdisplay(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if not (shutil.which("Xvfb") and shutil.which("xclip")):
        pytest.skip("Xvfb and xclip are not installed (CI installs them via .ci/run)")
    display = f":{90 + os.getpid() % 500}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("TOKENVAULT_CLIPBOARD", "xclip")
    try:
        for _ in range(50):
            if subprocess.run(
                ["xclip", "-selection", "clipboard", "-o"], capture_output=True, timeout=2
            ).returncode in (0, 1):
                break
        yield display
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_native_round_trip_and_conditional_clear(xdisplay: str) -> None:
    result = clipboard.copy_text("native-token-abc")
    assert result.method == "xclip"
    assert clipboard.read_text() == "native-token-abc"
    clipboard.clear_if_unchanged("native-token-abc", "xclip")
    assert clipboard.read_text() in ("", None)
    # Something else copied since: left alone.
    clipboard.copy_text("user's own text")
    clipboard.clear_if_unchanged("native-token-abc", "xclip")
    assert clipboard.read_text() == "user's own text"

"""A real terminal: tmux runs `tokenvault demo`, keys are sent, the captured pane is checked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("tokenvault")
    if script.exists():
        return [str(script), "demo"]
    return [sys.executable, "-m", "vault.cli", "demo"]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Callable[..., str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it via .ci/run)")
    socket = str(tmp_path / "tmux.sock")
    session = f"tv-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
    }

    def run(*args: str) -> str:
        out = subprocess.run(
            ["tmux", "-S", socket, *args], capture_output=True, text=True, env=env, timeout=20
        )
        return out.stdout

    cmd = " ".join(_command())
    run("new-session", "-d", "-s", session, "-x", "140", "-y", "36", cmd)

    def tm(*args: str) -> str:
        if args and args[0] == "capture":
            return run("capture-pane", "-p", "-t", session)
        return run("send-keys", "-t", session, *args)

    try:
        yield tm
    finally:
        run("kill-server")


def wait_pane(tm: Callable[..., str], predicate: Callable[[str], bool], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    pane = ""
    while time.monotonic() < deadline:
        pane = tm("capture")
        if predicate(pane):
            return pane
        time.sleep(0.2)
    raise AssertionError(f"pane never matched; last capture:\n{pane}")


def test_demo_in_tmux_generates_a_token(tmux: Callable[..., str]) -> None:
    names = ("happay-uat", "unifize-prod", "github-ci-bot", "shiftiq-reports", "partner-oauth")
    # A capture can land between two writes of the first paint: wait for the whole list.
    pane = wait_pane(
        tmux, lambda p: all(n in p for n in names) and "credentials" in p and "expired" in p
    )
    assert re.search(r"expired \d+m ago", pane)
    row = next(line for line in pane.splitlines() if "partner-oauth" in line)
    assert "no token" in row
    # Filter to the credential without a token, generate one, and see its expiry appear.
    tmux("/")
    wait_pane(tmux, lambda p: "filter by name" in p)
    tmux("partner", "Enter")
    wait_pane(tmux, lambda p: re.search(r"\b1/\d+ credentials", p) is not None)
    tmux("g")
    pane = wait_pane(
        tmux,
        lambda p: any(
            "partner-oauth" in ln and re.search(r"\b(59m \d+s|1h 0m)", ln) for ln in p.splitlines()
        ),
    )
    row = next(line for line in pane.splitlines() if "partner-oauth" in line)
    assert "valid" in row
    tmux("q")
    wait_pane(tmux, lambda p: "partner-oauth" not in p, timeout=10)

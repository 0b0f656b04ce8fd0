"""A real terminal: tmux runs `tokenvault demo`, keys are sent, the captured pane is checked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
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


@pytest.fixture(params=[(140, 36)])
def tmux(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it via .ci/run)")
    socket = str(tmp_path / "tmux.sock")
    session = f"tv-{uuid.uuid4().hex[:8]}"
    # A short runtime folder: an agent's socket path must fit a Unix socket address, and
    # pytest's temporary folders are too deep for one.
    runtime = tempfile.mkdtemp(prefix="tv-")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "XDG_RUNTIME_DIR": runtime,
    }

    def run(*args: str) -> str:
        out = subprocess.run(
            ["tmux", "-S", socket, *args], capture_output=True, text=True, env=env, timeout=20
        )
        return out.stdout

    # (width, height) runs the demo; (width, height, "shell") a shell, as a developer has one.
    width, height, *what = request.param
    cmd = "sh" if what == ["shell"] else " ".join(_command())
    run("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), cmd)
    # The pane stays after the demo exits, so what it prints on the way out can be read.
    run("set-option", "-t", session, "remain-on-exit", "on")

    def tm(*args: str) -> str:
        if args and args[0] == "capture":
            return run("capture-pane", "-p", "-t", session)
        if args and args[0] == "history":  # the screen and its scrollback, after an exit too
            return run("capture-pane", "-p", "-S", "-", "-t", session)
        if args and args[0] == "pipe":  # everything the app writes to the terminal, from now
            return run("pipe-pane", "-t", session, f"cat >> {args[1]}")
        if args and args[0] == "cli":  # a tokenvault command outside the pane, same environment
            done = subprocess.run(
                [*_command()[:-1], *args[1:]], capture_output=True, text=True, env=env, timeout=60
            )
            return f"exit {done.returncode}\n{done.stdout}{done.stderr}"
        return run("send-keys", "-t", session, *args)

    try:
        yield tm
    finally:
        run("kill-server")
        shutil.rmtree(runtime, ignore_errors=True)


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
    # A capture can land between two writes of the first paint: wait for the whole list. (Not
    # for the status line's count: it is the first part dropped when a reminder needs the room.)
    pane = wait_pane(tmux, lambda p: all(n in p for n in names) and "expired" in p)
    assert re.search(r"expired \d+m ago", pane)
    row = next(line for line in pane.splitlines() if "partner-oauth" in line)
    assert "no token" in row
    # Filter to the credential without a token, generate one, and see its expiry appear.
    tmux("/")
    wait_pane(tmux, lambda p: "filter by name" in p)
    tmux("partner", "Enter")
    wait_pane(tmux, lambda p: "partner-oauth" in p and not any(n in p for n in names[:4]))
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


@pytest.mark.parametrize("tmux", [(80, 24)], indirect=True)
def test_demo_at_80x24_in_tmux(tmux: Callable[..., str], tmp_path: Path) -> None:
    """A real 80x24 terminal: help and quit in the footer, the lock countdown kept, details
    full screen, idle ticks rewriting changed cells only, and the demo's agent ended on quit."""
    pane = wait_pane(tmux, lambda p: "happay-uat" in p and "? Help" in p and "lock in" in p)
    lines = pane.splitlines()
    footer = next(line for line in reversed(lines) if line.strip())
    assert "? Help" in footer and "q Quit" in footer, footer
    assert any("unifize-prod" in ln and re.search(r"\b4m \d+s", ln) for ln in lines), pane
    # Idle: two rows' seconds tick, but no row is written again from its left edge.
    written = tmp_path / "pane.out"
    tmux("pipe", str(written))
    wait_pane(tmux, lambda p: written.exists() and b"s" in written.read_bytes(), timeout=10)
    time.sleep(2.5)  # a few ticks' worth of writes to look at (the negative is in their bytes)
    data = written.read_bytes()
    assert data, "nothing was written while a time ticked"
    assert re.search(rb"\d+m \d+s", data), data  # gcp-reports' and unifize-prod's seconds
    # ...written alone: the names on those rows, and every other row, are left as they are.
    assert b"gcp-reports" not in data and b"happay-uat" not in data, data
    # Details open full screen below 100 columns, and escape brings the list back.
    tmux("Enter")
    pane = wait_pane(tmux, lambda p: "Refresh policy" in p)
    assert "root secret" not in pane.splitlines()[1]  # no list header beside the pane
    tmux("Escape")
    wait_pane(tmux, lambda p: "Refresh policy" not in p and "github-ci-bot" in p)
    # Lock, unlock with the demo's passphrase: the TUI starts an agent and says so.
    tmux("l")
    wait_pane(tmux, lambda p: "assphrase" in p and "happay-uat" not in p)
    tmux("demo passphrase", "Enter")
    # At 80 columns the status line says it in its short form, beside the lock countdown.
    pane = wait_pane(tmux, lambda p: re.search(r"agent→\d\d:\d\d .*lock in", p), timeout=30)
    tmux("q")
    ended = "The session agent the demo started has ended."
    deadline = time.monotonic() + 20
    while ended not in (pane := tmux("history")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ended in pane, pane


@pytest.mark.parametrize("tmux", [(100, 30, "shell")], indirect=True)
def test_quitting_says_the_agent_still_holds_the_key(
    tmux: Callable[..., str], tmp_path: Path
) -> None:
    """Bare `tokenvault` in a shell, with a real agent: after the TUI has started one, and
    after it opened through one, quitting says the agent still holds the key and until when."""
    secret = tmp_path / "passphrase"
    secret.write_text("tmux passphrase\n")
    secret.chmod(0o600)
    made = tmux(
        "cli", "--passphrase-file", str(secret), "init", "--kdf-memory", "16", "--kdf-time", "1"
    )
    assert made.startswith("exit 0"), made
    still = re.compile(
        r"The session agent still holds this vault's key until \d\d:\d\d, or until\s+"
        r"`tokenvault lock` ends it\."
    )
    tui = " ".join(_command()[:-1])
    try:
        # 1. No agent yet: the passphrase unlocks the TUI, which starts one.
        tmux(tui, "Enter")
        wait_pane(tmux, lambda p: "passphrase" in p)
        tmux("tmux passphrase", "Enter")
        wait_pane(tmux, lambda p: "Started the session agent" in p, timeout=30)
        assert not still.search(tmux("capture"))
        tmux("q")
        wait_pane(tmux, lambda p: still.search(p) is not None)
        assert tmux("cli", "agent", "status").startswith("exit 0")  # it does
        # 2. Opened through that agent (no passphrase asked), quitting says so again.
        tmux("clear", "Enter")
        wait_pane(tmux, lambda p: still.search(p) is None)
        tmux(tui, "Enter")
        wait_pane(tmux, lambda p: "Unlocked by the session agent" in p)
        tmux("q")
        wait_pane(tmux, lambda p: still.search(p) is not None)
    finally:
        tmux("cli", "lock")  # the agent is detached: end it, whatever happened

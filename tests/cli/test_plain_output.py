"""Plain output everywhere: the CLI writes no colour or terminal control, on a real terminal
(a pty), with NO_COLOR set (any value, no-color.org) and into a pipe.

The CLI uses no colour at all (only the TUI does); these runs prove it stays that way, so
NO_COLOR and a non-terminal stdout are honoured by construction.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.cli.conftest import BIN, Run
from vault.sim import Simulator

APP_ID = "app_plain-output-0001"

COMMANDS = [
    ("--help",),
    ("list",),
    ("show", "app"),
    ("status",),
    ("agent", "status"),
    ("doctor",),
    ("refresh", "app"),
    ("show", "no-such-name"),
    ("token", "--min-valid", "forever", "app"),
    ("completion", "bash"),
    ("copy", "app"),
]


@pytest.fixture
def vault(initialised: Run) -> Iterator[Run]:
    with Simulator() as sim:
        sim.register_app_token_app(APP_ID, "plain-secret")
        initialised(
            "add", "app", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
            "--secret-stdin", input="plain-secret\n", ok=True,
        )  # fmt: skip
        yield initialised


def on_terminal(args: tuple[str, ...], env: dict[str, str]) -> bytes:
    """Everything the command writes to a real pseudo-terminal (stdout and stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [BIN, *args], stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the command ended and the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        proc.wait(timeout=10)
    return seen


def test_a_terminal_gets_plain_text_too(vault: Run, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "TOKENVAULT_CLIPBOARD": "osc52"}  # copy: the one-sentence refusal
    env.pop("NO_COLOR", None)
    for args in COMMANDS:
        seen = on_terminal(args, env)
        assert seen, args
        assert b"\x1b" not in seen, (args, seen[:200])
        assert b"Traceback" not in seen


def test_no_color_on_a_terminal(vault: Run, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "TOKENVAULT_CLIPBOARD": "osc52", "NO_COLOR": "1"}
    for args in COMMANDS:
        seen = on_terminal(args, env)
        assert seen and b"\x1b" not in seen, (args, seen[:200])


def test_a_pipe_gets_plain_text(vault: Run) -> None:
    for args in COMMANDS:
        result = vault(*args, env={"TOKENVAULT_CLIPBOARD": "osc52"})
        assert result.stdout or result.stderr, args
        assert "\x1b" not in result.stdout + result.stderr, args


def test_the_terminal_check_sees_escapes() -> None:
    """The pty reader does carry escape sequences, so the checks above can fail."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(["printf", r"\033[31mred\033[0m"], stdout=slave, stderr=slave)
    os.close(slave)
    proc.wait(timeout=10)
    seen = b""
    while select.select([master], [], [], 1.0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert b"\x1b[31m" in seen

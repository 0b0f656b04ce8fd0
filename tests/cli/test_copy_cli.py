"""`tokenvault copy`: a valid token on a real X clipboard (Xvfb + xclip), cleared later by a
detached process that never holds the token, and only if the clipboard still holds ours."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest

from tests.agent.agent_support import wait_until
from tests.cli.conftest import Run
from tests.clipboard_support import paste, private_display, processes, put
from vault.core.clock import now
from vault.core.store import VaultStore
from vault.sim import Simulator

APP_ID = "app_5b0c7b9e-copy-4b8e-9f1d-0242ac130002"
APP_SECRET = "copy-app-secret-0001"
CLEARER = b"vault.core.clipclear"
RETURNS_WITHIN = 5.0
"""`copy` waits only for the clearer to take its line (an interpreter start), never its timer."""


@pytest.fixture
def display() -> Iterator[str]:
    with private_display() as shown:
        yield shown
        # End the clearers this test left waiting (by pid: they are ours).
        for proc in processes(shown, CLEARER):
            with suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)


@pytest.fixture
def app(initialised: Run, tmp_path: Path) -> Iterator[Run]:
    with Simulator() as sim:
        sim.register_app_token_app(APP_ID, APP_SECRET)
        initialised(
            "add", "app", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
            "--secret-stdin", input=APP_SECRET + "\n", ok=True,
        )  # fmt: skip
        yield initialised


def clip_env(display: str, tmp_path: Path, timeout: int) -> dict[str, str]:
    config = tmp_path / f"config-{timeout}.toml"
    config.write_text(f"[clipboard]\ntimeout = {timeout}\n")
    return {"DISPLAY": display, "TOKENVAULT_CLIPBOARD": "xclip", "TOKENVAULT_CONFIG": str(config)}


def test_copy_returns_at_once_and_the_clipboard_holds_the_token(
    app: Run, display: str, tmp_path: Path
) -> None:
    token = app("token", "app", ok=True).stdout.strip()
    started = time.monotonic()
    result = app("copy", "app", env=clip_env(display, tmp_path, 30), ok=True)
    assert time.monotonic() - started < RETURNS_WITHIN
    assert result.stdout == "Copied the token of app with xclip; clearing in 30 s.\n"
    assert token not in result.stdout + result.stderr
    assert paste(display) == token
    # The shell has its prompt back while the clearer still waits for its 30 s.
    assert len(processes(display, CLEARER)) == 1


def test_the_clearer_holds_no_token_or_passphrase(
    app: Run, display: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    token = app("token", "app", ok=True).stdout.strip()
    app("copy", "app", env=clip_env(display, tmp_path, 30), ok=True)
    (clearer,) = processes(display, CLEARER)
    passphrase = cli_env["TOKENVAULT_PASSPHRASE"].encode()
    for where in (clearer.cmdline, clearer.environ):
        assert token.encode() not in where
        assert passphrase not in where
    assert b"TOKENVAULT_PASSPHRASE" not in clearer.environ
    assert os.getsid(clearer.pid) != os.getsid(0), "it must not die with the terminal's session"


def test_the_clipboard_is_cleared_after_the_configured_timeout(
    app: Run, display: str, tmp_path: Path
) -> None:
    token = app("token", "app", ok=True).stdout.strip()
    result = app("copy", "app", env=clip_env(display, tmp_path, 2), ok=True)
    assert "clearing in 2 s" in result.stdout
    assert paste(display) == token
    assert wait_until(lambda: not processes(display, CLEARER), timeout=15)
    assert paste(display) in ("", None)


def test_something_copied_meanwhile_is_kept(app: Run, display: str, tmp_path: Path) -> None:
    app("copy", "app", env=clip_env(display, tmp_path, 2), ok=True)
    put(display, "the user's own text")
    # Wait for the event (the clearer has looked and ended), never for a fixed time.
    assert wait_until(lambda: not processes(display, CLEARER), timeout=15)
    assert paste(display) == "the user's own text"


def test_header_copies_the_header_lines(app: Run, display: str, tmp_path: Path) -> None:
    lines = app("token", "app", "--header", ok=True).stdout.strip()
    result = app("copy", "app", "--header", env=clip_env(display, tmp_path, 30), ok=True)
    assert result.stdout.startswith("Copied the App-ID + App-Token headers of app with xclip")
    assert paste(display) == lines
    assert "App-Token:" in lines


def test_an_expired_token_is_refreshed_before_it_is_copied(
    app: Run, display: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    old = app("token", "app", ok=True).stdout.strip()
    store = VaultStore.unlock(Path(cli_env["TOKENVAULT_VAULT"]), cli_env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        held = data.credentials["app"].token
        assert held is not None
        held.expires_at = now() - timedelta(minutes=1)
    store.close()
    app("copy", "app", env=clip_env(display, tmp_path, 30), ok=True)
    copied = paste(display)
    assert copied and copied != old
    assert copied == app("token", "app", ok=True).stdout.strip()


def test_no_clipboard_tool_is_one_sentence_and_exit_1(app: Run, tmp_path: Path) -> None:
    result = app("copy", "app", env={"TOKENVAULT_CLIPBOARD": "osc52"})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("tokenvault: No clipboard tool found")
    assert result.stderr.count("\n") == 1


def test_an_unknown_name_is_one_sentence(app: Run, display: str, tmp_path: Path) -> None:
    result = app("copy", "nope", env=clip_env(display, tmp_path, 30))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr
    assert not processes(display, CLEARER)


def test_the_configured_clipboard_command_copies_and_clears(
    app: Run, display: str, tmp_path: Path
) -> None:
    """`[clipboard] command` is the TUI's choice and `copy`'s alike, for the copy and for the
    detached clearer (a wrapper around xclip that logs each run)."""
    log = tmp_path / "wrapper.log"
    wrapper = tmp_path / "my-clip"
    wrapper.write_text(f'#!/bin/sh\necho ran >> "{log}"\nexec xclip -selection clipboard -in\n')
    wrapper.chmod(0o700)
    config = tmp_path / "config-command.toml"
    config.write_text(f'[clipboard]\ncommand = "{wrapper}"\ntimeout = 2\n')
    # Detection alone would pick xclip itself: the configured command must win over it.
    env = {"DISPLAY": display, "TOKENVAULT_CLIPBOARD": "xclip", "TOKENVAULT_CONFIG": str(config)}
    token = app("token", "app", ok=True).stdout.strip()
    result = app("copy", "app", env=env, ok=True)
    assert result.stdout == "Copied the token of app with my-clip; clearing in 2 s.\n"
    assert paste(display) == token
    assert log.read_text() == "ran\n"
    # The clearer clears with the same command (a copy-only tool: it copies an empty text).
    assert wait_until(lambda: not processes(display, CLEARER), timeout=15)
    assert log.read_text() == "ran\nran\n"
    assert paste(display) in ("", None)

"""The agent in odd states, with the real agent process: no XDG_RUNTIME_DIR and a runtime
folder planted by another user, a summary larger than a frame, an agent stopped by SIGSTOP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, Agents, run_cli

from vault.agent import client, protocol
from vault.agent.location import socket_path
from vault.core.clock import now
from vault.core.model import Credential, Token
from vault.core.paths import runtime_dir
from vault.core.rundir import POINTER_NAME, is_private_folder, state_dir
from vault.core.store import VaultStore

OTHER_UID = 65534
"""nobody: the planted folders belong to another user."""

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown to another uid")

ANSWER_BOUND = 10.0
"""A command facing a stopped agent must finish well inside this (CALL_TIMEOUT is 1 s)."""


def add_with_token(vault: Path, name: str, value: str, hours: float = 1.0) -> None:
    with VaultStore.unlock(vault, PASSPHRASE).transaction() as data:
        cred = Credential(name=name, provider="app-token")
        cred.token = Token(value=value, expires_at=now() + timedelta(hours=hours))
        data.credentials[name] = cred


# -- the runtime folder without XDG_RUNTIME_DIR ------------------------------------------------


@pytest.fixture
def no_xdg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No XDG_RUNTIME_DIR; a private, short temp directory stands in for the shared /tmp."""
    temp = Path(tempfile.mkdtemp(prefix="tvt-", dir="/tmp"))
    temp.chmod(0o1777)  # like /tmp: anyone may create entries in it
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR in this process too
    yield temp
    shutil.rmtree(temp, ignore_errors=True)


def plant(temp: Path, kind: str) -> Path:
    """What another user could create first at the old, predictable name."""
    planted = temp / f"tokenvault-{os.getuid()}"
    if kind == "folder":
        planted.mkdir(mode=0o777)
        planted.chmod(0o777)
        os.chown(planted, OTHER_UID, OTHER_UID)
    else:
        target = temp / "elsewhere"
        target.mkdir(mode=0o777)
        os.chown(target, OTHER_UID, OTHER_UID)
        planted.symlink_to(target)
        os.lchown(planted, OTHER_UID, OTHER_UID)
    return planted


@needs_root
@pytest.mark.parametrize("kind", ["folder", "symlink"])
def test_a_planted_runtime_folder_does_not_stop_unlock(
    vault: Path, no_xdg: Path, kind: str
) -> None:
    planted = plant(no_xdg, kind)
    add_with_token(vault, "gh", "tok-odd-states-0001")
    unlocked = run_cli("unlock", "--timeout", "1m", passphrase=True)
    assert unlocked.returncode == 0, unlocked.stderr
    try:
        folder = socket_path(vault).parent
        assert folder != planted and folder.parent == no_xdg
        assert folder.name.startswith("tokenvault-") and folder.name != planted.name
        assert is_private_folder(folder) and socket_path(vault).exists()
        assert not any(planted.iterdir()) if kind == "folder" else planted.is_symlink()
        pointer = state_dir("tokenvault") / POINTER_NAME
        assert pointer.read_text().strip() == str(folder)
        status = run_cli("status")
        assert status.returncode == 0 and status.stdout.startswith("1 credentials"), status
        token = run_cli("token", "gh")
        assert token.returncode == 0 and token.stdout.strip() == "tok-odd-states-0001"
        assert run_cli("agent", "status").returncode == 0
    finally:
        client.stop_agent(vault)


@needs_root
@pytest.mark.parametrize("spoil", ["other-owner", "symlink", "group-writable", "missing"])
def test_a_pointer_to_a_folder_that_is_not_private_is_not_followed(
    no_xdg: Path, spoil: str
) -> None:
    first = runtime_dir()
    assert is_private_folder(first) and first.parent == no_xdg
    assert runtime_dir() == first  # found again through the pointer, not made anew
    if spoil == "other-owner":
        os.chown(first, OTHER_UID, OTHER_UID)
    elif spoil == "group-writable":
        first.chmod(0o770)
    else:
        first.rmdir()
        if spoil == "symlink":
            target = no_xdg / "theirs"
            target.mkdir(mode=0o700)
            first.symlink_to(target)
    second = runtime_dir()
    assert second != first and is_private_folder(second) and second.parent == no_xdg


# -- a summary larger than the frame cap -------------------------------------------------------


def test_status_is_right_for_a_summary_larger_than_a_frame(vault: Path, agents: Agents) -> None:
    # A name from before the name checks: as JSON (\u001b per ESC) it alone fills > 2 frames.
    huge = "\x1b" * (protocol.MAX_FRAME // 3)
    add_with_token(vault, huge, "tok-huge-0001", hours=1)
    add_with_token(vault, "later", "tok-later-0001", hours=5)
    agents.start()
    status = run_cli("status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("2 credentials: 2 valid, 0 expiring, 0 expired;")
    assert "\x1b" not in status.stdout and "next expiry \\x1b\\x1b" in status.stdout
    assert status.stderr == ""
    as_json = json.loads(run_cli("status", "--json").stdout)
    assert as_json["locked"] is False and as_json["credentials"] == 2
    assert as_json["next_expiry"]["truncated"] is True
    assert len(as_json["next_expiry"]["name"]) == protocol.MAX_NAME


# -- an agent stopped with SIGSTOP -------------------------------------------------------------


@pytest.fixture
def stopped_agent(vault: Path, agents: Agents) -> Iterator[int]:
    add_with_token(vault, "gh", "tok-stopped-0001")
    pid = agents.start()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


@pytest.mark.parametrize("args", [("agent", "status"), ("agent", "status", "--json")])
def test_agent_status_of_a_stopped_agent_is_one_sentence_in_bounded_time(
    stopped_agent: int, args: tuple[str, ...]
) -> None:
    started = time.monotonic()
    result = run_cli(*args, timeout=ANSWER_BOUND * 3)
    assert time.monotonic() - started < ANSWER_BOUND
    assert result.returncode == 1
    if "--json" in args:
        answer = json.loads(result.stdout)
        assert answer["running"] is False and "not answering" in answer["problem"]
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "the agent is not answering" in lines[0].lower()
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("json_flag", [False, True])
def test_status_of_a_stopped_agent_falls_back_to_locked(
    stopped_agent: int, json_flag: bool
) -> None:
    started = time.monotonic()
    result = run_cli("status", *(["--json"] if json_flag else []), timeout=ANSWER_BOUND * 3)
    assert time.monotonic() - started < ANSWER_BOUND
    assert result.returncode == 0
    if json_flag:
        answer = json.loads(result.stdout)
        assert answer["locked"] is True and "not answering" in answer["problem"]
    else:
        assert result.stdout == "locked\n"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the agent is not answering" in lines[0].lower()


def test_a_continued_agent_answers_again(vault: Path, stopped_agent: int) -> None:
    assert client.agent_summary(vault) is None
    os.kill(stopped_agent, signal.SIGCONT)
    summary = client.agent_summary(vault)
    assert summary is not None and summary["credentials"] == 1

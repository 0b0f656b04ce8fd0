"""The session agent with real processes and sockets: unlock once, use everywhere, lock safely."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, Agents, pid_alive, run_cli, wait_until

from vault.agent import client, protocol
from vault.agent.duration import format_duration, parse_duration
from vault.agent.location import socket_path
from vault.core.errors import UsageError, VaultError
from vault.core.store import VaultStore


def raw_request(vault: Path, payload: bytes) -> dict[str, object]:
    """Send raw bytes to the agent and read its one reply frame."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(os.fspath(socket_path(vault)))
        conn.sendall(payload)
        return protocol.receive(conn)


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


# -- unlock once, use from many processes ------------------------------------------------------


def test_unlock_then_commands_in_other_processes_need_no_passphrase(vault: Path) -> None:
    unlocked = run_cli("unlock", "--timeout", "1m", passphrase=True)
    assert unlocked.returncode == 0, unlocked.stderr
    try:
        status = client.agent_status(vault)
        assert status is not None and status["idle_timeout"] == 60
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "vault.cli", "list", "--json"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for _ in range(4)
        ]
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr
            assert json.loads(stdout) == []
        added = run_cli(
            "add",
            "svc",
            "--provider",
            "app-token",
            "--set",
            "app_id=a1",
            "--set",
            "base_url=https://api.example.com",
            "--secret-stdin",
            stdin="s3cret\n",
        )
        assert added.returncode == 0, added.stderr
        shown = run_cli("show", "svc", "--json")
        assert json.loads(shown.stdout)["name"] == "svc"
    finally:
        assert run_cli("lock").returncode == 0


def test_the_key_never_reaches_argv_env_or_disk(vault: Path, agents: Agents) -> None:
    pid = agents.start()
    key = VaultStore.unlock(vault, PASSPHRASE).data_key
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert key not in cmdline and key.hex().encode() not in cmdline
    assert b"TOKENVAULT_PASSPHRASE" not in environ
    assert PASSPHRASE.encode() not in environ
    for entry in socket_path(vault).parent.iterdir():
        if entry.is_file():
            assert key not in entry.read_bytes()


def test_socket_is_private(vault: Path, agents: Agents) -> None:
    agents.start()
    sock = socket_path(vault)
    assert stat.S_ISSOCK(sock.lstat().st_mode)
    assert stat.S_IMODE(sock.lstat().st_mode) == 0o600
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700


def test_a_second_agent_for_the_same_vault_is_refused(vault: Path, agents: Agents) -> None:
    agents.start()
    with pytest.raises(VaultError, match="already running"):
        agents.start()
    again = run_cli("unlock", passphrase=True)
    assert again.returncode == 0 and "Already unlocked" in again.stdout


def test_unlock_with_a_wrong_passphrase_starts_nothing(vault: Path) -> None:
    result = run_cli("unlock", stdin=None, passphrase=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    env_wrong = dict(os.environ, TOKENVAULT_PASSPHRASE="wrong")
    wrong = subprocess.run(
        [sys.executable, "-m", "vault.cli", "unlock"],
        env=env_wrong,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert wrong.returncode == 3
    assert not socket_path(vault).exists()


# -- locking -----------------------------------------------------------------------------------


def test_idle_timeout_locks_and_removes_the_socket(vault: Path, agents: Agents) -> None:
    pid = agents.start(timeout=1)
    assert client.agent_key(vault) is not None
    assert wait_until(lambda: not socket_path(vault).exists(), timeout=5)
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    assert client.agent_key(vault) is None


def test_key_requests_reset_the_idle_timer_but_status_does_not(vault: Path, agents: Agents) -> None:
    agents.start(timeout=2)
    for _ in range(4):  # 2 s of use: kept alive by key requests
        time.sleep(0.5)
        assert client.agent_key(vault) is not None
    deadline = time.monotonic() + 5
    while socket_path(vault).exists() and time.monotonic() < deadline:
        assert run_cli("status").returncode == 0  # a shell prompt polling does not keep it
        time.sleep(0.2)
    assert not socket_path(vault).exists()


def test_explicit_lock_ends_the_agent(vault: Path, agents: Agents) -> None:
    pid = agents.start()
    locked = run_cli("lock")
    assert locked.returncode == 0 and "Locked" in locked.stdout
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    assert not socket_path(vault).exists()
    again = run_cli("list")
    assert again.returncode == 2 and "No passphrase given" in again.stderr
    assert run_cli("lock").stdout.startswith("Already locked")


def test_sigterm_locks(vault: Path, agents: Agents) -> None:
    pid = agents.start()
    os.kill(pid, signal.SIGTERM)
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    assert not socket_path(vault).exists()


def test_agent_status_and_status_say_nothing_secret(vault: Path, agents: Agents) -> None:
    down = run_cli("agent", "status")
    assert down.returncode == 1 and "locked" in down.stdout
    assert run_cli("status").stdout.strip() == "locked"
    assert json.loads(run_cli("status", "--json").stdout) == {"locked": True}
    with VaultStore.unlock(vault, PASSPHRASE).transaction() as data:
        from vault.core.model import Credential, Token

        cred = Credential(name="svc", provider="app-token", settings={"app_id": "a"})
        cred.token = Token(value="TOKENVALUE-SECRET-123")
        data.credentials["svc"] = cred
    agents.start(timeout=600)
    up = run_cli("agent", "status")
    assert up.returncode == 0 and "locks at" in up.stdout and "10m" in up.stdout
    as_json = json.loads(run_cli("agent", "status", "--json").stdout)
    assert as_json["running"] is True and as_json["idle_timeout"] == 600
    summary = run_cli("status")
    assert summary.stdout.startswith("1 credentials: 1 valid, 0 expiring, 0 expired")
    detail = json.loads(run_cli("status", "--json").stdout)
    assert detail["locked"] is False and detail["valid"] == 1
    for text in (up.stdout, summary.stdout, json.dumps(detail), json.dumps(as_json)):
        assert "TOKENVALUE" not in text


# -- other users -------------------------------------------------------------------------------


def _as_nobody(target: object) -> int:
    """Run ``target()`` in a forked child as uid/gid 65534; its int result is the exit status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 99
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            code = target()  # type: ignore[operator]
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_other_users_are_refused_even_through_a_loosened_folder(
    vault: Path, agents: Agents, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /tmp here is not searchable by other users; /dev/shm is, like a real /run/user parent.
    base = Path(tempfile.mkdtemp(prefix="tva-", dir="/dev/shm"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    try:
        _check_other_users_refused(vault, agents, base)
    finally:
        client.stop_agent(vault)
        shutil.rmtree(base, ignore_errors=True)


def _check_other_users_refused(vault: Path, agents: Agents, base: Path) -> None:
    agents.start()
    sock = socket_path(vault)
    os.chmod(base, 0o711)  # other users may pass through the runtime folder, as under /run/user

    def try_key() -> int:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(5)
                conn.connect(os.fspath(sock))
                protocol.send(conn, protocol.request("key"))
                answer = protocol.receive(conn)
        except PermissionError:
            return 10  # the 0700 folder / 0600 socket stopped it
        except Exception:
            return 11
        if answer.get("ok") is False and "Refused" in str(answer.get("error")):
            return 20  # SO_PEERCRED stopped it
        return 30 if "key" in answer else 31

    assert _as_nobody(try_key) == 10  # stopped by our 0700 folder
    # Someone loosens the folder and socket: the uid check must still refuse.
    os.chmod(sock.parent, 0o777)
    os.chmod(sock, 0o777)
    assert _as_nobody(try_key) == 20
    os.chmod(base, 0o700)  # platformdirs ignores a runtime folder with other bits
    assert client.agent_key(vault) is not None  # its own user is still served


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the vault to another uid")
def test_agent_refuses_a_vault_owned_by_another_user(vault: Path) -> None:
    key = VaultStore.unlock(vault, PASSPHRASE).data_key
    os.chown(vault, 65534, 65534)
    with pytest.raises(VaultError, match="belongs to uid 65534"):
        client.start_agent(vault, key, 60)
    assert not socket_path(vault).exists()


def test_a_wrong_key_is_refused_at_start(vault: Path) -> None:
    with pytest.raises(VaultError):
        client.start_agent(vault, bytes(32), 60)
    assert not socket_path(vault).exists()


# -- hostile or broken requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (struct.pack(">I", 0xFFFFFFFF), "exceeds"),
        (struct.pack(">I", protocol.MAX_FRAME + 1) + b"x" * 100, "exceeds"),
        (frame(b"\xff\xfe not utf-8"), "not UTF-8 JSON"),
        (frame(b"{not json"), "not UTF-8 JSON"),
        (frame(b"[1, 2, 3]"), "not a JSON object"),
        (frame(b'{"v": 2, "op": "key"}'), "version"),
        (frame(b'{"op": "key"}'), "version"),
        (frame(b'{"v": 1, "op": "shutdown-everything"}'), "Unknown operation"),
        (frame(b'{"v": 1, "op": ["key"]}'), "Unknown operation"),
    ],
)
def test_malformed_and_oversized_requests_get_an_error(
    vault: Path, agents: Agents, payload: bytes, error: str
) -> None:
    agents.start()
    answer = raw_request(vault, payload)
    assert answer["ok"] is False and error in str(answer["error"])
    assert "key" not in answer
    assert client.agent_key(vault) is not None  # still serving


def test_truncated_and_silent_clients_do_not_stop_the_agent(vault: Path, agents: Agents) -> None:
    agents.start()
    sock = os.fspath(socket_path(vault))
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.connect(sock)  # connects and says nothing
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as cut:
        cut.connect(sock)
        cut.sendall(struct.pack(">I", 50) + b'{"v": 1')  # then hangs up mid-frame
    started = time.monotonic()
    assert client.agent_key(vault) is not None  # served while the silent one waits
    assert time.monotonic() - started < 0.5
    silent.close()
    assert client.agent_status(vault) is not None


def test_protocol_refuses_to_send_an_oversized_frame() -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.encode({"v": 1, "op": "x" * (protocol.MAX_FRAME + 1)})


# -- a dead, stale or stuck agent never blocks the CLI -----------------------------------------


def test_stale_socket_from_a_killed_agent_falls_back_with_one_sentence(
    vault: Path, agents: Agents
) -> None:
    pid = agents.start()
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    assert socket_path(vault).exists()  # SIGKILL leaves the socket behind
    result = run_cli("list", passphrase=True)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "using the passphrase instead" in lines[0]
    assert not socket_path(vault).exists()  # cleaned up
    assert run_cli("list", passphrase=True).stderr == ""  # and quiet from then on


def test_deleted_socket_falls_back_silently(vault: Path, agents: Agents) -> None:
    agents.start()
    socket_path(vault).unlink()
    result = run_cli("list", passphrase=True)
    assert result.returncode == 0 and result.stderr == ""


def test_a_stuck_agent_times_out_then_falls_back(vault: Path, agents: Agents) -> None:
    pid = agents.start()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = run_cli("list", passphrase=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert "the agent is not answering" in result.stderr.lower()
        assert len(result.stderr.strip().splitlines()) == 1
        assert time.monotonic() - started < 10
        assert socket_path(vault).exists()  # alive (just stopped): its socket is left alone
    finally:
        os.kill(pid, signal.SIGCONT)


def test_agent_killed_mid_request(vault: Path, agents: Agents) -> None:
    pid = agents.start()
    os.kill(pid, signal.SIGSTOP)  # the request below is accepted by the kernel, never answered
    problems: list[str] = []
    result: list[bytes | None] = []

    def ask() -> None:
        result.append(client.agent_key(vault, problems.append))

    worker = threading.Thread(target=ask)
    worker.start()
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    worker.join(timeout=10)
    assert result == [None]
    assert len(problems) == 1 and "agent" in problems[0]
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    cli = run_cli("list", passphrase=True)
    assert cli.returncode == 0, cli.stderr


# -- writes through the agent keep the store's guarantees -------------------------------------

WRITER = """
import sys
from pathlib import Path
from vault.agent import client
from vault.core.model import Credential
from vault.core.store import VaultStore

path, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    key = client.agent_key(path)
    assert key is not None, "agent did not answer"
    store = VaultStore.from_key(path, key)
    with store.transaction() as data:
        name = f"{tag}-{i}"
        data.credentials[name] = Credential(name=name, provider="app-token")
"""


def test_two_processes_writing_through_the_agent_lose_no_update(
    vault: Path, agents: Agents
) -> None:
    agents.start()
    count = 25
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(vault), tag, str(count)])
        for tag in ("a", "b")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    data = VaultStore.unlock(vault, PASSPHRASE).data
    assert len(data.credentials) == 2 * count
    assert data.generation == 1 + 2 * count  # create, then one save per write


# -- small parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("45", 45), ("2d", 172800)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "0", "1x", "m", "-5m", "8d", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to plant a folder as another uid")
def test_a_runtime_folder_planted_by_another_user_is_refused(
    vault: Path, short_runtime: Path
) -> None:
    planted = short_runtime / "tokenvault"
    planted.mkdir(mode=0o777)
    os.chown(planted, 65534, 65534)
    key = VaultStore.unlock(vault, PASSPHRASE).data_key
    with pytest.raises(VaultError, match="not a folder of this user"):
        client.start_agent(vault, key, 60)
    result = run_cli("unlock", passphrase=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert client.agent_key(vault) is None


def test_passwd_still_needs_the_current_passphrase_while_unlocked(
    vault: Path, agents: Agents, tmp_path: Path
) -> None:
    agents.start()
    new = tmp_path / "new-passphrase"
    new.write_text("another passphrase\n")
    denied = run_cli("passwd", "--new-passphrase-file", str(new))
    assert denied.returncode == 2 and "No passphrase given" in denied.stderr
    allowed = run_cli("passwd", "--new-passphrase-file", str(new), passphrase=True)
    assert allowed.returncode == 0, allowed.stderr
    assert client.agent_key(vault) is not None  # same data key: the agent still works

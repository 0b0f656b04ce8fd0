"""The start-up fast paths keep every promise of the slow ones.

`token NAME` and `status` are answered before argparse loads (vault.cli.quick), `list` and
`show` from the agent's memory (vault.agent.views). All through the installed command and a
real agent: the output is byte for byte what the passphrase path prints, a token with less
than --min-valid left is never handed out, and a dead or stuck agent costs one sentence and
one timeout before the passphrase is used.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, Agents, pid_alive, run_cli, wait_until

from vault.agent import client, protocol
from vault.agent.location import socket_path
from vault.core.model import Credential, EventKind, Token
from vault.core.store import VaultStore


def fill(vault: Path, names: int = 3) -> None:
    """Credentials with tokens, secrets, settings and history: every field list/show print."""
    # Whole-second expiries: two runs in the same wall second print the same seconds_left.
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    store = VaultStore.unlock(vault, PASSPHRASE)
    with store.transaction() as data:
        for i in range(names):
            name = f"svc-{i}"
            cred = Credential(
                name=name,
                provider="app-token",
                settings={"app_id": f"app_{i}", "base_url": "https://api.example.invalid"},
            )
            cred.secrets["app_secret"] = f"app-secret-value-{i:04d}"
            cred.token = Token(
                value=f"TOKEN-VALUE-{i:04d}",
                token_type="App-Token",
                expires_at=soon + timedelta(minutes=i),
                expiry_source="fixed",
            )
            cred.record(EventKind.CREATED)
            data.credentials[name] = cred


@pytest.mark.parametrize(
    "args", [("list", "--json"), ("show", "svc-1", "--json"), ("list",), ("show", "svc-2")]
)
def test_agent_rows_are_byte_identical_to_the_passphrase_path(
    vault: Path, agents: Agents, args: tuple[str, ...]
) -> None:
    fill(vault)
    agents.start()
    for _ in range(20):
        started = int(time.time())
        fast = run_cli(*args)
        client.stop_agent(vault)
        slow = run_cli(*args, passphrase=True)
        same = int(time.time()) == started
        agents.start()
        if same:
            break
    else:
        raise AssertionError("never two runs within one wall second")
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert fast.stderr == slow.stderr == ""
    assert fast.stdout == slow.stdout
    assert "app-secret-value" not in fast.stdout and "TOKEN-VALUE" not in fast.stdout


def test_list_and_show_come_from_the_agent_without_decrypting(vault: Path, agents: Agents) -> None:
    """No key, no passphrase: the rows come from the agent (the file is not even readable)."""
    fill(vault)
    agents.start()
    assert run_cli("list", "--json").stdout  # the agent has read the vault once
    mode = vault.stat().st_mode
    vault.chmod(0)  # a client that opened the vault itself would fail now
    try:
        listed = run_cli("list", "--json")
        shown = run_cli("show", "svc-0", "--json")
    finally:
        vault.chmod(mode)
    assert listed.returncode == 0, listed.stderr
    assert '"name": "svc-2"' in listed.stdout
    assert shown.returncode == 0 and '"app_id": "app_0"' in shown.stdout
    missing = run_cli("show", "nope")
    assert missing.returncode == 1 and "No credential named 'nope'" in missing.stderr


def test_a_vault_too_large_for_one_frame_is_listed_through_the_key(
    vault: Path, agents: Agents
) -> None:
    store = VaultStore.unlock(vault, PASSPHRASE)
    with store.transaction() as data:
        for i in range(protocol.MAX_FRAME // 100):
            data.credentials[f"c{i:05d}"] = Credential(name=f"c{i:05d}", provider="app-token")
    agents.start()
    assert client.agent_view(vault, "list") is None  # too large: no rows, and no complaint
    listed = run_cli("list", "--json")
    assert listed.returncode == 0 and listed.stderr == ""
    assert listed.stdout.count('"name"') == protocol.MAX_FRAME // 100


def test_token_is_never_handed_out_with_less_than_min_valid_left(
    vault: Path, agents: Agents
) -> None:
    fill(vault, names=1)  # svc-0's token has about two hours left
    agents.start()
    ok = run_cli("token", "svc-0", "--min-valid", "1h")
    assert ok.returncode == 0 and ok.stdout == "TOKEN-VALUE-0000\n"
    for spelling in (("--min-valid", "3h"), ("--min-valid=3h",), ("--min-valid", "10800")):
        short = run_cli("token", "svc-0", *spelling)
        # Not enough left: the full path tries the provider (unreachable here) and says so.
        assert short.returncode != 0 and "TOKEN-VALUE" not in short.stdout, spelling
        assert "could not connect" in short.stderr


def test_token_from_a_killed_agent_falls_back_with_one_sentence(
    vault: Path, agents: Agents
) -> None:
    fill(vault, names=1)
    pid = agents.start()
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(pid), timeout=5)
    result = run_cli("token", "svc-0", passphrase=True)
    assert result.returncode == 0 and result.stdout == "TOKEN-VALUE-0000\n"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "using the passphrase instead" in lines[0], result.stderr
    assert not socket_path(vault).exists()
    assert run_cli("token", "svc-0", passphrase=True).stderr == ""  # quiet from then on


@pytest.mark.parametrize(
    "args", [("token", "svc-0"), ("list", "--json"), ("show", "svc-0"), ("show", "svc-0", "--json")]
)
def test_a_stuck_agent_costs_one_timeout_and_one_sentence(
    vault: Path, agents: Agents, args: tuple[str, ...]
) -> None:
    fill(vault, names=1)
    pid = agents.start()
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        result = run_cli(*args, passphrase=True)
        took = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not answering" in lines[0] and "passphrase" in lines[0]
    # One CALL_TIMEOUT, not one per request (the passphrase path then takes well under 1 s).
    assert took < 2 * client.CALL_TIMEOUT, took


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["plain", "json"])
def test_a_request_the_agent_refuses_is_retried_through_the_key_silently(
    vault: Path, agents: Agents, json_flag: tuple[str, ...]
) -> None:
    """An agent that says no (one predating `show`, or a name it will not look up) is alive:
    its key still opens the vault, so the command works and says nothing about the agent.
    `show NAME --json` takes the quick path (vault.cli.quick), plain `show` the full one."""
    fill(vault, names=1)
    agents.start()
    long_name = "x" * (protocol.MAX_NAME + 1)  # the agent refuses a name this long
    # No passphrase: only the agent's key can open it.
    result = run_cli("show", long_name, *json_flag)
    assert result.returncode == 1
    assert result.stderr == f"tokenvault: No credential named {long_name!r} in this vault.\n"


OTHER_UID = 65534
"""nobody: the owner of a socket planted where the agent's would be."""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown the socket to another uid")
@pytest.mark.parametrize("args", [("token", "svc-0"), ("list", "--json"), ("status",)])
def test_a_socket_of_another_user_is_never_asked(vault: Path, args: tuple[str, ...]) -> None:
    """Anyone who can create the socket's name could answer with their own token or rows:
    the quick path checks the socket's owner before connecting, says so once, and the
    command goes on with the passphrase (status shows "locked")."""
    fill(vault, names=1)
    sock = socket_path(vault)
    sock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(os.fspath(sock))
        listener.listen(1)
        os.lchown(sock, OTHER_UID, OTHER_UID)
        result = run_cli(*args, passphrase=True)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert result.returncode == 0, result.stderr
    assert ("TOKEN-VALUE-0000" in result.stdout) == (args[0] == "token")
    assert result.stdout.startswith("locked") == (args[0] == "status")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "belongs to another user and was not used" in lines[0], lines

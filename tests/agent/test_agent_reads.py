"""The agent answers `token` and `status` itself, so those commands load no crypto."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from agent_support import PASSPHRASE, Agents, run_cli

from vault.agent import client
from vault.core.clock import now
from vault.core.model import Credential, Token
from vault.core.store import VaultStore

PROBE = """
import sys
import vault.cli
code = vault.cli.main(sys.argv[1:])
names = ("cryptography", "argon2", "httpx", "vault.core.store")
heavy = sorted(m for m in names if m in sys.modules)
print("HEAVY", heavy, "EXIT", code, file=sys.stderr)
"""


def put_token(vault: Path, name: str, value: str, left: timedelta) -> None:
    store = VaultStore.unlock(vault, PASSPHRASE)
    with store.transaction() as data:
        cred = Credential(name=name, provider="app-token", settings={"app_id": "app_x"})
        cred.token = Token(value=value, issued_at=now(), expires_at=now() + left)
        data.credentials[name] = cred


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_token_op_answers_only_a_usable_token(vault: Path, agents: Agents) -> None:
    put_token(vault, "svc", "TOKEN-VALUE-0001", timedelta(hours=1))
    agents.start()
    assert client.agent_token(vault, "svc", 60) == "TOKEN-VALUE-0001"
    assert client.agent_token(vault, "svc", 2 * 3600) is None  # not enough left: caller refreshes
    assert client.agent_token(vault, "ghost", 60) is None
    # A change written by another process is seen on the next request.
    put_token(vault, "svc", "TOKEN-VALUE-0002", timedelta(hours=1))
    assert client.agent_token(vault, "svc", 60) == "TOKEN-VALUE-0002"


def test_token_and_status_load_no_crypto_with_an_agent(vault: Path, agents: Agents) -> None:
    put_token(vault, "svc", "TOKEN-VALUE-0003", timedelta(hours=1))
    agents.start()
    token = probe("token", "svc")
    assert token.stdout.strip() == "TOKEN-VALUE-0003"
    assert "HEAVY [] EXIT 0" in token.stderr, token.stderr
    status = probe("status", "--json")
    assert '"valid": 1' in status.stdout
    assert "HEAVY [] EXIT 0" in status.stderr, status.stderr


def test_probe_sees_the_full_path_without_an_agent(vault: Path) -> None:
    """The probe can fail: with no agent the passphrase path loads the crypto stack."""
    put_token(vault, "svc", "TOKEN-VALUE-0004", timedelta(hours=1))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "token", "svc"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TOKENVAULT_PASSPHRASE": PASSPHRASE},
    )
    assert result.stdout.strip() == "TOKEN-VALUE-0004"
    assert "'cryptography'" in result.stderr and "EXIT 0" in result.stderr


def test_expiring_token_falls_back_to_the_full_path(vault: Path, agents: Agents) -> None:
    put_token(vault, "svc", "TOKEN-VALUE-0005", timedelta(seconds=30))
    agents.start()
    result = run_cli("token", "svc")  # default --min-valid 60s: the agent declines
    # The full path then tries the provider (none is configured here) and says so.
    assert result.returncode != 0
    assert "TOKEN-VALUE-0005" not in result.stdout
    assert "Traceback" not in result.stderr

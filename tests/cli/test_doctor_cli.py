"""`tokenvault doctor` as the installed command: fit for cron (exit 0/1) and scripts (--json)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

from tests.cli.conftest import BIN, Run
from vault.core.model import Credential
from vault.core.store import VaultStore

SECRET = "shiftiq-secret-V9-never-printed"


def add_shiftiq(tv: Run, tmp_path: Path, name: str, age_days: int) -> None:
    secret = tmp_path / f"{name}.secret"
    secret.write_text(SECRET)
    created = (date.today() - timedelta(days=age_days)).isoformat()
    tv(
        "add", name, "--provider", "secret-exchange", "--base-url", "http://127.0.0.1:9",
        "--partition", "acme", "--secret-created", created, "--secret-file", str(secret),
        ok=True,
    )  # fmt: skip


def test_healthy_exits_0(initialised: Run, tmp_path: Path) -> None:
    add_shiftiq(initialised, tmp_path, "fresh", age_days=1)
    result = initialised("doctor", ok=True)
    assert result.stdout.splitlines() == [
        "info    agent                No agent runs: the vault is locked between commands.",
        "Healthy: 1 credentials checked, nothing needs you.",
    ]


def test_a_secret_expiring_within_the_window_exits_1(initialised: Run, tmp_path: Path) -> None:
    add_shiftiq(initialised, tmp_path, "shiftiq-reports", age_days=80)  # 10 days left
    result = initialised("doctor")
    assert result.returncode == 1, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "warning secret-expiring      shiftiq-reports: The root secret expires on "
    )
    assert SECRET not in result.stdout + result.stderr
    # A narrower window leaves it out: healthy again.
    assert initialised("doctor", "--within", "1w").returncode == 0


def test_json_shape(initialised: Run, tmp_path: Path) -> None:
    add_shiftiq(initialised, tmp_path, "old", age_days=91)
    result = initialised("doctor", "--json", "--within", "14d")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "version", "healthy", "checked_at", "within_seconds", "vault", "credentials", "agent",
        "problems",
    }  # fmt: skip
    assert doc["version"] == 1 and doc["healthy"] is False
    assert doc["within_seconds"] == 14 * 86400 and doc["credentials"] == 1
    assert doc["agent"] == "not-running"
    assert doc["problems"][0]["kind"] == "secret-expired"
    assert doc["problems"][0]["name"] == "old"
    assert doc["problems"][0]["severity"] == "error"
    assert doc["problems"][0]["at"].endswith("Z")
    assert {tuple(sorted(p)) for p in doc["problems"]} == {
        ("at", "kind", "message", "name", "severity")
    }
    assert SECRET not in result.stdout


def test_bad_durations_are_one_sentence_and_exit_2(initialised: Run) -> None:
    for bad in ("9" * 5000, "soon", "3x", "²"):
        result = initialised("doctor", "--within", bad)
        assert result.returncode == 2, (bad[:10], result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tokenvault: "), lines
        assert len(lines[0]) < 200


def test_loose_modes_and_odd_names_are_reported_escaped(
    initialised: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    vault = Path(cli_env["TOKENVAULT_VAULT"])
    # A name from before the name checks, holding a terminal escape, with a failed refresh.
    store = VaultStore.unlock(vault, cli_env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        odd = Credential(name="evil\x1b[2J", provider="app-token", secrets={"app_secret": SECRET})
        odd.last_error = f"HTTP 401: secret {SECRET} refused"
        data.credentials[odd.name] = odd
    store.close()
    os.chmod(vault.parent, 0o755)
    result = initialised("doctor")
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert "error   last-error           evil\\x1b[2J: The last attempt failed: HTTP 401" in (
        result.stdout
    )
    assert SECRET not in result.stdout
    assert any(
        line.startswith("error   file-mode") and "(mode 0755)" in line
        for line in result.stdout.splitlines()
    )


def test_locked_without_a_passphrase_is_a_finding_not_a_usage_error(
    initialised: Run, cli_env: dict[str, str]
) -> None:
    env = {k: v for k, v in cli_env.items() if k != "TOKENVAULT_PASSPHRASE"}

    def cron(*args: str) -> subprocess.CompletedProcess[str]:
        # As cron runs it: no terminal at all (a new session has no /dev/tty to prompt on).
        return subprocess.run(
            [BIN, "doctor", *args], capture_output=True, text=True, env=env, timeout=60,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    result = cron()
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("error   vault-locked ")
    doc = json.loads(cron("--json").stdout)
    assert doc["credentials"] is None and doc["problems"][0]["kind"] == "vault-locked"


def test_the_suggested_command_pastes_back_for_an_odd_name(
    initialised: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    name = "it's q3; $HOME"  # a quote, a space, a ; and a $: each breaks a pasted command
    add_shiftiq(initialised, tmp_path, name, age_days=80)
    found = initialised("doctor")
    assert found.returncode == 1
    command = found.stdout.split("`")[1]
    assert command == "tokenvault edit 'it'\"'\"'s q3; $HOME' --secret-stdin"
    # Pasted into a real shell as doctor printed it, it rotates that very credential.
    env = {**cli_env, "PATH": f"{Path(BIN).parent}:{os.environ['PATH']}"}
    pasted = subprocess.run(
        ["bash", "-c", command], input="a-new-secret-0001\n", env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    assert initialised("doctor").returncode == 0

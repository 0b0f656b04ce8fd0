"""`tokenvault export NAME... --format dotenv|postman-env|json [-o FILE]`, end to end.

The installed command runs against a temporary vault and the simulator on 127.0.0.1: tokens
are real, fresh ones are minted when the stored one has too little left, and no root secret
ever reaches the output (every secret of the credential is searched for).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Run
from tests.cli.interchange_support import CLIENT_SECRET, sim
from tests.hostile_support import HostileServer, json_answer, token_body
from vault.core.clock import now, parse_utc
from vault.core.store import VaultStore
from vault.sim import Simulator

__all__ = ["sim"]


@pytest.fixture
def oauth(initialised: Run, sim: Simulator) -> Run:
    """A vault holding 'reports-oauth' (client credentials) pointed at the simulator."""
    initialised(
        "add", "reports-oauth", "--provider", "oauth2-client-credentials", "--base-url", sim.url,
        "--client-id", "cli-client", "--scope", "read", "--secret-stdin",
        input=CLIENT_SECRET + "\n", ok=True,
    )  # fmt: skip
    return initialised


def _dotenv(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))


def _no_root_secret(text: str) -> None:
    # The only root secret of the credential, and the pieces HTTP Basic would carry.
    for secret in (CLIENT_SECRET, CLIENT_SECRET[:12], CLIENT_SECRET[-12:]):
        assert secret not in text


def test_dotenv_export_is_a_working_token_and_its_expiry(oauth: Run, sim: Simulator) -> None:
    run = oauth("export", "reports-oauth", "--format", "dotenv", ok=True)
    assert run.stdout.startswith("# Written by tokenvault export")
    values = _dotenv(run.stdout)
    assert set(values) == {"REPORTS_OAUTH_TOKEN", "REPORTS_OAUTH_EXPIRES_AT"}
    token = values["REPORTS_OAUTH_TOKEN"]
    assert token == oauth("token", "reports-oauth", ok=True).stdout.strip()
    expires = values["REPORTS_OAUTH_EXPIRES_AT"]
    assert expires.endswith("Z") and parse_utc(expires) > now() + timedelta(minutes=30)
    answer = httpx.get(
        f"{sim.url}/oauth/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert answer.status_code == 200
    _no_root_secret(run.stdout + run.stderr)


def _age_token(env: dict[str, str], name: str, left: timedelta) -> None:
    """Make the stored token expire ``left`` from now, as time passing would."""
    store = VaultStore.unlock(Path(env["TOKENVAULT_VAULT"]), env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        token = data.credentials[name].token
        assert token is not None
        token.expires_at = now() + left
    store.close()


@pytest.mark.parametrize("left", [timedelta(seconds=30), timedelta(seconds=-5)])
def test_a_token_near_or_past_expiry_is_refreshed_first(
    oauth: Run, sim: Simulator, cli_env: dict[str, str], left: timedelta
) -> None:
    first = oauth("token", "reports-oauth", ok=True).stdout.strip()
    kept = _dotenv(oauth("export", "reports-oauth", "--format", "dotenv", ok=True).stdout)
    assert kept["REPORTS_OAUTH_TOKEN"] == first  # a good token is reused, not re-minted
    assert sim.counters["oauth2.generate.ok"] == 1
    _age_token(cli_env, "reports-oauth", left)  # under the default 60 s --min-valid
    fresh = _dotenv(oauth("export", "reports-oauth", "--format", "dotenv", ok=True).stdout)
    assert fresh["REPORTS_OAUTH_TOKEN"] != first
    assert parse_utc(fresh["REPORTS_OAUTH_EXPIRES_AT"]) > now() + timedelta(minutes=30)
    assert sim.counters["oauth2.generate.ok"] == 2


def test_postman_env_and_json_shapes(oauth: Run) -> None:
    env = json.loads(oauth("export", "reports-oauth", "--format", "postman-env", ok=True).stdout)
    assert env["_postman_variable_scope"] == "environment"
    assert env["_postman_exported_using"].startswith("tokenvault/")
    values = {v["key"]: v for v in env["values"]}
    assert values["REPORTS_OAUTH_TOKEN"]["type"] == "secret"
    assert values["REPORTS_OAUTH_EXPIRES_AT"]["type"] == "default"
    assert all(v["enabled"] is True for v in values.values())
    shaped = json.loads(oauth("export", "reports-oauth", "--format", "json", ok=True).stdout)
    assert shaped["tokenvault_export"] == 1
    [cred] = shaped["credentials"]
    assert set(cred) == {"name", "provider", "variable", "token", "token_type", "expires_at"}
    assert cred["variable"] == "REPORTS_OAUTH" and cred["token_type"] == "Bearer"
    assert cred["token"] == values["REPORTS_OAUTH_TOKEN"]["value"]
    _no_root_secret(json.dumps(env) + json.dumps(shaped))


def test_output_file_is_private_and_only_ours_is_replaced(
    oauth: Run, sim: Simulator, tmp_path: Path
) -> None:
    target = tmp_path / "tokens.env"
    oauth("export", "reports-oauth", "--format", "dotenv", "-o", str(target), ok=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    oauth("export", "reports-oauth", "--format", "json", "-o", str(target), ok=True)  # ours
    assert json.loads(target.read_text())["tokenvault_export"] == 1
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my own notes\n")
    foreign.chmod(0o644)
    minted = sim.counters["oauth2.generate.ok"]
    # --min-valid 2h would make the provider mint a new token: the refusal comes first.
    refused = oauth(
        "export", "reports-oauth", "--format", "dotenv", "-o", str(foreign), "--min-valid", "2h"
    )
    assert refused.returncode == 2 and "pass --force" in refused.stderr
    assert foreign.read_text() == "my own notes\n"
    assert sim.counters["oauth2.generate.ok"] == minted  # refused before asking anyone
    oauth("export", "reports-oauth", "--format", "dotenv", "-o", str(foreign), "--force", ok=True)
    assert foreign.read_text().startswith("# Written by tokenvault export")
    assert stat.S_IMODE(foreign.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_a_symlink_is_never_written_through(oauth: Run, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("# Written by tokenvault export, or so it claims\n")
    link = tmp_path / "tokens.env"
    os.symlink(victim, link)
    for extra in ((), ("--force",)):
        run = oauth("export", "reports-oauth", "--format", "dotenv", "-o", str(link), *extra)
        assert run.returncode == 2 and "symbolic link" in run.stderr
    assert victim.read_text() == "# Written by tokenvault export, or so it claims\n"
    assert link.is_symlink()


def test_names_that_would_collide_are_refused(oauth: Run, sim: Simulator) -> None:
    oauth(
        "add", "reports.oauth", "--provider", "oauth2-client-credentials", "--base-url", sim.url,
        "--client-id", "cli-client", "--secret-stdin", input=CLIENT_SECRET + "\n", ok=True,
    )  # fmt: skip
    run = oauth("export", "reports-oauth", "reports.oauth", "--format", "dotenv")
    assert run.returncode == 2 and "REPORTS_OAUTH_TOKEN" in run.stderr
    assert sim.counters.get("oauth2.generate.ok", 0) == 0


def test_a_provider_failure_writes_nothing(oauth: Run, sim: Simulator, tmp_path: Path) -> None:
    oauth("edit", "reports-oauth", "--set", "client_id=unknown-client", ok=True)
    target = tmp_path / "tokens.env"
    run = oauth("export", "reports-oauth", "--format", "dotenv", "-o", str(target))
    assert run.returncode == 1 and "401" in run.stderr
    assert not target.exists()
    _no_root_secret(run.stdout + run.stderr)


HOSTILE_TOKEN = "ok'`pwd>ran-backtick`$(pwd>ran-dollar)\"\\end"
"""Visible ASCII, so the token check lets it in: a single quote, a backtick, $(...), a double
quote and a backslash."""


def test_a_hostile_token_sources_as_itself_and_runs_nothing(
    initialised: Run, tmp_path: Path
) -> None:
    """`set -a; . tokens.env` (the way people load a .env into bash) gives the token byte for
    byte and runs nothing it holds: the provider chooses the token, not what the shell runs."""
    with HostileServer() as provider:
        provider.answer = json_answer(token_body(HOSTILE_TOKEN))
        initialised(
            "add", "odd", "--provider", "oauth2-client-credentials", "--base-url", provider.url,
            "--client-id", "c", "--secret-stdin", input="s\n", ok=True,
        )  # fmt: skip
        target = tmp_path / "tokens.env"
        initialised("export", "odd", "--format", "dotenv", "-o", str(target), ok=True)
    shell = tmp_path / "shell"
    shell.mkdir()
    loaded = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", 'set -a; . "$1"; printf %s "$ODD_TOKEN"', "bash",
         str(target)],
        capture_output=True, text=True, cwd=shell, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert loaded.stderr == ""
    assert loaded.stdout == HOSTILE_TOKEN
    assert list(shell.iterdir()) == []

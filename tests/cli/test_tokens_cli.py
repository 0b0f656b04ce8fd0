"""token/refresh/revoke/request/exec/sim and the provider flags of `add`, end to end.

The installed `tokenvault` runs as a subprocess against a temporary vault and a simulator
served from this test process on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import BIN, Run
from vault.core.clock import now
from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_SECRET = "cli-app-secret-0001"
CLIENT_SECRET = "cli-oauth-secret-0001"
SIQ_SECRET = "cli-shiftiq-secret-0001"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_app_token_app(APP_ID, APP_SECRET)
        running.register_oauth_client("cli-client", CLIENT_SECRET, scopes=["read"])
        running.register_shiftiq_secret("acme", SIQ_SECRET, now() - timedelta(days=100))
        yield running


@pytest.fixture
def app(initialised: Run, sim: Simulator) -> Run:
    """A vault holding 'app' (app-token) pointed at the simulator."""
    initialised(
        "add", "app", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
        "--secret-stdin", input=APP_SECRET + "\n", ok=True,
    )  # fmt: skip
    return initialised


def test_token_prints_only_the_token_and_reuses_it(app: Run, sim: Simulator) -> None:
    first = app("token", "app", ok=True)
    assert re.fullmatch(r"[A-Z0-9]{21}\n", first.stdout)
    second = app("token", "app", "--min-valid", "5m", ok=True)
    assert second.stdout == first.stdout
    assert sim.counters["app-token.generate.ok"] == 1
    # Asking for more validity than the 25 h token has forces a new one.
    third = app("token", "app", "--min-valid", "26h", ok=True)
    assert third.stdout != first.stdout


def test_token_header_prints_the_lines_the_api_accepts(app: Run, sim: Simulator) -> None:
    token = app("token", "app", ok=True).stdout.strip()
    lines = app("token", "app", "--header", ok=True).stdout.splitlines()
    assert lines == [f"App-ID: {APP_ID}", f"App-Token: {token}"]
    # The lines authenticate a real call (the simulator wants a fresh Request-ID too).
    headers = dict(line.split(": ", 1) for line in lines)
    headers["Request-ID"] = "8339883c-9c13-4700-94ab-5e7b72842ad8"
    answer = httpx.get(f"{sim.url}/app-token/whoami", headers=headers, timeout=5)
    assert answer.status_code == 200


def test_add_refuses_bad_settings_in_one_sentence(initialised: Run, sim: Simulator) -> None:
    bad_url = initialised(
        "add", "x", "--provider", "app-token", "--base-url", "api.example", "--app-id", "a",
        "--secret-stdin", input="s3cret-value\n",
    )  # fmt: skip
    assert bad_url.returncode == 2
    assert "must be an http(s) URL" in bad_url.stderr and bad_url.stderr.count("\n") == 1
    short = initialised(
        "add", "s", "--provider", "secret-exchange", "--base-url", sim.url, "--partition",
        "acme", "--lifetime", "30", "--secret-stdin", input=SIQ_SECRET + "\n",
    )  # fmt: skip
    assert short.returncode == 2 and "60 to 31,536,000 seconds" in short.stderr
    unknown = initialised("add", "u", "--provider", "nope", "--set", "base_url=https://x.example")
    assert unknown.returncode == 2 and "Unknown provider style 'nope'" in unknown.stderr
    assert SIQ_SECRET not in short.stderr + short.stdout
    partial = initialised("add", "p", "--provider", "app-token", "--base-url", sim.url)
    assert partial.returncode == 0
    assert "cannot generate tokens until it has the setting 'app_id'" in partial.stderr
    assert "secret 'app_secret'" in partial.stderr
    assert initialised("token", "p").returncode == 2


def test_expired_secret_is_refused_with_its_date(initialised: Run, sim: Simulator) -> None:
    created = (now() - timedelta(days=100)).date()
    initialised(
        "add", "siq", "--provider", "secret-exchange", "--base-url", sim.url,
        "--partition", "acme", "--secret-created", created.isoformat(),
        "--secret-stdin", input=SIQ_SECRET + "\n", ok=True,
    )  # fmt: skip
    result = initialised("token", "siq")
    assert result.returncode == 1
    assert (created + timedelta(days=90)).isoformat() in result.stderr
    assert sim.counters["secret-exchange.generate"] == 0
    assert result.stdout == ""


def test_refresh_names_and_all(app: Run, sim: Simulator) -> None:
    app(
        "add", "bad", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
        "--secret-stdin", input="wrong-secret-0001\n", ok=True,
    )  # fmt: skip
    one = app("refresh", "app", ok=True)
    assert one.stdout.startswith("app  refreshed, expires in")
    everything = app("refresh", "--all")
    assert everything.returncode == 1
    assert "refreshed" in everything.stdout
    assert "Could not refresh a token for 'bad'" in everything.stderr
    assert '"invalid app credentials"' in everything.stderr
    assert "wrong-secret-0001" not in everything.stderr


def test_revoke_says_local_or_remote(app: Run, sim: Simulator) -> None:
    app("token", "app", ok=True)
    local = app("revoke", "app", ok=True)
    assert "locally only" in local.stdout and "developer console" in local.stdout
    app(
        "add", "oauth", "--provider", "oauth2-client-credentials", "--base-url", sim.url,
        "--client-id", "cli-client", "--scope", "read", "--revoke-url", "/oauth/revoke",
        "--secret-stdin", input=CLIENT_SECRET + "\n", ok=True,
    )  # fmt: skip
    app("token", "oauth", ok=True)
    remote = app("revoke", "oauth", ok=True)
    assert "at the provider" in remote.stdout
    assert sim.counters["oauth2.revoke"] == 1


def test_request_regenerates_on_401_within_the_call(app: Run, sim: Simulator) -> None:
    app("token", "app", ok=True)
    sim.invalidate_tokens()
    sim.reset_counters()
    result = app("request", "app", "GET", sim.url + "/app-token/whoami", ok=True)
    assert f'"app_id":"{APP_ID}"' in result.stdout.replace(" ", "")
    assert sim.counters["app-token.generate.ok"] == 1
    assert sim.counters["app-token.whoami"] == 2


def test_request_exits_1_on_an_error_status(app: Run, sim: Simulator) -> None:
    result = app("request", "app", "GET", sim.url + "/no/such/endpoint", "-H", "X-Test: 1")
    assert result.returncode == 1
    assert "no such endpoint" in result.stdout
    assert "HTTP 404" in result.stderr


def test_exec_puts_the_token_in_the_environment(app: Run, sim: Simulator, tmp_path: Path) -> None:
    token = app("token", "app", ok=True).stdout.strip()
    script = (
        "import os, sys; print(os.environ['MY_TOKEN']);"
        "print(sorted(k for k in os.environ if k.startswith('TOKENVAULT_PASS'))); sys.exit(3)"
    )
    result = app("exec", "app", "--env", "MY_TOKEN", "--", sys.executable, "-c", script)
    assert result.returncode == 3
    # The command gets the token, never the vault passphrase this process was given.
    assert result.stdout.splitlines() == [token, "[]"]
    # A missing command is 127 and one that cannot run 126, as shells (and exec --watch) say.
    missing = app("exec", "app", "--", "no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr == "tokenvault: No command named 'no-such-command-here' was found.\n"
    not_a_program = tmp_path / "not-a-program"
    not_a_program.write_bytes(b"\0\1 no program")
    not_a_program.chmod(0o700)
    refused = app("exec", "app", "--", str(not_a_program))
    assert refused.returncode == 126 and refused.stderr.count("\n") == 1
    assert "cannot be run" in refused.stderr


def test_sim_command_serves_until_stopped(cli_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [BIN, "sim", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        with httpx.Client(timeout=5) as client:
            assert client.get(match.group(0) + "/_sim/counters").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""`tokenvault add --provider jwt-bearer` with the generic flags, run as the installed command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from vault.sim import Simulator
from vault.sim import demo as fixtures

EMAIL = "reports@acme-prod.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/bigquery.readonly"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_jwt_bearer_client(EMAIL, fixtures.public_key_pem(), [SCOPE])
        yield running


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "reports-sa.pem"
    path.write_text(fixtures.PRIVATE_KEY_PEM, encoding="utf-8")
    path.chmod(0o600)
    return path


def _add(tv: Run, sim: Simulator, key_file: Path, name: str, *extra: str) -> None:
    tv(
        "add", name, "--provider", "jwt-bearer", "--base-url", sim.url,
        "--client-email", EMAIL, "--scope", SCOPE, "--private-key-file", str(key_file),
        *extra, ok=True,
    )  # fmt: skip


def test_add_token_request_and_revoke(initialised: Run, sim: Simulator, key_file: Path) -> None:
    _add(initialised, sim, key_file, "gcp-reports", "--set", "subject=alice@acme.example")
    token = initialised("token", "gcp-reports", ok=True).stdout.strip()
    assert token.startswith("ya29.")
    assert sim.counters["jwt-bearer.generate.ok"] == 1
    who = initialised("request", "gcp-reports", "GET", sim.url + "/jwt-bearer/whoami", ok=True)
    assert json.loads(who.stdout) == {
        "client_email": EMAIL,
        "scope": SCOPE,
        "sub": "alice@acme.example",
    }
    shown = initialised("show", "gcp-reports", ok=True).stdout
    assert EMAIL in shown and "PRIVATE KEY" not in shown and token not in shown
    assert "  private_key: RSA key, 2048 bits\n" in shown  # what it is, not "••••---"
    as_json = json.loads(initialised("show", "gcp-reports", "--json", ok=True).stdout)
    assert as_json["secrets"]["private_key"] == "RSA key, 2048 bits"
    local = initialised("revoke", "gcp-reports", ok=True)
    assert "locally only" in local.stdout and "service account key" in local.stdout

    _add(initialised, sim, key_file, "gcp-revocable", "--revoke-url", "/revoke")
    initialised("token", "gcp-revocable", ok=True)
    remote = initialised("revoke", "gcp-revocable", ok=True)
    assert "at the provider" in remote.stdout
    assert sim.counters["jwt-bearer.revoke"] == 1


def test_a_refusal_is_one_sentence_with_the_providers_words(
    initialised: Run, sim: Simulator, key_file: Path
) -> None:
    _add(initialised, sim, key_file, "gcp-reports")
    initialised(
        "edit", "gcp-reports", "--set", "scope=https://www.googleapis.com/auth/cloud-platform",
        ok=True,
    )  # fmt: skip
    result = initialised("token", "gcp-reports")
    assert result.returncode == 1 and result.stdout == ""
    assert "HTTP 400" in result.stderr
    assert '"invalid_scope: The service account may not ask for that scope."' in result.stderr
    assert "PRIVATE KEY" not in result.stderr


def test_bad_input_is_a_usage_error(initialised: Run, sim: Simulator, key_file: Path) -> None:
    too_long = initialised(
        "add", "gcp", "--provider", "jwt-bearer", "--base-url", sim.url,
        "--client-email", EMAIL, "--scope", SCOPE, "--private-key-file", str(key_file),
        "--set", "assertion_lifetime=7200",
    )  # fmt: skip
    assert too_long.returncode == 2
    assert "'assertion_lifetime' must be between 1 and 3600" in too_long.stderr
    assert len(too_long.stderr.strip().splitlines()) == 1
    incomplete = initialised(
        "add", "gcp", "--provider", "jwt-bearer", "--base-url", sim.url, "--scope", SCOPE,
        "--private-key-file", str(key_file), ok=True,
    )  # fmt: skip
    assert "setting 'client_email'" in incomplete.stderr

"""`tokenvault revoke` tells the truth: a provider's refusal is exit 1, one sentence, token kept.

The installed command runs as a subprocess against a temporary vault and the real simulator.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.cli.conftest import Run
from vault.sim import Simulator

CLIENT_SECRET = "cli-revoke-secret-0001"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_oauth_client("cli-client", CLIENT_SECRET, scopes=["read"])
        yield running


@pytest.fixture
def oauth(initialised: Run, sim: Simulator) -> tuple[Run, str]:
    """A vault holding 'oauth' with a token; returns the runner and that token."""
    initialised(
        "add", "oauth", "--provider", "oauth2-client-credentials", "--base-url", sim.url,
        "--client-id", "cli-client", "--scope", "read", "--revoke-url", "/oauth/revoke",
        "--secret-stdin", input=CLIENT_SECRET + "\n", ok=True,
    )  # fmt: skip
    token = initialised("token", "oauth", ok=True).stdout.strip()
    return initialised, token


def _alive(sim: Simulator, token: str) -> bool:
    answer = httpx.get(f"{sim.url}/oauth/whoami", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("401", "invalid_client"),
        ("400", "unsupported_token_type"),
        ("403", "access_denied"),
        ("500", "internal server error"),
    ],
)
def test_refused_revoke_exits_1_and_keeps_the_token(
    kind: str, words: str, oauth: tuple[Run, str], sim: Simulator
) -> None:
    run, token = oauth
    sim.inject_fault("/oauth/revoke", kind)
    refused = run("revoke", "oauth")
    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "refused to revoke the token" in lines[0] and f"HTTP {kind}" in lines[0]
    assert words in lines[0] and "the stored token was kept" in lines[0]
    assert token not in refused.stderr and CLIENT_SECRET not in refused.stderr
    # Still stored: the same token comes back without asking the provider again.
    assert run("token", "oauth", ok=True).stdout.strip() == token
    assert sim.counters["oauth2.generate.ok"] == 1
    assert _alive(sim, token)
    # Once the provider agrees, the same command revokes it for real.
    done = run("revoke", "oauth", ok=True)
    assert "at the provider" in done.stdout and not _alive(sim, token)


def test_rotated_secret_revoke_is_invalid_client_not_already_dead(
    oauth: tuple[Run, str], sim: Simulator
) -> None:
    """The real 401 of RFC 6749 5.2: the client failed to authenticate; nothing was revoked."""
    run, token = oauth
    run("edit", "oauth", "--secret-stdin", input="rotated-secret-0002\n", ok=True)
    refused = run("revoke", "oauth")
    assert refused.returncode == 1
    assert "invalid_client" in refused.stderr and "nothing was revoked" in refused.stderr
    assert "rotated-secret-0002" not in refused.stderr
    assert _alive(sim, token)
    assert run("token", "oauth", ok=True).stdout.strip() == token

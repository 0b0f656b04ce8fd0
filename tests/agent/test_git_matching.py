"""`git-credential` answers only for the exact scheme, host and port a credential is bound to:
real `git credential fill` driving the installed command, plus hand-written requests."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, TOKENVAULT, Agents, run_cli
from test_git_credential import git_env

from vault.core.clock import now
from vault.core.errors import UsageError
from vault.core.githost import GitTarget, parse_binding, request_target
from vault.core.model import Credential, Token
from vault.core.store import VaultStore

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TOKENS = {
    "gh": ("github.com", "tok-github-0001"),
    "gh-8443": ("git.example.com:8443", "tok-example-8443"),
    "local": ("http://127.0.0.1:8080", "tok-loopback-8080"),
}
"""Credential name -> (its git_host, its stored token)."""


@pytest.fixture
def bound(vault: Path, agents: Agents) -> dict[str, str]:
    """Three credentials, each with a fresh stored token and its own binding; the agent runs."""
    with VaultStore.unlock(vault, PASSPHRASE).transaction() as data:
        for name, (host, value) in TOKENS.items():
            cred = Credential(name=name, provider="app-token", settings={"git_host": host})
            cred.token = Token(value=value, expires_at=now() + timedelta(hours=1))
            data.credentials[name] = cred
    agents.start()
    return {name: value for name, (_, value) in TOKENS.items()}


def fill(url: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`git credential fill` for ``url`` with tokenvault as the only helper."""
    return subprocess.run(
        [
            "git",
            "-c",
            "credential.helper=",
            "-c",
            f"credential.helper={TOKENVAULT} git-credential",
            "credential",
            "fill",
        ],
        input=f"url={url}\n\n",
        env=git_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no terminal: git cannot prompt, it fails instead
    )


def password(result: subprocess.CompletedProcess[str]) -> str | None:
    for line in result.stdout.splitlines():
        if line.startswith("password="):
            return line.split("=", 1)[1]
    return None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r.git", "gh"),
        ("https://GitHub.com/o/r.git", "gh"),
        ("https://github.com:443/o/r.git", "gh"),
        ("https://git.example.com:8443/r.git", "gh-8443"),
        ("http://127.0.0.1:8080/r.git", "local"),
        # Look-alikes, other ports and other schemes get nothing.
        ("https://github.com.evil.example/o/r.git", None),
        ("https://evil-github.com/o/r.git", None),
        ("https://github.co/o/r.git", None),
        ("https://api.github.com/o/r.git", None),
        ("https://github.com:8443/o/r.git", None),
        ("https://git.example.com/r.git", None),
        ("https://git.example.com:8444/r.git", None),
        ("https://127.0.0.1:8080/r.git", None),
        ("http://127.0.0.1:8081/r.git", None),
        ("http://127.0.0.1/r.git", None),
    ],
)
def test_real_git_gets_a_token_only_for_the_exact_binding(
    bound: dict[str, str], tmp_path: Path, url: str, expected: str | None
) -> None:
    result = fill(url, tmp_path)
    if expected is None:
        assert result.returncode != 0 and password(result) is None, result.stdout
        for token in bound.values():
            assert token not in result.stdout + result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert password(result) == bound[expected]


def test_plain_http_to_a_bound_remote_host_is_refused(
    bound: dict[str, str], tmp_path: Path
) -> None:
    result = fill("http://github.com/o/r.git", tmp_path)
    assert password(result) is None
    assert "use https" in result.stderr and bound["gh"] not in result.stderr


@pytest.mark.parametrize(
    "request_text",
    [
        "host=github.com\n\n",  # no protocol= line
        "protocol=\nhost=github.com\n\n",
        "protocol=https\n\n",  # no host
        "protocol=https\nhost=github.com.\n\n",
        "protocol=https\nhost=github.com:\n\n",
        "protocol=https\nhost=github.com:0443x\n\n",
        "protocol=https\nhost=user@github.com\n\n",
        "protocol=https\nhost=github.com\x1b[2J\n\n",
        "protocol=https\nhost=[github.com]\n\n",
    ],
)
def test_direct_requests_that_are_not_an_exact_match_get_nothing(
    bound: dict[str, str], request_text: str
) -> None:
    result = run_cli("git-credential", "get", stdin=request_text)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert "\x1b" not in result.stderr and "Traceback" not in result.stderr


def test_a_direct_request_with_protocol_and_host_gets_the_token(bound: dict[str, str]) -> None:
    result = run_cli("git-credential", "get", stdin="protocol=https\nhost=github.com\n\n")
    assert result.returncode == 0, result.stderr
    assert f"password={bound['gh']}" in result.stdout.splitlines()


def test_a_refusal_quoting_a_hostile_host_is_escaped(bound: dict[str, str]) -> None:
    result = run_cli("git-credential", "get", stdin="protocol=ftp\nhost=evil\x1b[2J.example\n\n")
    assert result.returncode == 1 and result.stdout == ""
    assert "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("github.com", GitTarget("https", "github.com", 443)),
        ("GitHub.com:443", GitTarget("https", "github.com", 443)),
        ("https://github.com", GitTarget("https", "github.com", 443)),
        ("git.example.com:8443", GitTarget("https", "git.example.com", 8443)),
        ("http://localhost", GitTarget("http", "localhost", 80)),
        ("http://[::1]:9000", GitTarget("http", "::1", 9000)),
    ],
)
def test_what_git_host_may_hold(value: str, target: GitTarget) -> None:
    assert parse_binding(value) == target


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("http://github.com", "plain http"),
        ("ssh://github.com", "scheme"),
        ("github.com/org", "no path"),
        ("user@github.com", "no user name"),
        ("github.com:99999", "HOST:PORT"),
        ("github.com:", "HOST:PORT"),
        ("", "HOST:PORT"),
    ],
)
def test_git_host_values_git_could_never_match_are_refused(value: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_binding(value)


def test_add_refuses_an_unmatchable_git_host_and_stores_nothing(vault: Path) -> None:
    result = run_cli(
        "add",
        "gh",
        "--provider",
        "app-token",
        "--set",
        "git_host=http://github.com",
        "--secret-stdin",
        passphrase=True,
        stdin="s\n",
    )
    assert result.returncode == 2 and "plain http" in result.stderr, result.stderr
    assert VaultStore.unlock(vault, PASSPHRASE).data.credentials == {}


def test_a_request_names_its_default_port() -> None:
    assert request_target({"protocol": "https", "host": "github.com"}) == GitTarget(
        "https", "github.com", 443
    )
    assert request_target({"host": "github.com"}) is None

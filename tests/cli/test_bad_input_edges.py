"""Odd and hostile input through the installed `tokenvault` command: each case ends with one
sentence on stderr and a non-zero exit, never a traceback, and the stored token survives.

A hostile provider of our own on 127.0.0.1 plays the provider's part.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.hostile_support import HostileServer, json_answer, token_body
from vault.core.clock import now
from vault.core.model import Token
from vault.core.store import VaultStore

GOOD = "GOODTOKEN0001"
DIGITS = "9" * 5000


BAD_HOSTS_AND_PORTS = [
    "http://127.0.0.1:99999999999999999999/",
    "http://127.0.0.1:70000/",
    "http://127.0.0.1:1e3/",
    "http://127.0.0.1:-1/",
    "https://xn--/",
    "https://" + "a" * 64 + ".example/",
    "https://a..example/",
]
"""URLs that split cleanly but that no connection can use: httpx or getaddrinfo raised."""
BAD_HOST_AND_PORT_IDS = [
    "huge-port", "port-70000", "port-1e3", "port-minus-1",
    "bad-a-label", "long-label", "empty-label",
]  # fmt: skip


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as running:
        running.answer = json_answer(token_body(GOOD))
        yield running


@pytest.fixture
def app(initialised: Run, server: HostileServer) -> Run:
    """'app' (app-token, 25 h fixed lifetime) holding the good token from the server."""
    initialised(
        "add", "app", "--provider", "app-token", "--base-url", server.url, "--app-id", "app_1",
        "--secret-stdin", input="app-secret-0001\n", ok=True,
    )  # fmt: skip
    assert initialised("token", "app", ok=True).stdout == GOOD + "\n"
    return initialised


def _still_good(app: Run) -> None:
    assert app("token", "app", ok=True).stdout == GOOD + "\n"
    assert app("token", "app", "--header", ok=True).stdout == f"App-ID: app_1\nApp-Token: {GOOD}\n"


@pytest.mark.parametrize(
    "token",
    ["EVIL\r\npassword=stolen", "EVIL\x1b]52;c;aGk=\x07", "EVIL\x00", "a" * 20000],
    ids=["crlf", "esc", "nul", "huge"],
)
def test_a_hostile_token_is_refused_and_the_old_one_still_served(
    token: str, app: Run, server: HostileServer
) -> None:
    server.answer = json_answer(token_body(token))
    said = one_sentence(app("token", "app", "--min-valid", "26h"))
    assert "sent a token that" in said and "the stored token was kept" in said
    assert "\x1b" not in said and "password=stolen" not in said
    _still_good(app)


def test_retry_after_inf_is_one_sentence(app: Run, server: HostileServer) -> None:
    server.answer = json_answer(b'{"error": "slow down"}', 429, **{"Retry-After": "inf"})
    assert "429" in one_sentence(app("token", "app", "--min-valid", "26h"))
    _still_good(app)


def test_deeply_nested_json_from_a_provider_is_one_sentence(
    app: Run, server: HostileServer
) -> None:
    server.answer = json_answer(b"[" * 100_000 + b"]" * 100_000)
    assert "not valid JSON" in one_sentence(app("token", "app", "--min-valid", "26h"))
    _still_good(app)


def test_deeply_nested_json_in_a_request_body_file_is_one_sentence(
    app: Run, server: HostileServer, tmp_path: Path
) -> None:
    body = tmp_path / "deep.json"
    body.write_text("[" * 100_000 + "]" * 100_000)
    said = one_sentence(app("request", "app", "POST", server.url + "/x", "--json", f"@{body}"))
    assert "--json is not valid JSON" in said


def test_a_non_ascii_header_value_is_one_sentence(initialised: Run, server: HostileServer) -> None:
    initialised(
        "add", "u", "--provider", "app-token", "--base-url", server.url, "--app-id", "äpp",
        "--secret-stdin", input="app-secret-0001\n", ok=True,
    )  # fmt: skip
    said = one_sentence(initialised("request", "u", "GET", server.url + "/whoami"))
    assert "non-ASCII" in said
    assert "non-ASCII" in one_sentence(initialised("token", "u", "--header"))


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1:8080/",
        "http://127.0.0.1:1/\r\nX-Injected: 1",
        "http://127.0.0.1:1/\nx",
        *BAD_HOSTS_AND_PORTS,
    ],
    ids=["ipv6-missing-bracket", "crlf", "lf", *BAD_HOST_AND_PORT_IDS],
)
def test_a_bad_base_url_is_one_sentence(url: str, initialised: Run) -> None:
    result = initialised(
        "add", "x", "--provider", "app-token", "--base-url", url, "--app-id", "a",
        "--secret-stdin", input="app-secret-0001\n",
    )  # fmt: skip
    one_sentence(result)
    assert initialised("show", "x").returncode != 0  # nothing half-added


@pytest.mark.parametrize(
    "args",
    [
        ["token", "app", "--min-valid", DIGITS],
        ["token", "app", "--min-valid", DIGITS + "s"],
        ["unlock", "--timeout", DIGITS + "s"],
        ["unlock", "--timeout", DIGITS],
    ],
    ids=["min-valid", "min-valid-unit", "unlock-timeout-unit", "unlock-timeout"],
)
def test_a_5000_digit_duration_is_one_sentence(args: list[str], app: Run) -> None:
    one_sentence(app(*args))


def test_a_5000_digit_lifetime_is_one_sentence(initialised: Run, server: HostileServer) -> None:
    result = initialised(
        "add", "s", "--provider", "secret-exchange", "--base-url", server.url,
        "--partition", "p", "--lifetime", DIGITS, "--secret-stdin", input="s3cret-0001\n",
    )  # fmt: skip
    one_sentence(result)


@pytest.mark.parametrize("port", ["-1", "70000"])
def test_sim_refuses_a_port_out_of_range(port: str, tv: Run) -> None:
    assert "--port must be between 0 and 65535" in one_sentence(tv("sim", "--port", port))


@pytest.mark.parametrize(
    "stored",
    ["OLD\npassword=evil", "OLD\x1b]52;c;aGk=\x07", "OLD TOKEN", "a" * 20000],
    ids=["lf", "esc", "space", "huge"],
)
def test_a_stored_token_that_fails_the_arrival_check_is_replaced_not_handed_out(
    stored: str, app: Run, server: HostileServer, cli_env: dict[str, str]
) -> None:
    """A token stored before tokens were checked (an older version, a hand-made vault) never
    reaches git, a header or a terminal: it counts as unusable, so a checked one replaces it."""
    app("edit", "app", "--set", "git_host=127.0.0.1:9999", ok=True)
    store = VaultStore.unlock(Path(cli_env["TOKENVAULT_VAULT"]), cli_env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        data.credentials["app"].token = Token(value=stored, expires_at=now() + timedelta(hours=5))
    server.answer = json_answer(token_body("FRESH0002"))
    answer = app("git-credential", "get", input="protocol=https\nhost=127.0.0.1:9999\n\n", ok=True)
    lines = answer.stdout.splitlines()
    assert lines[:2] == ["username=x-access-token", "password=FRESH0002"], answer.stdout
    assert len(lines) == 3 and lines[2].startswith("password_expiry_utc=")
    assert app("token", "app", ok=True).stdout == "FRESH0002\n"
    header = app("token", "app", "--header", ok=True).stdout
    assert header == "App-ID: app_1\nApp-Token: FRESH0002\n"


@pytest.mark.parametrize("url", BAD_HOSTS_AND_PORTS, ids=BAD_HOST_AND_PORT_IDS)
def test_a_stored_url_no_connection_can_use_is_one_sentence(
    url: str, app: Run, cli_env: dict[str, str]
) -> None:
    """A vault written before URLs were checked this closely: the call fails in one sentence."""
    store = VaultStore.unlock(Path(cli_env["TOKENVAULT_VAULT"]), cli_env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        data.credentials["app"].settings["base_url"] = url
    said = one_sentence(app("token", "app", "--min-valid", "26h"))
    assert "URL" in said and "the stored token was kept" in said, said

"""`tokenvault request` against a hostile API: --max-body caps the decoded answer (a gzip bomb
too), --timeout bounds the whole call (the 401 replay included), each in one sentence.

The installed command runs as a subprocess; the credential's tokens come from the simulator
(or, where the regeneration itself must be slow, from the hostile server), and the API it
calls is a hostile loopback server in this test process.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.cli.conftest import BIN, Run
from tests.hostile_support import HostileServer, drip, gzip_bomb, json_answer, send, token_body
from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_SECRET = "cli-app-secret-0001"
MARGIN = 1.5
"""Scheduling slack on a loaded two-core machine (the command's start-up is not counted)."""


@pytest.fixture
def api() -> Iterator[HostileServer]:
    with HostileServer() as running:
        yield running


@pytest.fixture
def app(initialised: Run) -> Iterator[Run]:
    """A vault holding 'app' (app-token) whose tokens come from the simulator."""
    with Simulator() as sim:
        sim.register_app_token_app(APP_ID, APP_SECRET)
        initialised(
            "add", "app", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
            "--secret-stdin", input=APP_SECRET + "\n", ok=True,
        )  # fmt: skip
        yield initialised


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_gzip_bomb_is_refused_by_its_decoded_size(app: Run, api: HostileServer) -> None:
    api.answer = gzip_bomb(64 * 1024 * 1024)  # 64 MiB inflated, ~65 KB on the wire
    result = app("request", "app", "GET", api.url + "/me")
    assert result.returncode == 1 and result.stdout == ""
    assert "larger than 10,485,760 bytes; it was refused" in _one_sentence(result.stderr)


def test_max_body_refuses_a_larger_answer_rather_than_cutting_it(
    app: Run, api: HostileServer
) -> None:
    body = b'{"pad": "' + b"p" * 2048 + b'"}'
    api.answer = json_answer(body)
    refused = app("request", "app", "GET", api.url + "/me", "--max-body", "1k")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "larger than 1,024 bytes; it was refused" in _one_sentence(refused.stderr)
    whole = app("request", "app", "GET", api.url + "/me", "--max-body", "4KiB", ok=True)
    assert whole.stdout == body.decode() + "\n"


@pytest.mark.parametrize("size", ["lots", "0", "2g", "-5", "1.5m", "10 parsecs", "٣k"])
def test_a_bad_max_body_is_one_sentence(app: Run, size: str) -> None:
    result = app("request", "app", "GET", "http://127.0.0.1:9/", "--max-body", size)
    assert result.returncode == 2
    assert "--max-body" in _one_sentence(result.stderr)


def test_a_drip_cannot_hold_request_past_its_timeout(app: Run, api: HostileServer) -> None:
    stop = threading.Event()
    dripping = drip(0.3, stop)  # each read is quick: only a whole-call deadline ends it
    first: list[float] = []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        first.append(time.monotonic())
        dripping(handler)

    api.answer = answer
    try:
        result = app("request", "app", "GET", api.url + "/me", "--timeout", "1.5")
    finally:
        stop.set()
    assert time.monotonic() - first[0] < 1.5 + MARGIN
    assert result.returncode == 1
    assert "did not answer in time (the whole call may take 1.5 s)" in _one_sentence(result.stderr)


def test_the_401_replay_shares_the_one_deadline(app: Run, api: HostileServer) -> None:
    stop = threading.Event()
    dripping = drip(0.3, stop)
    seen: list[float] = []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            send(handler, b'{"message": "expired"}', status=401)
        else:
            dripping(handler)  # the replay drips: it gets what is left, not a new timeout

    api.answer = answer
    try:
        result = app("request", "app", "GET", api.url + "/me", "--timeout", "2")
    finally:
        stop.set()
    assert len(seen) == 2, result.stderr
    assert time.monotonic() - seen[0] < 2 + MARGIN
    assert result.returncode == 1
    assert "did not answer in time" in _one_sentence(result.stderr)


def test_no_replay_is_sent_once_the_regeneration_spent_the_timeout(
    initialised: Run, api: HostileServer
) -> None:
    # Here the hostile server is the token endpoint too: its second token answer comes late.
    initialised(
        "add", "slow", "--provider", "oauth2-client-credentials", "--base-url", api.url,
        "--client-id", "c", "--scope", "read", "--set", "timeout=10",
        "--secret-stdin", input="a-client-secret\n", ok=True,
    )  # fmt: skip
    calls: list[str] = []
    stop = threading.Event()

    def answer(handler: BaseHTTPRequestHandler) -> None:
        calls.append(handler.path)
        if handler.path.startswith("/oauth/token"):
            if len(calls) > 1:
                stop.wait(2.0)  # the regeneration outlasts --timeout 1 (not its own 10 s)
            send(handler, token_body(f"token-{len(calls)}"))
        else:
            send(handler, b'{"message": "expired"}', status=401)

    api.answer = answer
    try:
        result = initialised("request", "slow", "POST", api.url + "/charge", "--timeout", "1")
    finally:
        stop.set()
    assert result.returncode == 1
    assert "did not answer in time (the whole call may take 1 s)" in _one_sentence(result.stderr)
    # A POST after the caller's deadline would act when nobody waits for its answer.
    assert [p for p in calls if p == "/charge"] == ["/charge"], calls


def _capped(cli_env: dict[str, str], *args: str, stdin: object = None) -> CompletedProcess[str]:
    """The command under a 1 GiB address-space cap: a regression that reads /dev/zero whole
    dies of MemoryError here instead of eating the shared machine's memory."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [BIN, *args],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        env=cli_env,
        preexec_fn=cap,
    )


@pytest.mark.parametrize("flag", ["--data", "--json"])
@pytest.mark.parametrize("kind", ["a FIFO", "a character device"])
def test_a_body_file_that_is_no_regular_file_is_refused_at_once(
    app: Run, api: HostileServer, cli_env: dict[str, str], tmp_path: Path, flag: str, kind: str
) -> None:
    if kind == "a FIFO":
        path = tmp_path / "body.fifo"
        os.mkfifo(path)  # no writer: opening it to read would block for ever
    else:
        path = Path("/dev/zero")  # reading it would never end
    result = _capped(cli_env, "request", "app", "POST", api.url + "/me", flag, f"@{path}")
    assert result.returncode == 2, result.stderr
    assert f"{flag} file {path}: it is {kind}, not a regular file" in _one_sentence(result.stderr)
    assert api.hits == 0


def test_a_body_file_over_64_mib_is_refused(app: Run, api: HostileServer, tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(65 << 20)  # sparse: 65 MiB of zeros that cost no disk
    result = app("request", "app", "POST", api.url + "/me", "--data", f"@{huge}")
    assert result.returncode == 2
    assert "larger than 67108864 bytes" in _one_sentence(result.stderr)
    assert api.hits == 0


def test_a_body_on_stdin_is_bounded_too(
    app: Run, api: HostileServer, cli_env: dict[str, str]
) -> None:
    with open("/dev/zero", "rb") as zero:
        result = _capped(
            cli_env, "request", "app", "POST", api.url + "/me", "--data", "@-", stdin=zero
        )
    assert result.returncode == 2, result.stderr
    assert "larger than 67108864 bytes" in _one_sentence(result.stderr)
    assert api.hits == 0


def test_a_body_file_still_reads(app: Run, api: HostileServer, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"amount": 5}')
    got: list[tuple[str, str]] = []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        # The server has read (and dropped) the body already; its headers say what came.
        got.append((handler.headers["Content-Length"], handler.headers["Content-Type"]))
        send(handler, b'{"ok": true}')

    api.answer = answer
    app("request", "app", "POST", api.url + "/me", "--json", f"@{body}", ok=True)
    assert got == [("13", "application/json")]

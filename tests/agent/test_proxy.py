"""`tokenvault proxy`: the installed command as a subprocess, real curl through it, the real
simulator (or a recording upstream) on 127.0.0.1 counting what arrives."""

from __future__ import annotations

import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, run_cli
from proxy_support import (
    CURL,
    WAIT,
    ProxyProcess,
    curl,
    recording_upstream,
    start_proxy,
)

from vault.core.model import Credential
from vault.core.providers import PRESETS
from vault.core.store import VaultStore
from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_SECRET = "proxy-app-secret-0001"
CLIENT_ID = "proxy-client"
CLIENT_SECRET = "proxy-oauth-secret-0001"

StartProxy = Callable[..., ProxyProcess]
"""``run_proxy(name="app", *args)``: start `tokenvault proxy NAME --args...`."""


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_app_token_app(APP_ID, APP_SECRET)
        running.register_oauth_client(CLIENT_ID, CLIENT_SECRET, scopes=["read"])
        yield running


def _add(
    vault: Path, name: str, style: str, settings: dict[str, str], secret: dict[str, str]
) -> None:
    cred = Credential(name=name, provider=style, settings=settings, secrets=secret)
    cred.secret_expires_at = PRESETS[style].secret_expiry(None)
    store = VaultStore.unlock(vault, PASSPHRASE)
    with store.transaction() as data:
        data.credentials[name] = cred
    store.close()


@pytest.fixture
def creds(vault: Path, sim: Simulator) -> Path:
    """The vault with 'app' (app-token) and 'oauth' (client credentials) at the simulator."""
    _add(vault, "app", "app-token", {"base_url": sim.url, "app_id": APP_ID},
         {"app_secret": APP_SECRET})  # fmt: skip
    _add(vault, "oauth", "oauth2-client-credentials",
         {"base_url": sim.url, "client_id": CLIENT_ID, "scope": "read"},
         {"client_secret": CLIENT_SECRET})  # fmt: skip
    return vault


@pytest.fixture
def proxies(tmp_path: Path) -> Iterator[list[ProxyProcess]]:
    """Every proxy a test starts; teardown ends the ones still running (SIGKILL as last resort)."""
    started: list[ProxyProcess] = []
    yield started
    for proxy in started:
        if proxy.process.poll() is None:
            proxy.process.kill()
            proxy.process.wait(WAIT)


@pytest.fixture
def run_proxy(creds: Path, tmp_path: Path, proxies: list[ProxyProcess]) -> StartProxy:
    def start(name: str = "app", *args: str) -> ProxyProcess:
        proxy = start_proxy(tmp_path / f"proxy-{len(proxies)}.log", name, *args)
        proxies.append(proxy)
        return proxy

    return start


def _token(vault: Path, name: str = "app") -> str:
    store = VaultStore.unlock(vault, PASSPHRASE)
    token = store.reload().credentials[name].token
    store.close()
    assert token is not None
    return token.value


def test_a_call_through_the_proxy_reaches_the_api_with_the_credential(
    run_proxy: StartProxy, sim: Simulator, creds: Path
) -> None:
    proxy = run_proxy()
    assert proxy.line.startswith("TOKENVAULT_PROXY_URL=http://127.0.0.1:")
    assert len(proxy.key) >= 22  # at least 128 bits in URL-safe base64
    status, body = curl(f"{proxy.url}/app-token/whoami")
    assert status == 200 and APP_ID in body
    assert sim.counters["app-token.whoami"] == 1
    assert sim.counters["app-token.generate.ok"] == 1
    assert proxy.stop() == 0
    log = proxy.log_text()
    assert "GET /app-token/whoami 200" in log
    assert proxy.key not in log and _token(creds) not in log


def _listeners(port: int) -> list[str]:
    """Local addresses (kernel hex) listening on ``port``, IPv4 and IPv6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for row in fh.read().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.rpartition(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.append(address)
    return found


def test_the_proxy_listens_on_127_0_0_1_only(run_proxy: StartProxy) -> None:
    proxy = run_proxy()
    port = int(proxy.url.split(":")[2].split("/")[0])
    assert _listeners(port) == ["0100007F"]


def test_each_proxy_gets_a_fresh_key(run_proxy: StartProxy) -> None:
    assert run_proxy().key != run_proxy().key


def test_a_request_without_the_key_gets_403_and_reaches_nothing(
    run_proxy: StartProxy, sim: Simulator, tmp_path: Path
) -> None:
    proxy = run_proxy()
    base = proxy.url.rsplit("/", 1)[0]
    wrong = proxy.key[:-1] + ("A" if proxy.key[-1] != "A" else "B")
    body = tmp_path / "body.bin"
    body.write_bytes(b"x" * 2_000_000)  # big enough that curl asks Expect: 100-continue
    for args in (
        [f"{base}/app-token/whoami"],
        [f"{base}/{wrong}/app-token/whoami"],
        [f"{proxy.url}x/app-token/whoami"],  # the key as a prefix of a longer segment
        [f"{base}/"],
        ["--request-target", f"{sim.url}/app-token/whoami", f"{base}/"],  # forward-proxy form
        ["-X", "POST", "--data-binary", f"@{body}", f"{base}/app-token/whoami"],
    ):
        status, text = curl(*args)
        assert status == 403, args
        assert "needs its key" in text
    assert sum(sim.counters.values()) == 0
    # The counters do count: the one request with the key arrives (and only it).
    assert curl(f"{proxy.url}/app-token/whoami")[0] == 200
    assert sim.counters["app-token.whoami"] == 1
    proxy.stop()
    log = proxy.log_text()
    assert log.count("(refused) 403") == 6
    assert wrong not in log and "/app-token/whoami 403" not in log


def test_an_invalidated_token_is_regenerated_once_and_the_call_replayed(
    run_proxy: StartProxy, sim: Simulator
) -> None:
    proxy = run_proxy()
    assert curl(f"{proxy.url}/app-token/whoami")[0] == 200
    assert sim.invalidate_tokens("app-token") == 1
    status, body = curl(f"{proxy.url}/app-token/whoami")
    assert status == 200 and APP_ID in body
    assert sim.counters["app-token.generate.ok"] == 2  # the first token, then one regeneration
    assert sim.counters["app-token.whoami"] == 3  # ok, 401, replay
    proxy.stop()
    assert proxy.log_text().splitlines()[-1].endswith("regenerated")


def test_an_expired_app_token_never_shows_the_client_a_401(
    run_proxy: StartProxy, sim: Simulator
) -> None:
    proxy = run_proxy()
    assert curl(f"{proxy.url}/app-token/whoami")[0] == 200
    sim.shift_clock(26 * 3600)  # past the 25 h lifetime at the provider
    assert curl(f"{proxy.url}/app-token/whoami")[0] == 200
    assert sim.counters["app-token.generate.ok"] == 2


def test_parallel_401s_through_the_proxy_cause_one_regeneration(
    run_proxy: StartProxy, sim: Simulator
) -> None:
    proxy = run_proxy()
    assert curl(f"{proxy.url}/app-token/whoami")[0] == 200
    sim.invalidate_tokens("app-token")
    # Slow generation keeps every request's 401 inside the one regeneration's window.
    sim.inject_fault("/auth/app-token", "slow", count=8, delay=0.5)
    argv = [CURL, "-sS", "--max-time", str(int(WAIT)), "-o", "/dev/null", "-w", "%{http_code}"]
    url = f"{proxy.url}/app-token/whoami"
    calls = [subprocess.Popen([*argv, url], stdout=subprocess.PIPE, text=True) for _ in range(8)]
    codes = [call.communicate(timeout=WAIT)[0] for call in calls]
    assert codes == ["200"] * 8
    assert sim.counters["app-token.generate.ok"] == 2
    # Several of them really met the 401 (each such call is a 401 plus its replay).
    met_401 = sim.counters["app-token.whoami"] - 1 - 8
    assert met_401 >= 2, met_401


def test_a_post_body_is_replayed_intact_after_a_401(run_proxy: StartProxy, tmp_path: Path) -> None:
    payload = os.urandom(300_000)
    body = tmp_path / "payload.bin"
    body.write_bytes(payload)
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        for extra in ([], ["-H", "Transfer-Encoding: chunked"]):
            upstream.seen.clear()
            upstream.reject = 1
            status, text = curl("-X", "POST", "--data-binary", f"@{body}", *extra,
                                f"{proxy.url}/upload?part=1")  # fmt: skip
            assert status == 200, text
            first, second = upstream.seen
            assert first.body == second.body == payload
            assert first.path == second.path == "/upload?part=1"
            assert first.headers["App-Token"] != second.headers["App-Token"]


def test_a_body_over_the_replay_cap_streams_through_and_its_401_comes_back(
    run_proxy: StartProxy, sim: Simulator, tmp_path: Path
) -> None:
    payload = os.urandom(10 * 1024 * 1024 + 1)
    body = tmp_path / "big.bin"
    body.write_bytes(payload)
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        upstream.reject = 1
        status, _ = curl("-X", "PUT", "--data-binary", f"@{body}", f"{proxy.url}/big")
        assert status == 401
        assert [s.body == payload for s in upstream.seen] == [True]
        # The token was still replaced, so the client's own retry goes through.
        assert sim.counters["app-token.generate.ok"] == 2
        assert curl(f"{proxy.url}/after")[0] == 200
        assert upstream.seen[-1].headers["App-Token"] != upstream.seen[0].headers["App-Token"]


def test_the_upstream_sees_no_key_no_hop_headers_and_only_the_vault_credentials(
    run_proxy: StartProxy, creds: Path
) -> None:
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        status, _ = curl(
            "-H", "Authorization: Bearer the-clients-own", "-H", "App-Token: forged",
            "-H", "App-ID: forged", "-H", "Request-ID: not-fresh",
            "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: 1", "-H", "Keep-Alive: 5",
            "-H", "Proxy-Authorization: Basic eDp5", "-H", "X-Custom: kept",
            f"{proxy.url}/echo/path?q=1",
        )  # fmt: skip
        assert status == 200
        (seen,) = upstream.seen
        assert seen.path == "/echo/path?q=1"
        headers = {k.lower(): v for k, v in seen.headers.items()}
        assert headers["app-token"] == _token(creds)
        assert headers["app-id"] == APP_ID
        assert uuid.UUID(headers["request-id"]).version == 4
        assert headers["x-custom"] == "kept"
        assert headers["host"] == upstream.url.removeprefix("http://")
        for gone in ("authorization", "x-hop", "keep-alive", "proxy-authorization"):
            assert gone not in headers, gone
        assert proxy.key not in repr(seen)
    proxy.stop()
    log = proxy.log_text()
    assert "GET /echo/path 200" in log and "q=1" not in log


def test_a_redirect_goes_back_to_the_client_never_followed(run_proxy: StartProxy) -> None:
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        status, text = curl("-i", f"{proxy.url}/redirect")
        assert status == 302
        assert f"Location: {upstream.url}/landing" in text
        assert [s.path for s in upstream.seen] == ["/redirect"]


def test_the_answer_streams_to_the_client_as_it_arrives(run_proxy: StartProxy) -> None:
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        call = subprocess.Popen(
            [CURL, "-sS", "-N", "--max-time", str(int(WAIT)), f"{proxy.url}/stream"],
            stdout=subprocess.PIPE,
        )
        assert call.stdout is not None
        # The upstream holds the rest back until the first piece reached curl.
        ready, _, _ = select.select([call.stdout], [], [], WAIT)
        assert ready and os.read(call.stdout.fileno(), 100) == b"first\n"
        upstream.release.set()
        rest, _ = call.communicate(timeout=WAIT)
        assert rest == b"rest\n" and call.returncode == 0


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_signal_lets_the_request_under_way_finish_and_log(run_proxy: StartProxy) -> None:
    with recording_upstream() as upstream:
        proxy = run_proxy("app", "--upstream", upstream.url)
        call = subprocess.Popen(
            [CURL, "-sS", "-N", "--max-time", str(int(WAIT)), f"{proxy.url}/stream"],
            stdout=subprocess.PIPE,
        )
        assert call.stdout is not None
        ready, _, _ = select.select([call.stdout], [], [], WAIT)
        assert ready and os.read(call.stdout.fileno(), 100) == b"first\n"
        proxy.process.send_signal(signal.SIGTERM)
        # The signal has landed once the proxy stops accepting connections.
        port = int(proxy.url.split(":")[2].split("/")[0])
        deadline = time.monotonic() + WAIT
        while not _refused(port):
            assert time.monotonic() < deadline, "the proxy kept accepting after SIGTERM"
            time.sleep(0.01)  # a polling interval, not a wait for the outcome
        upstream.release.set()
        rest, _ = call.communicate(timeout=WAIT)
        assert rest == b"rest\n" and call.returncode == 0
        assert proxy.process.wait(WAIT) == 0
        assert "GET /stream 200" in proxy.log_text()


def test_a_bearer_credential_gets_authorization_bearer(
    run_proxy: StartProxy, sim: Simulator
) -> None:
    proxy = run_proxy("oauth")
    status, body = curl("-H", "Authorization: Bearer wrong", f"{proxy.url}/oauth/whoami")
    assert status == 200 and CLIENT_ID in body
    assert sim.counters["oauth2.generate.ok"] == 1


def test_the_unix_socket_mode_is_private_and_needs_no_key(
    run_proxy: StartProxy, sim: Simulator, short_runtime: Path
) -> None:
    path = short_runtime / "proxy.sock"
    proxy = run_proxy("app", "--unix-socket", str(path))
    assert proxy.line == f"TOKENVAULT_PROXY_SOCKET={path}"
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    status, body = curl("--unix-socket", str(path), "http://localhost/app-token/whoami")
    assert status == 200 and APP_ID in body
    assert proxy.stop() == 0
    assert not os.path.lexists(path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_proxy_cleanly(run_proxy: StartProxy, sig: int) -> None:
    proxy = run_proxy()
    assert proxy.stop(sig) == 0
    assert "Traceback" not in proxy.log_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nosuch"], "no credential"),
        (["app", "--upstream", "ftp://127.0.0.1/"], "must be an http(s) url"),
        (["app", "--upstream", "http://api.example.com"], "plain http"),
        (["app", "--port", "70000"], "between 0 and 65535"),
        (["app", "--port", "1", "--unix-socket", "/tmp/x"], "not both"),
        (["app", "--timeout", "0"], "--timeout"),
    ],
)
def test_bad_input_is_one_sentence(creds: Path, args: list[str], words: str) -> None:
    done = run_cli("proxy", *args, passphrase=True)
    assert done.returncode != 0 and done.stdout == ""
    assert words in done.stderr.lower() and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_an_existing_socket_path_is_refused_not_replaced(creds: Path, short_runtime: Path) -> None:
    path = short_runtime / "taken"
    path.write_text("someone else's\n")
    done = run_cli("proxy", "app", "--unix-socket", str(path), passphrase=True)
    assert done.returncode == 2 and "already exists" in done.stderr
    assert path.read_text() == "someone else's\n"


def test_the_proxy_never_loads_textual() -> None:
    code = (
        "import sys, vault.agent.proxy, vault.agent.listener, vault.cli.proxy; "
        "assert 'textual' not in sys.modules and 'rich' not in sys.modules"
    )
    argv = [sys.executable, "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT)
    assert done.returncode == 0, done.stderr


def test_connections_past_the_bound_get_503_and_a_freed_slot_serves_again(
    run_proxy: StartProxy, sim: Simulator
) -> None:
    from vault.agent.listener import MAX_CLIENTS

    proxy = run_proxy()
    port = int(proxy.url.split(":")[2].split("/")[0])
    # Idle clients, each holding a connection thread (the proxy waits for their request line).
    idle = [socket.create_connection(("127.0.0.1", port), timeout=WAIT) for _ in range(MAX_CLIENTS)]
    try:
        status, body = curl(f"{proxy.url}/app-token/whoami")
        assert status == 503 and "as many clients as it can" in body
        assert sim.counters.get("app-token.whoami", 0) == 0  # turned away reached nothing
        idle.pop().close()
        # The freed slot serves the next client (bounded retries: the close lands async).
        deadline = time.monotonic() + WAIT
        while (status := curl(f"{proxy.url}/app-token/whoami")[0]) == 503:
            assert time.monotonic() < deadline, "the freed slot was never reused"
        assert status == 200
    finally:
        for connection in idle:
            connection.close()


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ],
    ids=["two-lengths", "length-and-chunked"],
)
def test_a_body_framed_two_ways_is_400_and_reaches_nothing(
    run_proxy: StartProxy, sim: Simulator, framing: bytes
) -> None:
    proxy = run_proxy()
    port = int(proxy.url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"POST /%s/app-token/whoami HTTP/1.1\r\nHost: x\r\n" % proxy.key.encode())
        client.sendall(framing)
        answer = b""
        while chunk := client.recv(65536):  # the proxy closes after a 400
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ") and b"two different ways" in answer
    assert not any(sim.counters.values())

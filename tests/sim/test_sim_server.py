"""The HTTP plumbing: keep-alive, framing, routing errors, lifecycle, quiet logs, loopback only."""

from __future__ import annotations

import http.client
import socket
import time
import uuid

import httpx
import pytest

from vault.core.errors import UsageError, VaultError
from vault.sim import Simulator


def _generate(client: httpx.Client) -> httpx.Response:
    return client.post("/auth/app-token", json={"app_id": "app_1", "app_secret": "s3cret"})


def test_binds_loopback_on_an_ephemeral_port(sim: Simulator) -> None:
    assert sim.url == f"http://127.0.0.1:{sim.port}"
    assert sim.port > 0
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2):
        pass


def test_every_answer_keeps_the_connection_reusable(sim: Simulator) -> None:
    """Success, 401, 404, 405 and 204 all end cleanly, so one socket serves them all."""
    sim.register_app_token_app("app_1", "s3cret")
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        conn.request("POST", "/auth/app-token", body=b'{"app_id":"app_1","app_secret":"s3cret"}')
        first = conn.getresponse()
        body = first.read()
        assert first.status == 200
        assert first.getheader("Content-Length") == str(len(body))
        sock = conn.sock
        assert sock is not None
        for method, path, status in [
            ("POST", "/auth/app-token", 400),  # empty body is not JSON
            ("GET", "/app-token/whoami", 401),
            ("GET", "/no/such/endpoint", 404),
            ("DELETE", "/auth/app-token", 405),
            ("DELETE", "/installation/token", 401),
        ]:
            conn.request(method, path)
            response = conn.getresponse()
            payload = response.read()
            assert response.status == status, path
            assert response.getheader("Content-Length") == str(len(payload)), path
            assert not response.will_close, path
            assert conn.sock is sock, f"{method} {path} closed the connection"
    finally:
        conn.close()


def test_routing_errors_are_json(client: httpx.Client) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such endpoint"}
    wrong = client.get("/oauth/token")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"


def test_oversized_body_is_refused(client: httpx.Client) -> None:
    response = client.post("/auth/app-token", content=b"x" * (1 << 20 | 1))
    assert response.status_code == 413
    assert response.headers["Connection"] == "close"


def test_two_hundred_refreshes_take_well_under_two_seconds(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.register_app_token_app("app_1", "s3cret")
    started = time.perf_counter()
    tokens = {_generate(client).json()["app_token"] for _ in range(200)}
    elapsed = time.perf_counter() - started
    assert len(tokens) == 200
    assert elapsed < 2.0, f"200 refreshes took {elapsed:.2f} s"
    assert sim.counters["app-token.generate.ok"] == 200


def test_stop_closes_kept_alive_connections() -> None:
    sim = Simulator().start()
    sim.register_app_token_app("app_1", "s3cret")
    with httpx.Client(base_url=sim.url, timeout=2) as client:
        assert _generate(client).status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            _generate(client)
    sim.stop()  # idempotent


def test_lifecycle_misuse_is_reported() -> None:
    sim = Simulator()
    with pytest.raises(RuntimeError):
        _ = sim.url
    with sim, pytest.raises(RuntimeError):
        sim.start()


def test_a_taken_port_is_one_sentence(sim: Simulator) -> None:
    with pytest.raises(VaultError, match=rf"cannot listen on 127\.0\.0\.1 port {sim.port}: .+\.$"):
        Simulator(port=sim.port).start()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(UsageError, match="loopback"):
        Simulator(host)


def test_localhost_means_127_0_0_1() -> None:
    with Simulator("localhost") as sim:
        assert sim.url.startswith("http://127.0.0.1:")


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_ipv6_loopback_is_served_in_brackets() -> None:
    sim = Simulator("::1")
    try:
        sim.start()
    except VaultError as exc:  # a kernel without ::1 configured
        pytest.skip(str(exc))
    try:
        with httpx.Client(base_url=sim.url, timeout=5) as client:
            assert sim.url == f"http://[::1]:{sim.port}"
            assert client.get("/_sim/counters").status_code == 200
    finally:
        sim.stop()


def test_quiet_by_default(
    sim: Simulator, client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    sim.register_app_token_app("app_1", "s3cret")
    token = _generate(client).json()["app_token"]
    client.get("/app-token/whoami", headers={"App-ID": "app_1", "App-Token": token})
    client.get("/nowhere?secret=s3cret")
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_verbose_logs_method_path_status_only(capfd: pytest.CaptureFixture[str]) -> None:
    with Simulator(verbose=True) as sim, httpx.Client(base_url=sim.url, timeout=5) as client:
        sim.register_app_token_app("app_1", "s3cret")
        token = _generate(client).json()["app_token"]
        headers = {"App-ID": "app_1", "App-Token": token, "Request-ID": str(uuid.uuid4())}
        client.get("/app-token/whoami?q=hidden", headers=headers)
    err = capfd.readouterr().err
    assert "simulator: POST /auth/app-token 200" in err
    assert "simulator: GET /app-token/whoami 200" in err
    for secret in ("s3cret", token, "hidden", headers["Request-ID"]):
        assert secret not in err

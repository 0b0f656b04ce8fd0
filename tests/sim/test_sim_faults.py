"""Injected faults (every kind, count, prefix) and the request counters."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from vault.sim import Simulator

BODY = {"app_id": "app_1", "app_secret": "s3cret"}


@pytest.fixture
def registered(sim: Simulator) -> Simulator:
    sim.register_app_token_app("app_1", "s3cret")
    return sim


def _generate(client: httpx.Client) -> httpx.Response:
    return client.post("/auth/app-token", json=BODY)


def test_500_is_a_json_error(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth/", "500")
    response = _generate(client)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "internal server error"}
    assert _generate(client).status_code == 200, "count=1 means only the next request"


def test_503_is_an_html_page(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth/app-token", "503")
    response = _generate(client)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize(("retry_after", "header"), [(None, "1"), (7, "7")])
def test_429_carries_retry_after(
    registered: Simulator, client: httpx.Client, retry_after: int | None, header: str
) -> None:
    registered.inject_fault("/auth", "429", retry_after=retry_after)
    response = _generate(client)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == header


def test_403_rate_is_plain_text(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth", "403-rate", retry_after=30)
    response = _generate(client)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "Rate Limit Exceeded"
    assert response.headers["Retry-After"] == "30"


def test_slow_waits_then_answers_normally(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth", "slow", delay=0.3)
    started = time.perf_counter()
    response = _generate(client)
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200
    assert len(response.json()["app_token"]) == 21


def test_slow_beyond_the_client_timeout_times_out_and_the_server_lives_on(
    registered: Simulator, client: httpx.Client
) -> None:
    registered.inject_fault("/auth", "slow", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.post("/auth/app-token", json=BODY, timeout=0.2)
    assert _generate(client).status_code == 200


def test_malformed_is_200_with_truncated_json(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth", "malformed")
    response = _generate(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert registered.counters["app-token.generate.ok"] == 0


def test_html_is_a_200_page(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth", "html")
    response = _generate(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().startswith("<!DOCTYPE html>")


def test_count_and_prefix_decide_which_requests_fail(
    registered: Simulator, client: httpx.Client
) -> None:
    registered.inject_fault("/oauth", "500", count=5)
    registered.inject_fault("/auth", "500", count=2)
    statuses = [_generate(client).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert client.post("/oauth/token").status_code == 500


def test_faults_fire_in_the_order_queued(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/auth", "429")
    registered.inject_fault("/", "503")
    assert _generate(client).status_code == 429
    assert _generate(client).status_code == 503
    assert _generate(client).status_code == 200


def test_the_control_api_is_never_faulted(registered: Simulator, client: httpx.Client) -> None:
    registered.inject_fault("/", "500", count=3)
    assert client.get("/_sim/counters").status_code == 200
    assert _generate(client).status_code == 500


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "418"}, "unknown fault kind"),
        ({"kind": "500", "count": 0}, "count"),
        ({"kind": "slow"}, "delay"),
        ({"kind": "500", "path_prefix": "auth"}, "start with"),
    ],
)
def test_bad_faults_are_refused(sim: Simulator, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"path_prefix": "/auth", **kwargs}
    with pytest.raises(ValueError, match=message):
        sim.inject_fault(**arguments)  # type: ignore[arg-type]


def test_counters_count_attempts_and_issued_tokens_apart(
    registered: Simulator, client: httpx.Client
) -> None:
    assert registered.counters["app-token.generate"] == 0
    registered.inject_fault("/auth", "500")
    _generate(client)  # faulted: reached the handler, issued nothing
    client.post("/auth/app-token", json={"app_id": "app_1", "app_secret": "bad"})
    token = _generate(client).json()["app_token"]
    client.get("/app-token/whoami", headers={"App-ID": "app_1", "App-Token": token})
    client.get("/nowhere")
    counters = registered.counters
    assert counters["app-token.generate"] == 3
    assert counters["app-token.generate.ok"] == 1
    assert counters["app-token.whoami"] == 1
    assert sum(counters.values()) == 5, "unknown paths count nowhere"


def test_reset_counters_zeroes_them_and_keeps_the_tokens(
    registered: Simulator, client: httpx.Client
) -> None:
    token = _generate(client).json()["app_token"]
    registered.reset_counters()
    assert set(registered.counters.values()) == {0}
    headers = {"App-ID": "app_1", "App-Token": token}
    assert client.get("/app-token/whoami", headers=headers).status_code == 400  # no Request-ID
    assert registered.counters["app-token.whoami"] == 1

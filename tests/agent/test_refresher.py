"""Background refresh in the agent: the schedule, what it skips, back-off, and answering meanwhile.

The real agent process against the simulator on loopback; tokens of a few seconds (the app-token
engine's fixed lifetime) make the schedule observable.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from agent_support import Agents, run_cli, wait_until
from refresh_support import add_app_token, read_cred

from vault.agent import client
from vault.agent.refresher import (
    FIRST_BACKOFF,
    MAX_BACKOFF,
    Refresher,
    backoff,
    next_refresh,
)
from vault.core.clock import now, parse_utc
from vault.core.model import Credential, EventKind
from vault.core.store import VaultStore
from vault.sim import Simulator

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Fixed:
    """A random source that always says ``value`` (the extremes of ``random()``)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.fixture
def sim() -> object:
    with Simulator() as running:
        yield running


def share(at: datetime, issued: datetime, expires: datetime) -> float:
    return (at - issued) / (expires - issued)


# -- the formula ---------------------------------------------------------------------------------


def test_next_refresh_is_two_thirds_plus_a_third_of_a_10_to_20_percent_grace() -> None:
    life = timedelta(hours=1)
    lowest = next_refresh(T0, T0 + life, Fixed(0.0))
    highest = next_refresh(T0, T0 + life, Fixed(1.0 - 1e-12))
    # 2/3 + 0.10/3 = 70%; 2/3 + 0.20/3 = 73.3%: Vault's LifetimeWatcher numbers.
    assert lowest == T0 + life * 0.7
    assert abs(share(highest, T0, T0 + life) - (2 / 3 + 0.2 / 3)) < 1e-9
    rng = random.Random(7)
    draws = [share(next_refresh(T0, T0 + life, rng), T0, T0 + life) for _ in range(2000)]
    assert all(0.7 <= d < 2 / 3 + 0.2 / 3 for d in draws)
    # Jitter really spreads the times (not one fixed point), over most of the range.
    assert max(draws) - min(draws) > 0.03


def test_next_refresh_of_a_dead_lifetime_is_now() -> None:
    assert next_refresh(T0, T0, Fixed(0.5)) == T0
    assert next_refresh(T0, T0 - timedelta(seconds=5), Fixed(0.5)) == T0 - timedelta(seconds=5)


def test_backoff_doubles_from_10_seconds_to_5_minutes() -> None:
    assert (FIRST_BACKOFF, MAX_BACKOFF) == (10.0, 300.0)
    assert [backoff(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


# -- the real agent ------------------------------------------------------------------------------


def test_agent_refreshes_at_the_planned_share_of_a_short_lifetime(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    lifetime = 6
    add_app_token(vault, sim, "svc", lifetime=lifetime, token_left=timedelta(seconds=lifetime))
    first = read_cred(vault, "svc").token
    assert first is not None and first.expires_at is not None
    agents.start()
    plan = client.agent_schedule(vault, "svc")
    assert plan is not None and plan["enabled"] is True
    (entry,) = plan["next"]
    planned = parse_utc(entry["at"])
    assert 0.7 <= share(planned, first.issued_at, first.expires_at) < 0.7334
    # Nothing happens before the planned time; at it, exactly one token request.
    assert wait_until(
        lambda: read_cred(vault, "svc").token.value != first.value,  # type: ignore[union-attr]
        timeout=lifetime + 5,
    )
    second = read_cred(vault, "svc").token
    assert second is not None and second.value != first.value
    assert second.issued_at >= planned
    assert second.issued_at - planned < timedelta(seconds=1.5)
    # The next token is planned the same way from its own lifetime.
    assert wait_until(
        lambda: (
            (p := client.agent_schedule(vault, "svc")) is not None
            and p["next"]
            and parse_utc(p["next"][0]["at"]) > second.issued_at
        )
    )
    again = client.agent_schedule(vault, "svc")
    assert again is not None
    assert second.expires_at is not None
    nxt = parse_utc(again["next"][0]["at"])
    assert 0.7 <= share(nxt, second.issued_at, second.expires_at) < 0.7334
    assert sim.counters["app-token.generate"] == 1
    history = [e.kind for e in read_cred(vault, "svc").history]
    assert history.count(EventKind.REFRESHED) == 1


def test_agent_skips_revoked_policy_off_and_expired_root_secret(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    dead = timedelta(seconds=-5)
    add_app_token(vault, sim, "a-revoked", lifetime=60, revoked=True)
    add_app_token(vault, sim, "b-policy-off", lifetime=60, auto=False, token_left=dead)
    add_app_token(
        vault,
        sim,
        "c-secret-expired",
        lifetime=60,
        token_left=dead,
        secret_expires_at=now() - timedelta(days=1),
    )
    add_app_token(vault, sim, "d-due", lifetime=60, token_left=dead)
    agents.start()
    # The event to wait for: the one credential it may refresh has been refreshed, so the
    # round that planned all four is over.
    assert wait_until(lambda: read_cred(vault, "d-due").token.value != "SEEDED-d-due-TOKEN")  # type: ignore[union-attr]
    assert sim.counters["app-token.generate"] == 1
    for name in ("b-policy-off", "c-secret-expired"):
        cred = read_cred(vault, name)
        assert cred.token is not None and cred.token.value == f"SEEDED-{name}-TOKEN"
        assert cred.last_error is None
    shown = run_cli("agent", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    refresh = json.loads(shown.stdout)["refresh"]
    reasons = {e["name"]: e["reason"] for e in refresh["skipped"]}
    assert reasons["a-revoked"] == "revoked"
    assert reasons["b-policy-off"] == "auto-refresh is off"
    assert reasons["c-secret-expired"].startswith("the root secret expired on ")
    assert [e["name"] for e in refresh["next"]] == ["d-due"]
    text = run_cli("agent", "status")
    assert "Background refresh is on." in text.stdout
    assert "Next refreshes:\n  d-due  at " in text.stdout
    assert "a-revoked  revoked" in text.stdout
    assert "c-secret-expired  the root secret expired on " in text.stdout


def test_refresh_off_in_the_config_refreshes_nothing_and_says_so(
    vault: Path, agents: Agents, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[agent]\nrefresh = false\n")
    monkeypatch.setenv("TOKENVAULT_CONFIG", str(config))
    add_app_token(vault, sim, "svc", lifetime=60, token_left=timedelta(seconds=-5))
    agents.start()
    plan = client.agent_schedule(vault)
    assert plan is not None and plan["enabled"] is False
    assert "agent.refresh = false" in plan["reason"]
    text = run_cli("agent", "status")
    assert "Background refresh is off: turned off in the config" in text.stdout
    # The agent answered a request after any round it could have run: still nothing asked.
    assert client.agent_status(vault) is not None
    assert sim.counters["app-token.generate"] == 0


def test_a_failure_is_recorded_and_retried_after_10_seconds(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    add_app_token(vault, sim, "svc", lifetime=60, token_left=timedelta(seconds=-5))
    sim.inject_fault("/auth/app-token", "500", count=1)
    agents.start()
    assert wait_until(lambda: read_cred(vault, "svc").last_error is not None)
    cred = read_cred(vault, "svc")
    failed = [e for e in cred.history if e.kind == EventKind.FAILED]
    assert len(failed) == 1 and cred.token is not None  # the stored token was kept
    # The plan is redrawn in the agent's round after the failure was stored.
    assert wait_until(
        lambda: (
            (p := client.agent_schedule(vault, "svc")) is not None
            and [e["reason"] for e in p["next"]] == ["retry after 1 failure"]
        )
    )
    plan = client.agent_schedule(vault, "svc")
    assert plan is not None
    (entry,) = plan["next"]
    wait = (parse_utc(entry["at"]) - failed[0].at).total_seconds()
    assert 9.5 <= wait <= 10.5
    assert sim.counters["app-token.generate"] == 1


def test_failures_back_off_doubling_up_to_the_cap(vault: Path, sim: Simulator) -> None:
    """The loop itself, in-process with shortened waits, so the doubling is seen in seconds."""
    add_app_token(vault, sim, "svc", lifetime=60, token_left=timedelta(seconds=-5))
    sim.inject_fault("/auth/app-token", "500", count=4)
    key = bytearray(VaultStore.unlock(vault, "correct horse battery staple").data_key)
    refresher = Refresher(vault, key, first_backoff=0.3, max_backoff=0.7)
    refresher.start()
    try:
        assert wait_until(
            lambda: (
                read_cred(vault, "svc").last_error is None
                and sim.counters["app-token.generate.ok"] == 1
            ),
            timeout=20,
        )
    finally:
        refresher.stop()
    history = read_cred(vault, "svc").history
    failed = [e.at for e in history if e.kind == EventKind.FAILED]
    assert len(failed) == 4
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(failed)]
    # 0.3, 0.6, then 1.2 capped at 0.7 (each gap also holds one failed request's time).
    assert 0.3 <= gaps[0] < 0.55
    assert 0.6 <= gaps[1] < 0.85
    assert 0.7 <= gaps[2] < 0.95
    assert sim.counters["app-token.generate"] == 5


def test_agent_keeps_answering_while_a_refresh_hangs(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    add_app_token(vault, sim, "svc", lifetime=60, token_left=timedelta(seconds=-5))
    add_app_token(vault, sim, "other", lifetime=3600, auto=False, token_left=timedelta(hours=1))
    sim.inject_fault("/auth/app-token", "slow", delay=4.0)
    agents.start()
    assert wait_until(lambda: sim.counters["app-token.generate"] == 1)
    started = time.monotonic()
    assert client.agent_status(vault) is not None
    assert client.agent_token(vault, "other", 60) == "SEEDED-other-TOKEN"
    assert time.monotonic() - started < 1.0
    assert sim.counters["app-token.generate.ok"] == 0  # the refresh was still in flight
    assert wait_until(lambda: sim.counters["app-token.generate.ok"] == 1, timeout=10)


def test_the_plan_of_a_big_vault_fits_one_answer(vault: Path, agents: Agents) -> None:
    """400 long names are more than one frame: the answer is cut, the counts stay exact."""
    store = VaultStore.unlock(vault, "correct horse battery staple")
    with store.transaction() as data:
        for i in range(400):
            name = f"{i:03d}-" + "n" * 200
            data.credentials[name] = Credential(name=name, provider="app-token")
    store.close()
    agents.start()
    assert wait_until(
        lambda: (p := client.agent_schedule(vault)) is not None and p["counts"]["skipped"] == 400
    )
    plan = client.agent_schedule(vault)
    assert plan is not None
    assert 0 < len(plan["skipped"]) < 400
    assert plan["skipped"][0]["name"].startswith("000-")
    text = run_cli("agent", "status")
    assert f"... and {400 - len(plan['skipped'])} more." in text.stdout

"""The agent's desktop notifications, end to end: `tokenvault unlock` starts the real agent, which
runs the real `notify-send` against a real notification service (dunst) on a private session bus;
and `tokenvault doctor` asking that agent."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, run_cli, wait_until

from tests.desktop_support import Desktop, desktop
from vault.agent import client
from vault.core.clock import now
from vault.core.model import Credential, RefreshPolicy, Token
from vault.core.store import VaultStore

SECRET = "shiftiq-client-secret-0xDEADBEEF-41"
TOKEN = "APPTOKEN-live-value-BO8SS05DS4Q9K1"
OTHER = "long-lived-other-token-value-77"


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    with desktop() as running:
        # The agent inherits this from `tokenvault unlock`, as from a desktop session.
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", running.address)
        yield running


def seed(vault: Path) -> None:
    at = now()
    store = VaultStore.unlock(vault, PASSPHRASE)
    with store.transaction() as data:
        data.credentials["shiftiq-reports"] = Credential(
            name="shiftiq-reports",
            provider="secret-exchange",
            secrets={"client_secret": SECRET},
            secret_created_at=at - timedelta(days=85),
            secret_expires_at=at + timedelta(days=5),
            last_error=f"401 Your client secret {SECRET} is expired",
        )
        data.credentials["happay-uat"] = Credential(
            name="happay-uat",
            provider="app-token",
            secrets={"app_secret": SECRET},
            token=Token(
                value=TOKEN,
                issued_at=at - timedelta(hours=25) + timedelta(minutes=5),
                expires_at=at + timedelta(minutes=5),
            ),
            policy=RefreshPolicy(auto=False),
        )
        data.credentials["fine"] = Credential(
            name="fine",
            provider="app-token",
            secrets={"app_secret": SECRET},
            token=Token(value=OTHER, issued_at=at, expires_at=at + timedelta(hours=25)),
            policy=RefreshPolicy(auto=True),
        )
    store.close()


def reminder_status(vault: Path) -> dict[str, object]:
    status = client.agent_status(vault)
    assert status is not None
    return status["reminders"]  # type: ignore[no-any-return]


def test_the_agent_sends_each_due_reminder_once_without_a_secret(
    vault: Path, desk: Desktop
) -> None:
    seed(vault)
    assert run_cli("unlock", passphrase=True).returncode == 0
    try:
        notices = desk.wait_for(2)
        # The time left depends on when the agent looked: compare what comes before it.
        assert [(n.app, n.summary.rsplit(" in ", 1)[0]) for n in notices] == [
            ("tokenvault", "tokenvault: the token of happay-uat expires"),
            ("tokenvault", "tokenvault: the root secret of shiftiq-reports expires"),
        ]
        assert notices[1].summary.endswith(" in 4d 23h")
        assert "auto-refresh is off" in notices[0].body
        assert "tokenvault edit shiftiq-reports --secret-stdin" in notices[1].body
        for notice in notices:
            for secret in (SECRET, TOKEN, OTHER, "expired"):
                assert secret not in notice.texts()
        # Once: a vault change makes the agent check again at once; it sends nothing new.
        assert wait_until(lambda: reminder_status(vault)["checks"] == 1)  # the first is done
        checks = 1
        edit = run_cli("edit", "fine", "--set", "timeout=11")
        assert edit.returncode == 0, edit.stderr
        assert wait_until(lambda: int(reminder_status(vault)["checks"]) > checks)  # type: ignore[call-overload]
        # A marker after that check: the bus hands the monitor messages in order.
        subprocess.run(["notify-send", "marker", "after"], env=desk.env, check=True, timeout=10)
        after = desk.wait_for(3)
        assert [n.summary for n in after][2:] == ["marker"]
        assert reminder_status(vault)["sent"] == 2
        assert reminder_status(vault)["problem"] is None
    finally:
        run_cli("lock")


def test_doctor_asks_the_running_agent_without_a_passphrase_or_keeping_it_awake(
    vault: Path, desk: Desktop
) -> None:
    seed(vault)
    assert run_cli("unlock", "--timeout", "60", passphrase=True).returncode == 0
    try:
        start = int(client.agent_status(vault)["seconds_left"])  # type: ignore[index]
        assert wait_until(
            lambda: int(client.agent_status(vault)["seconds_left"]) <= start - 2,  # type: ignore[index]
            timeout=10,
        )
        result = run_cli("doctor", "--json")  # no passphrase anywhere: the agent's key
        assert result.returncode == 1, result.stderr
        doc = json.loads(result.stdout)
        assert doc["agent"] == "running" and doc["credentials"] == 3
        found = {(p["kind"], p["name"]) for p in doc["problems"]}
        assert ("secret-expiring", "shiftiq-reports") in found
        assert ("last-error", "shiftiq-reports") in found
        assert ("agent", None) in found
        assert SECRET not in result.stdout and TOKEN not in result.stdout
        # A cron job must not keep the vault unlocked: the idle timer was not restarted.
        assert int(client.agent_status(vault)["seconds_left"]) <= start - 2  # type: ignore[index]
    finally:
        run_cli("lock")


def test_a_failing_notification_tool_is_noted_once_and_doctor_says_so(
    vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed(vault)
    # A session bus nobody listens on: notify-send fails at once.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    assert run_cli("unlock", passphrase=True).returncode == 0
    try:
        assert wait_until(lambda: reminder_status(vault)["problem"] is not None)
        status = reminder_status(vault)
        assert status["sent"] == 0 and str(status["problem"]).startswith("notify-send failed")
        result = run_cli("doctor")
        assert result.returncode == 1
        assert any(
            line.startswith("warning notify-failed") for line in result.stdout.splitlines()
        ), result.stdout
        assert run_cli("agent", "status").returncode == 0  # the agent serves on regardless
    finally:
        run_cli("lock")

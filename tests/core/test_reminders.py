"""The reminder rules, walked through time with the clock shift (``vault.core.clock``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.desktop_support import desktop
from vault.agent.reminder import Reminders
from vault.core import clock
from vault.core.clock import now
from vault.core.config import NotifySettings
from vault.core.model import Credential, Event, EventKind, RefreshPolicy, Token
from vault.core.notify import Notifier
from vault.core.reminders import FAILING, SECRET, TOKEN, due

T0 = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
SECRET_VALUE = "shiftiq-client-secret-QX7Z9"
TOKEN_VALUE = "eyJhbGciOiJIUzI1NiJ9.live-token-VALUE-8812"
SETTINGS = NotifySettings()
UNREAD = Path("/nonexistent/never-opened.tvault")
"""``check()`` is handed the credentials; only the agent's loop reads the vault file."""


@pytest.fixture
def shift() -> Iterator[list[timedelta]]:
    """The clock stands at T0 plus whatever the test puts in the list."""
    offset = [timedelta(0)]
    clock.set_clock(lambda: T0 + offset[0])
    yield offset
    clock.set_clock(None)


def secret_cred(name: str = "shiftiq-reports", days_left: float = 40) -> Credential:
    cred = Credential(
        name=name,
        provider="secret-exchange",
        secrets={"client_secret": SECRET_VALUE},
        secret_created_at=T0 - timedelta(days=90 - days_left),
        secret_expires_at=T0 + timedelta(days=days_left),
        policy=RefreshPolicy(auto=False),
    )
    cred.last_error = f"401: Your client secret {SECRET_VALUE} is expired"
    return cred


def token_cred(left: timedelta, auto: bool = False) -> Credential:
    exp = T0 + left
    return Credential(
        name="happay-uat",
        provider="app-token",
        secrets={"app_secret": SECRET_VALUE},
        token=Token(value=TOKEN_VALUE, issued_at=exp - timedelta(hours=25), expires_at=exp),
        policy=RefreshPolicy(auto=auto),
    )


def keys_over_time(cred: Credential, shift: list[timedelta], days: list[float]) -> list[str]:
    """The secret reminder's threshold at each point, stepping the clock."""
    seen = []
    for day in days:
        shift[0] = timedelta(days=day)
        found = [r for r in due([cred], now(), SETTINGS) if r.kind == SECRET]
        seen.append(found[0].key[1] if found else "-")
    return seen


def test_root_secret_reminds_at_30_7_and_1_days(shift: list[timedelta]) -> None:
    cred = secret_cred(days_left=40)
    # 40 days left at T0: nothing until day 10 (30 left), then 7 left, 1 left, then it died.
    steps = [0, 9.99, 10, 20, 32.99, 33, 38.99, 39, 39.99, 40, 41]
    assert keys_over_time(cred, shift, steps) == [
        "-",
        "-",
        "secret-expiring-30d",
        "secret-expiring-30d",
        "secret-expiring-30d",
        "secret-expiring-7d",
        "secret-expiring-7d",
        "secret-expiring-1d",
        "secret-expiring-1d",
        "-",
        "-",
    ]


def test_each_secret_threshold_is_sent_once_through_a_real_notification_service(
    shift: list[timedelta], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's checker, the clock walked hour by hour over 31 days, the real notify-send
    and a real notification service: exactly three notices, at 30, 7 and 1 days."""
    cred = secret_cred(days_left=31)
    with desktop() as desk:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desk.address)
        checker = Reminders(UNREAD, bytearray(32), SETTINGS, notifier=Notifier())
        sent_at = []
        for hour in range(0, 32 * 24):
            shift[0] = timedelta(hours=hour)
            if checker.check([cred]):
                sent_at.append(hour)
        notices = desk.wait_for(3)
        assert checker.status()["checks"] == 32 * 24
    assert sent_at == [24, 24 * 24, 30 * 24]  # 30, 7 and 1 days before day 31
    assert [n.summary for n in notices] == [
        "tokenvault: the root secret of shiftiq-reports expires in 30d",
        "tokenvault: the root secret of shiftiq-reports expires in 7d 0h",
        "tokenvault: the root secret of shiftiq-reports expires in 1d 0h",
    ]
    assert {n.app for n in notices} == {"tokenvault"}
    assert [n.urgency for n in notices] == [1, 1, 2]  # the last day is critical
    for notice in notices:
        assert SECRET_VALUE not in notice.texts()


def test_an_agent_started_late_reminds_once_at_the_tightest_threshold() -> None:
    cred = secret_cred(days_left=5)
    found = due([cred], T0, SETTINGS)
    assert [r.key[1] for r in found] == ["secret-expiring-7d"]


def test_a_rotated_secret_is_a_new_reminder() -> None:
    cred = secret_cred(days_left=5)
    first = due([cred], T0, SETTINGS)[0].key
    cred.secret_expires_at = T0 + timedelta(days=6)
    assert due([cred], T0, SETTINGS)[0].key != first


def test_token_reminder_only_for_tokens_nothing_refreshes(shift: list[timedelta]) -> None:
    manual = token_cred(timedelta(minutes=25), auto=False)
    auto = token_cred(timedelta(minutes=25), auto=True)
    seen = []
    for minutes in (0, 14, 15, 20, 24, 25, 26):
        shift[0] = timedelta(minutes=minutes)
        seen.append(
            (
                [r.kind for r in due([manual], now(), SETTINGS)],
                [r.kind for r in due([auto], now(), SETTINGS)],
            )
        )
    # 10 minutes before expiry (minute 15) until it expires (minute 25); never for auto.
    assert seen == [
        ([], []),
        ([], []),
        ([TOKEN], []),
        ([TOKEN], []),
        ([TOKEN], []),
        ([], []),
        ([], []),
    ]
    shift[0] = timedelta(minutes=20)
    # Auto-refresh that nothing runs (agent refresh off), or a dead root secret, blocks it.
    assert [r.kind for r in due([auto], now(), SETTINGS, background=False)] == [TOKEN]
    auto.secret_expires_at = T0
    assert [r.kind for r in due([auto], now(), SETTINGS)] == [TOKEN]
    assert "its root secret has expired" in due([auto], now(), SETTINGS)[0].body
    assert due([manual], now(), NotifySettings(token_minutes=0)) == []


def test_refresh_failing_after_three_in_a_row() -> None:
    cred = token_cred(timedelta(hours=5), auto=True)
    cred.history = [Event(EventKind.GENERATED, T0)]
    for i in range(1, 5):
        cred.history.append(Event(EventKind.FAILED, T0 + timedelta(minutes=i), "HTTP 503"))
        cred.history.append(Event(EventKind.COPIED, T0 + timedelta(minutes=i)))
        kinds = [r.kind for r in due([cred], T0, SETTINGS)]
        assert kinds == ([FAILING] if i >= 3 else []), i
    # One run of failures is one key, however long it goes on.
    key = due([cred], T0, SETTINGS)[0].key
    cred.history.append(Event(EventKind.FAILED, T0 + timedelta(minutes=9)))
    assert due([cred], T0, SETTINGS)[0].key == key
    assert "failed 5 times in a row" in due([cred], T0, SETTINGS)[0].summary
    cred.history.append(Event(EventKind.REFRESHED, T0 + timedelta(minutes=10)))
    assert due([cred], T0, SETTINGS) == []
    assert due([cred], T0, NotifySettings(failures=1)) == []


def test_no_reminder_holds_a_secret_a_token_or_the_providers_words() -> None:
    creds = [secret_cred(days_left=0.5), token_cred(timedelta(minutes=3))]
    creds[1].policy.auto = True
    creds[1].secret_expires_at = T0 - timedelta(days=1)
    creds[1].history = [Event(EventKind.FAILED, T0, f"echoed {SECRET_VALUE}")] * 3
    creds[1].last_error = f"echoed {SECRET_VALUE}"
    found = due(creds, T0, SETTINGS)
    assert {r.kind for r in found} == {SECRET, TOKEN, FAILING}
    for reminder in found:
        text = reminder.summary + reminder.body + repr(reminder.key)
        assert SECRET_VALUE not in text and TOKEN_VALUE not in text
        assert "echoed" not in text


def test_notifier_picks_the_desktops_tool() -> None:
    def only(tool: str) -> object:
        return lambda name: f"/usr/bin/{name}" if name == tool else None

    mac = Notifier("darwin", only("osascript"))  # type: ignore[arg-type]
    argv = mac.argv("tokenvault: x", 'say "hi"')
    assert argv is not None and argv[0] == "/usr/bin/osascript"
    # The texts are arguments of `on run`, never spliced into the script.
    assert argv[-2:] == ["tokenvault: x", 'say "hi"']
    assert not any('say "hi"' in part for part in argv[:-2])
    linux = Notifier("linux", only("notify-send"))  # type: ignore[arg-type]
    argv = linux.argv("s\x1b[2Jx", "<b>a&b</b>")
    assert argv is not None and argv[-3:] == ["--", "s\\x1b[2Jx", "&lt;b&gt;a&amp;b&lt;/b&gt;"]
    bare = Notifier("linux", only("nothing"))  # type: ignore[arg-type]
    assert bare.kind == "none" and bare.send("a", "b") is None


def test_notifications_off_start_no_checker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = Reminders(UNREAD, bytearray(32), NotifySettings(enabled=False))
    off.start()
    assert off.status()["enabled"] is False and off._thread is None
    # An unreadable config notifies nothing either, and says why.
    bad = tmp_path / "config.toml"
    bad.write_text("[notify\n")
    monkeypatch.setenv("TOKENVAULT_CONFIG", str(bad))
    unread = Reminders(UNREAD, bytearray(32))
    assert unread.status()["enabled"] is False
    assert "config file could not be read" in str(unread.status()["problem"])

"""doctor's judgement (vault.core.doctor.diagnose) and the ``[notify]`` table it shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from vault.core.config import NotifySettings, load_config
from vault.core.doctor import AgentState, diagnose, healthy
from vault.core.model import Credential, RefreshPolicy, Token

AT = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
SECRET = "client-secret-ZZ81-never-shown"


def cred(name: str, **fields: object) -> Credential:
    made = Credential(name=name, provider="secret-exchange", secrets={"client_secret": SECRET})
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def kinds(problems: list) -> list[tuple[str, str | None, str]]:
    return [(p.kind, p.name, p.severity) for p in problems]


def test_a_healthy_vault_has_only_information() -> None:
    fine = cred("fine", secret_expires_at=AT + timedelta(days=31))
    found = diagnose([fine], AT, agent=AgentState("not-running"))
    assert kinds(found) == [("agent", None, "info")]
    assert healthy(found)


def test_root_secrets_within_the_window_and_expired_ones() -> None:
    creds = [
        cred("soon", secret_expires_at=AT + timedelta(days=29)),
        cred("later", secret_expires_at=AT + timedelta(days=45)),
        cred("dead", secret_expires_at=AT - timedelta(days=2)),
    ]
    assert kinds(diagnose(creds, AT)) == [
        ("secret-expired", "dead", "error"),
        ("secret-expiring", "soon", "warning"),
    ]
    assert not healthy(diagnose(creds[:1], AT)), "a secret running out needs a person too"
    wide = diagnose(creds, AT, within=timedelta(days=60))
    assert ("secret-expiring", "later", "warning") in kinds(wide)
    narrow = diagnose(creds, AT, within=timedelta(days=7))
    assert ("secret-expiring", "soon", "warning") not in kinds(narrow)
    assert not healthy(narrow)


def test_expired_tokens_count_only_when_nothing_will_refresh_them() -> None:
    def expired() -> Token:
        return Token(
            value="tok", issued_at=AT - timedelta(hours=2), expires_at=AT - timedelta(hours=1)
        )

    creds = [
        cred("manual", token=expired(), policy=RefreshPolicy(auto=False)),
        cred("auto", token=expired(), policy=RefreshPolicy(auto=True)),
        cred(
            "auto-dead-secret",
            token=expired(),
            policy=RefreshPolicy(auto=True),
            secret_expires_at=AT - timedelta(days=1),
        ),
    ]
    found = [p for p in diagnose(creds, AT) if p.kind == "token-expired"]
    assert [(p.name, p.severity) for p in found] == [
        ("auto-dead-secret", "error"),
        ("manual", "error"),
    ]
    assert "expired 1h ago and auto-refresh is off" in found[1].message


def test_last_errors_are_masked_and_the_rest_is_listed() -> None:
    broken = cred("broken", last_error=f"HTTP 401: your secret {SECRET} is not recognized")
    found = diagnose(
        [broken],
        AT,
        exposure="Warning: other users can read or write /v (mode 0755); chmod 700.",
        agent=AgentState("not-answering", "The agent is not answering (no reply within 1 s)"),
        config_warnings=["/c/config.toml: notify.failures: must be a whole number"],
    )
    assert kinds(found) == [
        ("agent-not-answering", None, "error"),
        ("file-mode", None, "error"),
        ("last-error", "broken", "error"),
        ("config", None, "warning"),
    ]
    for problem in found:
        assert SECRET not in problem.message
        assert SECRET not in str(problem.to_dict())


def test_a_locked_vault_and_a_running_agents_troubles() -> None:
    agent = AgentState(
        "running",
        " (pid 7)",
        refreshing=True,
        refresh_problem="The key is wrong.",
        notify_problem="notify-send failed: no bus",
    )
    found = diagnose(None, AT, agent=agent)
    assert kinds(found) == [
        ("agent-cannot-read", None, "error"),
        ("vault-locked", None, "error"),
        ("notify-failed", None, "warning"),
        ("agent", None, "info"),
    ]
    assert found[0].to_dict()["message"].startswith("The agent cannot read the vault")


def test_the_notify_table_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        "[notify]\nenabled = false\nsecret_days = [1, 14, 14]\ntoken_minutes = 0\nfailures = 5\n"
    )
    cfg = load_config(good)
    assert cfg.warnings == []
    assert cfg.notify == NotifySettings(
        enabled=False, secret_days=(14, 1), token_minutes=0, failures=5
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[notify]\nenabled = "yes"\nsecret_days = [0]\ntoken_minutes = 99999\n'
        "failures = true\nsound = 1\n"
    )
    cfg = load_config(bad)
    assert cfg.notify == NotifySettings()
    assert [w.split(": ")[1] for w in cfg.warnings] == [
        "notify.sound",
        "notify.enabled",
        "notify.secret_days",
        "notify.token_minutes",
        "notify.failures",
    ]
    assert all(w.startswith(str(bad)) for w in cfg.warnings)

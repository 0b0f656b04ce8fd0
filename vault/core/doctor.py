"""`tokenvault doctor`'s findings: every problem of a vault as one pure function of what was read.

The command gathers the inputs (the decrypted credentials, the file modes' warning, the
agent's state, the config's warnings) and this module judges them, so the rules are tested
without a terminal, an agent or a clock. A finding holds names, times and the vault's own
masked error text (``summary.masked_text``): never a secret or a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vault.core.clock import iso
from vault.core.model import Credential, Status
from vault.core.names import shell_word
from vault.core.reminders import failure_streak, refresh_blocked
from vault.core.summary import format_left, masked_text

ERROR = "error"
"""Needs a person now: something is broken or already expired."""
WARNING = "warning"
"""Needs a person soon: something runs out within the window."""
INFO = "info"
"""State worth seeing (the agent is not running); healthy all the same."""

DEFAULT_WITHIN = timedelta(days=30)
"""How far ahead ``doctor`` looks for root secrets that run out."""


@dataclass(frozen=True)
class Problem:
    """One finding of ``doctor``: a line of its output, an object of its ``--json``."""

    kind: str
    """secret-expired, secret-expiring, token-expired, last-error, file-mode, vault-locked,
    agent-not-answering, agent-cannot-read, notify-failed, config, agent."""
    severity: str
    """``error``, ``warning`` or ``info``."""
    message: str
    """One sentence a person can act on."""
    name: str | None = None
    """The credential it is about, if any."""
    at: datetime | None = None
    """When the thing happens or happened (an expiry), if it is about a time."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "name": self.name,
            "message": self.message,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class AgentState:
    """What ``doctor`` learnt from the agent (``client.agent_status``)."""

    state: str
    """``running``, ``not-running`` or ``not-answering``."""
    detail: str = ""
    """The client's sentence when it did not answer; for ``running``, when it locks."""
    refreshing: bool = False
    """It refreshes auto-refresh credentials in the background."""
    refresh_problem: str | None = None
    """Its refresher cannot read the vault (a rotated key, say)."""
    notify_problem: str | None = None
    """Its notification tool failed (``Reminders.status()``)."""


def _secret(cred: Credential, at: datetime, within: timedelta) -> Problem | None:
    expires = cred.secret_expires_at
    if expires is None:
        return None
    day = expires.strftime("%Y-%m-%d")
    # Quoted for a shell, so the command pastes back for any name (a space, quote, ; or $).
    word = shell_word(cred.name)
    rotate = f"create a new one at the provider, then `tokenvault edit {word} --secret-stdin`"
    if expires <= at:
        return Problem(
            "secret-expired",
            ERROR,
            f"The root secret expired on {day}; no new token can be made until you {rotate}.",
            cred.name,
            expires,
        )
    if expires - at <= within:
        left = format_left(int((expires - at).total_seconds()))
        return Problem(
            "secret-expiring",
            WARNING,
            f"The root secret expires on {day} (in {left}); {rotate}.",
            cred.name,
            expires,
        )
    return None


def _token(cred: Credential, at: datetime) -> Problem | None:
    token = cred.token
    if token is None or cred.token_status(at) is not Status.EXPIRED:
        return None
    # An auto-refresh credential gets a new token the next time one is asked for (or from the
    # agent): only one nothing will refresh is a person's job.
    why = refresh_blocked(cred, at)
    if why is None:
        return None
    assert token.expires_at is not None
    ago = format_left(token.seconds_left(at))
    word = shell_word(cred.name)
    return Problem(
        "token-expired",
        ERROR,
        f"The token {ago} and {why}; run `tokenvault refresh {word}` if it is still "
        "needed, or revoke it.",
        cred.name,
        token.expires_at,
    )


def _error(cred: Credential) -> Problem | None:
    if not cred.last_error:
        return None
    count, _first = failure_streak(cred)
    times = f" ({count} failures in a row)" if count > 1 else ""
    text = (masked_text(cred, cred.last_error) or "").rstrip(".")
    return Problem("last-error", ERROR, f"The last attempt failed{times}: {text}.", cred.name)


def diagnose(
    creds: list[Credential] | None,
    at: datetime,
    *,
    within: timedelta = DEFAULT_WITHIN,
    exposure: str | None = None,
    agent: AgentState | None = None,
    config_warnings: list[str] | None = None,
) -> list[Problem]:
    """Every problem, errors first, then warnings, then information; by name within each.

    Args:
        creds: the vault's credentials, or None when the vault could not be opened (locked,
            no passphrase): that itself is an error, since nothing else was checked.
        at: now.
        within: how far ahead a root secret's expiry counts.
        exposure: ``exposure.exposure_warning`` of the vault, if any.
        agent: the agent's state; None when it was not asked.
        config_warnings: ``Config.warnings``.
    """
    found: list[Problem] = []
    if creds is None:
        found.append(
            Problem(
                "vault-locked",
                ERROR,
                "The vault is locked and no passphrase was given, so no credential was "
                "checked; run `tokenvault unlock` first or give --passphrase-file.",
            )
        )
    for cred in creds or []:
        for problem in (_secret(cred, at, within), _token(cred, at), _error(cred)):
            if problem is not None:
                found.append(problem)
    if exposure:
        found.append(Problem("file-mode", ERROR, exposure))
    for warning in config_warnings or []:
        found.append(Problem("config", WARNING, f"{warning.rstrip('.')}."))
    if agent is not None:
        found.extend(_agent(agent))
    rank = {ERROR: 0, WARNING: 1, INFO: 2}
    return sorted(found, key=lambda p: (rank[p.severity], p.name or "", p.kind))


def _agent(agent: AgentState) -> list[Problem]:
    if agent.state == "not-answering":
        return [
            Problem(
                "agent-not-answering",
                ERROR,
                f"{agent.detail.rstrip('.')}; end it with `kill` and run `tokenvault unlock` "
                "again.",
            )
        ]
    if agent.state != "running":
        return [Problem("agent", INFO, "No agent runs: the vault is locked between commands.")]
    found = [Problem("agent", INFO, f"The agent runs{agent.detail}.")]
    if agent.refresh_problem:
        found.append(
            Problem(
                "agent-cannot-read",
                ERROR,
                f"The agent cannot read the vault: {agent.refresh_problem.rstrip('.')}; run "
                "`tokenvault lock` and `tokenvault unlock`.",
            )
        )
    if agent.notify_problem:
        found.append(
            Problem(
                "notify-failed",
                WARNING,
                f"The agent cannot show desktop notifications: {agent.notify_problem}.",
            )
        )
    return found


def healthy(problems: list[Problem]) -> bool:
    """True when nothing needs a person (only information was found)."""
    return all(p.severity == INFO for p in problems)

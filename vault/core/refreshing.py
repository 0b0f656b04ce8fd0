"""Refresh many credentials at once: plan under each credential's refresh lock, ask the
providers in parallel over one pooled client, then record every outcome in one transaction.

``vault.core.arefresh`` is the asyncio twin (plan and record are shared); one credential at a
time is ``vault.core.tokens``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from vault.core import refreshlock
from vault.core.errors import CredentialNotFound, ProviderError, UsageError, VaultError
from vault.core.model import EventKind, Token
from vault.core.providers.base import TokenResult
from vault.core.providers.engine import Engine
from vault.core.store import VaultStore
from vault.core.tokens import (
    Mark,
    _apply_failure,
    _apply_success,
    _client,
    _discarded,
    _failure,
    _mark,
    _prepare,
    _revoked_since,
)


@dataclass
class RefreshOutcome:
    """What ``refresh_many`` did for one name."""

    name: str
    ok: bool
    token: Token | None = field(default=None, repr=False)
    error: str | None = None
    """The one-sentence failure, as stored in the credential's ``last_error``."""


def refresh_many(
    store: VaultStore,
    names: Sequence[str],
    *,
    concurrency: int = 8,
    client: httpx.Client | None = None,
) -> dict[str, RefreshOutcome]:
    """Generate new tokens for ``names``, at most ``concurrency`` requests in flight.

    One shared ``httpx.Client`` keeps connections alive across credentials; all outcomes are
    then stored in a single transaction (one file write, not one per credential).

    Each name's refresh lock is held from its request to the save. A name another process is
    refreshing right now is left until that finishes, then its new token is used (see
    ``generate``); the wait happens holding no other lock, so two processes refreshing
    overlapping sets never wait on each other.

    Returns:
        An outcome per name (in the order given); failures are recorded, never raised.
    """
    before = {name: refreshlock.seen(store.data.credentials, name) for name in names}
    outcomes: dict[str, RefreshOutcome] = {}
    waiting: list[str] = []
    unique = list(dict.fromkeys(names))
    for start in range(0, len(unique), LOCK_BATCH):
        fds: dict[str, int] = {}
        try:
            for name in unique[start : start + LOCK_BATCH]:
                fd = refreshlock.try_acquire(store.path, name)
                if fd is None:
                    waiting.append(name)
                else:
                    fds[name] = fd
            if fds:
                outcomes.update(_refresh_locked(store, list(fds), before, concurrency, client))
        finally:
            for fd in fds.values():
                refreshlock.release(fd)
    for name in waiting:
        try:
            with refreshlock.held(store.path, name):
                outcomes.update(_refresh_locked(store, [name], before, concurrency, client))
        except VaultError as exc:
            outcomes[name] = RefreshOutcome(name, False, error=exc.message)
    return {name: outcomes[name] for name in names if name in outcomes}


LOCK_BATCH = 256
"""Refresh locks ``refresh_many`` holds at once (one file descriptor each)."""


@dataclass
class RefreshPlan:
    """What a refresh of names whose refresh locks are held will ask, and what it knew first."""

    outcomes: dict[str, RefreshOutcome] = field(default_factory=dict)
    """Names settled without a request (gone, or another process just refreshed them)."""
    jobs: list[tuple[str, Engine]] = field(default_factory=list)
    results: dict[str, TokenResult | VaultError] = field(default_factory=dict)
    had_token: dict[str, bool] = field(default_factory=dict)
    began: dict[str, Mark] = field(default_factory=dict)

    @property
    def timeout(self) -> float:
        return max((engine.timeout for _, engine in self.jobs), default=10.0)


def plan_refresh(
    store: VaultStore, names: Sequence[str], before: dict[str, refreshlock.Seen]
) -> RefreshPlan:
    """Re-read the vault and prepare one request per name (file work: a thread's job)."""
    data = store.reload()
    plan = RefreshPlan()
    for name in names:
        cred = data.credentials.get(name)
        if cred is None:
            plan.outcomes[name] = RefreshOutcome(
                name, False, error=CredentialNotFound(name).message
            )
            continue
        theirs = refreshlock.replaced(cred, before[name])
        if theirs is not None:
            plan.outcomes[name] = RefreshOutcome(name, True, theirs)  # another process did it
            continue
        plan.had_token[name] = cred.token is not None
        plan.began[name] = _mark(cred)
        try:
            plan.jobs.append((name, _prepare(cred)))
        except UsageError as exc:
            plan.results[name] = exc
    return plan


def record_refresh(store: VaultStore, plan: RefreshPlan) -> dict[str, RefreshOutcome]:
    """Store every answer of ``plan`` in one transaction; the outcome per name."""
    outcomes = dict(plan.outcomes)
    if not plan.results:
        return outcomes
    with store.transaction() as fresh:
        for name, result in plan.results.items():
            cred = fresh.credentials.get(name)
            if cred is None:
                outcomes[name] = RefreshOutcome(name, False, error=CredentialNotFound(name).message)
            elif isinstance(result, TokenResult) and _revoked_since(cred, plan.began[name]):
                message = _discarded(name).message
                cred.record(EventKind.FAILED, message)
                outcomes[name] = RefreshOutcome(name, False, error=message)
            elif isinstance(result, TokenResult):
                outcomes[name] = RefreshOutcome(name, True, _apply_success(cred, result, ()))
            else:
                had = plan.had_token[name]
                message = _failure(name, "refresh", result, had_token=had, cred=cred).message
                _apply_failure(cred, message, ())
                outcomes[name] = RefreshOutcome(name, False, error=message)
    return outcomes


def _refresh_locked(
    store: VaultStore,
    names: Sequence[str],
    before: dict[str, refreshlock.Seen],
    concurrency: int,
    client: httpx.Client | None,
) -> dict[str, RefreshOutcome]:
    """``refresh_many`` for names whose refresh locks this process holds."""
    concurrency = max(1, min(concurrency, 64))
    plan = plan_refresh(store, names, before)

    def fetch(job: tuple[str, Engine]) -> tuple[str, TokenResult | VaultError]:
        name, engine = job
        try:
            return name, engine.generate(http_client)
        except (ProviderError, UsageError) as exc:
            return name, exc

    with _client(client, plan.timeout, pool=concurrency) as http_client:
        if plan.jobs:
            with ThreadPoolExecutor(max_workers=min(concurrency, len(plan.jobs))) as pool:
                plan.results.update(pool.map(fetch, plan.jobs))
    return record_refresh(store, plan)


# -- revoke ------------------------------------------------------------------------------------

"""``refresh_many`` for asyncio callers: the requests are awaited, so cancelling stops them.

The TUI's escape cancels a refresh like a generate: the worker's task is cancelled while its
token requests are in flight, the requests are abandoned and nothing is stored (the refresh
locks are released on the way out). Once every answer is in, the outcomes are stored in one
transaction in a thread; a cancel arriving then waits for that transaction to finish (anyio
does not abandon a thread), so the vault never holds half a refresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import anyio.to_thread
import httpx

from vault.core import refreshlock
from vault.core.errors import ProviderError, UsageError, VaultError
from vault.core.providers.base import TokenResult
from vault.core.providers.engine import Engine
from vault.core.refreshing import RefreshOutcome, plan_refresh, record_refresh
from vault.core.store import VaultStore


async def arefresh_many(
    store: VaultStore, names: Sequence[str], *, concurrency: int = 8
) -> dict[str, RefreshOutcome]:
    """``tokens.refresh_many`` on the event loop, at most ``concurrency`` requests at once.

    Returns:
        An outcome per name (in the order given); failures are recorded, never raised.
    """
    before = {name: refreshlock.seen(store.data.credentials, name) for name in names}
    unique = list(dict.fromkeys(names))
    outcomes: dict[str, RefreshOutcome] = {}
    fds: dict[str, int] = {}
    waiting: list[str] = []
    try:
        for name in unique:
            fd = refreshlock.try_acquire(store.path, name)
            if fd is None:
                waiting.append(name)  # another process refreshes it: use its token after
            else:
                fds[name] = fd
        if fds:
            outcomes.update(await _refresh_locked(store, list(fds), before, concurrency))
    finally:
        for fd in fds.values():
            refreshlock.release(fd)
    for name in waiting:
        try:
            async with refreshlock.aheld(store.path, name):
                outcomes.update(await _refresh_locked(store, [name], before, concurrency))
        except VaultError as exc:
            outcomes[name] = RefreshOutcome(name, False, error=exc.message)
    return {name: outcomes[name] for name in names if name in outcomes}


async def _refresh_locked(
    store: VaultStore,
    names: list[str],
    before: dict[str, refreshlock.Seen],
    concurrency: int,
) -> dict[str, RefreshOutcome]:
    plan = await anyio.to_thread.run_sync(plan_refresh, store, names, before)
    gate = asyncio.Semaphore(max(1, min(concurrency, 64)))

    async def fetch(
        client: httpx.AsyncClient, name: str, engine: Engine
    ) -> tuple[str, TokenResult | VaultError]:
        async with gate:
            try:
                return name, await engine.agenerate(client)
            except (ProviderError, UsageError) as exc:
                return name, exc

    if plan.jobs:
        async with httpx.AsyncClient(timeout=plan.timeout) as client:
            answers = await asyncio.gather(*(fetch(client, n, e) for n, e in plan.jobs))
        plan.results.update(answers)
    return await anyio.to_thread.run_sync(record_refresh, store, plan)

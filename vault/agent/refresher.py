"""The agent's background refresh: each auto-refresh credential at ~70% of its token's lifetime.

The schedule is HashiCorp Vault's LifetimeWatcher's (``next_refresh``); failures back off from
10 s, doubling, to 5 minutes. Refreshes go through ``vault.core.tokens.generate`` like the
CLI's, so they take the credential's refresh lock, save through the store's lock and record
failures on the credential; the CLI and the TUI simply see the new token. The loop runs in its
own thread and each refresh in a worker thread, so the agent keeps answering meanwhile.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from vault.core.clock import iso, now
from vault.core.errors import VaultError
from vault.core.model import Credential, Token

FIRST_BACKOFF = 10.0
"""Seconds before the first retry after a failed refresh; each further failure doubles it."""

MAX_BACKOFF = 300.0
"""The longest wait between retries: a provider that is down is asked every 5 minutes."""

POLL = 1.0
"""Longest sleep of the loop: it re-reads the vault (only the header, when unchanged) at least
this often, so credentials added or changed by the CLI or the TUI are planned promptly."""

WORKERS = 4
"""Refreshes in flight at once; one slow provider must not hold up every other credential."""

REPLY_BUDGET = 40_000
"""Bytes of names and times a ``schedule`` answer carries at most (the frame cap is 64 KiB)."""


class Random(Protocol):
    def random(self) -> float: ...


def next_refresh(issued_at: datetime, expires_at: datetime, rng: Random) -> datetime:
    """When to refresh a token: Vault's LifetimeWatcher numbers, as one formula.

    LifetimeWatcher sleeps ``2/3 * lease + grace/3`` where ``grace`` is drawn uniformly from
    10% to 20% of the lease. So the refresh falls between 70% and 73.3% of the lifetime: late
    enough not to waste tokens, early enough that two more tries (after 10 s and 20 s of
    backoff) fit before expiry, and spread so many agents do not hit a provider in step.

    Args:
        issued_at: when the token was issued.
        expires_at: when it expires.
        rng: ``random.Random`` or anything with ``random()`` in [0, 1).
    """
    life = expires_at - issued_at
    if life <= timedelta(0):
        return expires_at
    grace = life * (0.1 + 0.1 * rng.random())
    return issued_at + life * 2 / 3 + grace / 3


def backoff(failures: int, first: float = FIRST_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait after the ``failures``-th failure in a row: 10, 20, 40, ... up to 300."""
    return float(min(cap, first * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class Planned:
    """What the agent will do for one credential (names and times only, nothing secret)."""

    name: str
    at: datetime | None
    """When it will be refreshed; None when it will not be."""
    reason: str = ""
    """Why not (``at`` is None), or that this is a retry after failures."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "at": iso(self.at), "reason": self.reason}


Ident = tuple[datetime, datetime | None]
"""A token told apart by its times, so the schedule never keeps a token value around."""


def _ident(token: Token) -> Ident:
    return token.issued_at, token.expires_at


def skip_reason(cred: Credential, at: datetime) -> str | None:
    """Why the agent will not refresh ``cred``, or None when it will."""
    if not cred.policy.auto:
        return "auto-refresh is off"
    if cred.token is None:
        return "revoked" if cred.revoked else "no token yet (generate one first)"
    left = cred.secret_seconds_left(at)
    if left is not None and left <= 0:
        assert cred.secret_expires_at is not None
        # The provider would refuse; asking again every few minutes only adds failures.
        day = cred.secret_expires_at.strftime("%Y-%m-%d")
        return f"the root secret expired on {day}: rotate it, then edit the credential"
    if cred.token.expires_at is None:
        return "the token has no known expiry"
    return None


class Refresher:
    """Plans and runs the background refreshes of one vault.

    Args:
        vault: the vault file.
        key: the agent's data key buffer; once the agent zeroes it, nothing opens the vault.
        enabled: ``[agent] refresh`` from the config.
        off_reason: why it is disabled, for ``agent status``.
        rng: the jitter's source (``random.Random()`` by default).
        first_backoff: seconds before the first retry (tests shorten it).
        max_backoff: the cap on retry waits.
    """

    def __init__(
        self,
        vault: Path,
        key: bytearray,
        *,
        enabled: bool = True,
        off_reason: str = "",
        rng: Random | None = None,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.vault = vault
        self.enabled = enabled
        self.off_reason = off_reason
        self._key = key
        self._rng = rng or random.Random()
        self._first = first_backoff
        self._cap = max_backoff
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(WORKERS)
        self._times: dict[str, tuple[Ident, datetime]] = {}
        """The jittered time drawn once per token, so replanning never moves it."""
        self._failures: dict[str, tuple[Ident, int, datetime]] = {}
        """Failures in a row on the same token and when to try again."""
        self._inflight: set[str] = set()
        self._entries: list[Planned] = []
        self._problem: str | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Refresher(vault={str(self.vault)!r}, enabled={self.enabled})"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a daemon thread (after the agent's fork: threads do not survive it)."""
        if not self.enabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="refresher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the loop; a refresh in flight finishes or fails on the zeroed key."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    # -- the plan ----------------------------------------------------------------------------

    def plan(self, cred: Credential, at: datetime) -> Planned:
        """The next refresh of ``cred`` (or why there is none), drawing its jitter once."""
        reason = skip_reason(cred, at)
        if reason is not None:
            return Planned(cred.name, None, reason)
        token = cred.token
        assert token is not None and token.expires_at is not None
        ident = _ident(token)
        with self._lock:
            failed = self._failures.get(cred.name)
            if failed is not None and failed[0] == ident:
                count = failed[1]
                noun = "failure" if count == 1 else "failures"
                return Planned(cred.name, failed[2], f"retry after {count} {noun}")
            drawn = self._times.get(cred.name)
            if drawn is None or drawn[0] != ident:
                drawn = ident, next_refresh(token.issued_at, token.expires_at, self._rng)
                self._times[cred.name] = drawn
        return Planned(cred.name, drawn[1])

    def schedule(self, name: str | None = None) -> dict[str, Any]:
        """The answer to the agent's ``schedule`` request: soonest first, then the skipped.

        Bounded (``REPLY_BUDGET``) however many credentials the vault holds; ``counts`` says
        how many there are in all.
        """
        with self._lock:
            entries = list(self._entries)
            problem = self._problem
        if name is not None:
            entries = [e for e in entries if e.name == name]
        planned = sorted((e for e in entries if e.at is not None), key=lambda e: e.at or now())
        skipped = sorted((e for e in entries if e.at is None), key=lambda e: e.name)
        budget = REPLY_BUDGET
        shown: dict[str, list[dict[str, Any]]] = {"next": [], "skipped": []}
        for key, group in (("next", planned), ("skipped", skipped)):
            for entry in group:
                item = entry.to_dict()
                budget -= len(json.dumps(item))
                if budget < 0:
                    break
                shown[key].append(item)
        return {
            "enabled": self.enabled,
            "reason": self.off_reason,
            "problem": problem,
            "counts": {"next": len(planned), "skipped": len(skipped)},
            **shown,
        }

    # -- the loop ----------------------------------------------------------------------------

    def _open(self) -> Any:
        from vault.core.store import VaultStore

        return VaultStore.from_key(self.vault, bytes(self._key))

    def _run(self) -> None:
        store = None
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    if store is None:
                        store = self._open()
                    data = store.reload()
                except VaultError as exc:
                    # A rotated key or a vault being replaced: say so, try again shortly.
                    with self._lock:
                        self._problem = exc.message
                    if store is not None:
                        store.close()
                    store = None
                    self._wake.wait(POLL)
                    continue
                self._wake.wait(self._round(list(data.credentials.values())))
        finally:
            if store is not None:
                store.close()

    def _round(self, creds: list[Credential]) -> float:
        """Plan every credential, start the due refreshes; the seconds until the next one."""
        at = now()
        entries = [self.plan(cred, at) for cred in creds]
        names = {cred.name for cred in creds}
        with self._lock:
            self._problem = None
            self._entries = entries
            # Forget removed (or renamed) credentials: their state must not grow without bound.
            for gone in set(self._times) - names:
                del self._times[gone]
            for gone in set(self._failures) - names:
                del self._failures[gone]
            inflight = set(self._inflight)
        wait = POLL
        tokens_by_name = {cred.name: cred.token for cred in creds}
        for entry in entries:
            if entry.at is None or entry.name in inflight:
                continue
            left = (entry.at - at).total_seconds()
            if left > 0:
                wait = min(wait, left)
                continue
            if not self._slots.acquire(blocking=False):
                continue  # all workers busy: one finishing wakes the loop
            token = tokens_by_name[entry.name]
            assert token is not None
            with self._lock:
                self._inflight.add(entry.name)
            threading.Thread(
                target=self._refresh, args=(entry.name, _ident(token)), daemon=True
            ).start()
        return max(0.02, wait)

    def _refresh(self, name: str, ident: Ident) -> None:
        from vault.core import tokens

        try:
            store = self._open()
            try:
                cred = store.data.credentials.get(name)
                if cred is None or cred.token is None or _ident(cred.token) != ident:
                    return  # changed since it was planned: the next round plans it afresh
                tokens.generate(store, name)
            finally:
                store.close()
        except VaultError:
            # The failure is recorded on the credential by `generate` (last_error, history).
            with self._lock:
                failed = self._failures.get(name)
                count = failed[1] + 1 if failed is not None and failed[0] == ident else 1
                retry = now() + timedelta(seconds=backoff(count, self._first, self._cap))
                self._failures[name] = (ident, count, retry)
        else:
            with self._lock:
                self._failures.pop(name, None)
        finally:
            with self._lock:
                self._inflight.discard(name)
            self._slots.release()
            self._wake.set()

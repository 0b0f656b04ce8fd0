"""One provider operation at a time per credential: what runs, for the row, the count, escape.

A second ``r`` while a refresh is in flight must never send a second request (the provider
may rate-limit, or revoke the first token when it mints the second), so an action first asks
``begin``; a refusal is a sentence for a toast ("already refreshing").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from textual.message import Message
from textual.worker import Worker


class OperationsChanged(Message):
    """Posted (to the main screen) whenever an operation starts or ends."""

    def __init__(self, running: dict[str, str]) -> None:
        super().__init__()
        self.running = running
        """Credential name -> what it is doing ("refreshing…")."""

    @property
    def count(self) -> int:
        return len(self.running)


@dataclass
class _Running:
    what: str
    started: float = field(default_factory=time.monotonic)
    worker: Worker[None] | None = None
    cancelled: bool = False


class Operations:
    """The running operations of one screen, keyed by credential name."""

    def __init__(self) -> None:
        self._running: dict[str, _Running] = {}

    def begin(self, names: list[str], what: str) -> str | None:
        """Claim ``names`` for ``what`` ("refreshing…"); a refusal sentence if one is busy."""
        busy = [n for n in names if n in self._running]
        if busy:
            doing = self._running[busy[0]].what.rstrip("…")
            return f"{busy[0]} is already {doing}; wait for it (escape cancels)."
        for name in names:
            self._running[name] = _Running(what)
        return None

    def attach(self, names: list[str], worker: Worker[None]) -> None:
        """The worker to cancel on escape (async workers stop at once; see ``cancel``)."""
        for name in names:
            if name in self._running:
                self._running[name].worker = worker

    def end(self, names: list[str]) -> bool:
        """Release ``names``; False when they had been cancelled (the outcome is not news)."""
        cancelled = any(self._running[n].cancelled for n in names if n in self._running)
        for name in names:
            self._running.pop(name, None)
        return not cancelled

    def cancel(self, name: str) -> str | None:
        """Cancel ``name``'s operation; the sentence to show, or None when nothing runs.

        A worker serving several names (R refreshes every expiring one at once) stops for all
        of them: each is released, or its row would say "refreshing…" for ever.
        """
        op = self._running.get(name)
        if op is None:
            return None
        if op.worker is None or op.worker.is_finished:
            return f"{name}: this step cannot be stopped midway; it ends within its timeout."
        op.worker.cancel()
        shared = [n for n, other in self._running.items() if other.worker is op.worker]
        for each in shared:
            self._running.pop(each).cancelled = True
        what = op.what.rstrip("…")
        if len(shared) == 1:
            return f"Cancelled: {name} was {what}; nothing was stored."
        return f"Cancelled {what} {len(shared)} credentials; nothing was stored."

    @property
    def running(self) -> dict[str, str]:
        return {name: op.what for name, op in self._running.items()}

    def __contains__(self, name: object) -> bool:
        return name in self._running

    def __len__(self) -> int:
        return len(self._running)

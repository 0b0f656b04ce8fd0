"""The foreground runner behind `tokenvault sim` and `python -m vault.sim`."""

from __future__ import annotations

import time

from vault.sim import demo
from vault.sim.simulator import Simulator


def run_forever(
    host: str = "127.0.0.1", port: int = 0, seed_demo: bool = False, *, verbose: bool = False
) -> None:
    """Serve until Ctrl-C, after printing ``simulator listening on http://HOST:PORT``.

    Args:
        host: a loopback address.
        port: 0 picks a free port (the printed line says which).
        seed_demo: register the demo app of every style (``vault.sim.demo``).
        verbose: log method, path and status of each request to stderr.

    Raises:
        UsageError: the host is not a loopback address.
        VaultError: the port cannot be bound.
    """
    with Simulator(host, port, verbose=verbose) as sim:
        if seed_demo:
            demo.seed(sim)
        print(f"simulator listening on {sim.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            # Ctrl-C is how a person ends a foreground server: a clean stop, not an error.
            pass

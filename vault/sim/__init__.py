"""The loopback provider simulator: every provider style over real HTTP on 127.0.0.1."""

from __future__ import annotations

from vault.sim.runner import run_forever
from vault.sim.simulator import Simulator

__all__ = ["Simulator", "run_forever"]

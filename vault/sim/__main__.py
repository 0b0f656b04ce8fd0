"""`python -m vault.sim`: run the simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from vault.core.errors import VaultError
from vault.sim.runner import run_forever


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m vault.sim", description="Run the loopback provider simulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed-demo", action="store_true", help="register the demo apps")
    parser.add_argument("--verbose", action="store_true", help="log method, path and status")
    args = parser.parse_args(argv)
    try:
        run_forever(args.host, args.port, args.seed_demo, verbose=args.verbose)
    except VaultError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0  # Ctrl-C during start-up or shutdown: still a clean exit
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`tokenvault proxy`: serve an auth proxy for one credential in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vault.cli.common import Command, _get, open_store, out
from vault.core.errors import UsageError

PROXY_HELP = """\
Serve a reverse proxy to the credential's API on 127.0.0.1 (never another address). The
first line on stdout is TOKENVAULT_PROXY_URL=http://127.0.0.1:PORT/KEY; send requests to
$TOKENVAULT_PROXY_URL/PATH and they reach the API with the credential's headers attached
(a new token when it is missing, expiring or answered 401). A path without KEY gets 403.
With --unix-socket the socket (mode 0600) is the gate and there is no key. Redirects come
back to the client, never followed with the token. One log line per request on stderr.
SIGINT or SIGTERM ends it (exit 0).
"""


def cmd_proxy(args: argparse.Namespace) -> int:
    from vault.agent import listener, proxy

    if not 0 < args.timeout <= 3600:  # also refuses nan
        raise UsageError("--timeout must be a number of seconds between 0 and 3600.")
    if args.unix_socket is not None and args.port is not None:
        raise UsageError("Give --port or --unix-socket, not both.")
    # The passphrase (or the running agent's key) is asked for once, here; the proxy then
    # holds the unlocked vault for as long as it serves.
    store = open_store(args)
    _get(store.data.credentials, args.name)
    served = proxy.build(store, args.name, upstream=args.upstream, timeout=args.timeout,
                         unix=args.unix_socket is not None)  # fmt: skip

    def announce(line: str) -> None:
        out(line)
        sys.stdout.flush()  # a caller reading the first line must not wait for a buffer

    listener.serve(
        served,
        port=args.port or 0,
        unix_socket=Path(args.unix_socket) if args.unix_socket is not None else None,
        announce=announce,
    )
    return 0


def register(command: Command) -> None:
    """Register proxy."""
    p = command("proxy", cmd_proxy, "Serve an auth proxy for one credential on 127.0.0.1.")
    p.epilog = PROXY_HELP
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("name", help="credential name")
    p.add_argument("--port", type=int, metavar="N", help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--upstream", metavar="URL", help="API base URL (default: the base_url setting)")
    p.add_argument("--unix-socket", metavar="PATH", help="serve on a 0600 Unix socket, no key")
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="upstream timeout (default 60)"
    )

"""Tokens: token, refresh, revoke, request, exec and sim."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from vault.agent import client as agent_client
from vault.cli.common import Command, _get, err, open_store, out, parse_min_valid, vault_path
from vault.core import passphrase as passphrase_sources
from vault.core.errors import UsageError

if TYPE_CHECKING:
    from vault.core.model import Token

# Thin shells over vault.core.tokens and vault.core.auth: no provider logic lives here.
# Core imports are local so `list` and friends never load httpx.


def _when(token: Token) -> str:
    from vault.core.summary import format_left

    left = token.seconds_left()
    return "no known expiry" if left is None else f"expires in {format_left(left)}"


def cmd_token(args: argparse.Namespace) -> int:
    min_valid = parse_min_valid(args.min_valid)
    path = vault_path(args)
    # The common case in scripts: a running agent answers with the stored token while it has
    # `min_valid` left, and this process never loads the vault or the crypto stack (usually
    # vault.cli.quick asked already, before argparse loaded, and then it is not asked twice).
    if not args.header and not getattr(args, "agent_asked", False):
        fast = agent_client.agent_token(path, args.name, int(min_valid.total_seconds()))
        if fast is not None:
            out(fast)
            return 0
    store = open_store(args)
    held = _get(store.data.credentials, args.name).token
    if not args.header and held is not None and held.usable(min_valid):
        # The common case in scripts: answer without importing the network stack (~80 ms).
        out(held.value)
        return 0
    from vault.core import tokens

    token = tokens.ensure(store, args.name, min_valid)
    if args.header:
        from vault.core.providers.engine import header_lines

        # The lines the API authenticates with (App-ID + App-Token, or Authorization), one
        # per line: `curl -H @<(tokenvault token NAME --header) URL`.
        for line in header_lines(_get(store.data.credentials, args.name)):
            out(line)
        return 0
    # Only the token on stdout, so `$(tokenvault token NAME)` works.
    out(token.value)
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from vault.core import refreshing

    store = open_store(args)
    names = sorted(store.data.credentials) if args.all else list(args.names)
    if not names:
        raise UsageError("Name one or more credentials to refresh, or pass --all.")
    outcomes = refreshing.refresh_many(store, names, concurrency=args.concurrency)
    width = max(len(n) for n in names)
    for name, outcome in outcomes.items():
        if outcome.ok and outcome.token is not None:
            out(f"{name:<{width}}  refreshed, {_when(outcome.token)}")
        else:
            err(outcome.error or f"{name}: failed")
    return 0 if all(o.ok for o in outcomes.values()) else 1


def cmd_revoke(args: argparse.Namespace) -> int:
    from vault.core import tokens

    store = open_store(args)
    result = tokens.revoke(store, args.name)
    out(result.message)
    return 0


MAX_UPLOAD = 64 * 1024 * 1024
"""Largest request body read from @FILE or stdin (64 MiB): it is held in memory whole."""


def _read_data(value: str, flag: str) -> bytes:
    # `@FILE` keeps a request body (which may hold secrets) out of argv and shell history.
    # The file is the user's to name, so it may be a FIFO or /dev/zero: regular files only,
    # and no more than MAX_UPLOAD of it (stdin too: `< /dev/zero` must not fill memory).
    from vault.core.safefile import read_bounded, too_large

    if value == "@-":
        raw = sys.stdin.buffer.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise UsageError(too_large(f"{flag} body on", "stdin", MAX_UPLOAD))
        return raw
    if value.startswith("@"):
        try:
            return read_bounded(Path(value[1:]), f"{flag} file", MAX_UPLOAD, UsageError)
        except FileNotFoundError:
            raise UsageError(
                f"Cannot read the {flag} file {value[1:]}: it does not exist."
            ) from None
    return value.encode()


def cmd_request(args: argparse.Namespace) -> int:
    import httpx

    from vault.cli.common import parse_size
    from vault.core.apicall import MAX_REQUEST_BODY, call
    from vault.core.auth import VaultAuth
    from vault.core.providers.http import status_text

    headers: dict[str, str] = {}
    for header in args.header or []:
        key, sep, value = header.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"-H expects 'Name: value', got {header!r}.")
        if not header.isascii():
            raise UsageError(f"-H {key.strip()!r}: HTTP headers must be ASCII text.")
        headers[key.strip()] = value.strip()
    content: bytes | None = None
    if args.json is not None:
        raw = _read_data(args.json, "--json")
        try:
            json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested thousands deep
            raise UsageError("--json is not valid JSON.") from None
        content = raw
        headers.setdefault("Content-Type", "application/json")
    elif args.data is not None:
        content = _read_data(args.data, "--data")
    if not 0 < args.timeout <= 3600:  # also refuses nan
        raise UsageError("--timeout must be a number of seconds between 0 and 3600.")
    max_body = (
        MAX_REQUEST_BODY if args.max_body is None else parse_size(args.max_body, "--max-body")
    )
    store = open_store(args)
    _get(store.data.credentials, args.name)
    auth = VaultAuth(store, args.name)
    with httpx.Client(timeout=args.timeout) as client:
        try:
            request = client.build_request(
                args.method.upper(), args.url, headers=headers, content=content
            )
        except httpx.InvalidURL:
            raise UsageError(f"{args.url!r} is not a URL this command can call.") from None
        try:
            # --timeout bounds the whole call (the 401 replay too), --max-body the decoded
            # answer: a dripping or flooding server ends in one sentence, not a hang.
            response = call(client, request, auth, limit=max_body, timeout=args.timeout)
        except httpx.UnsupportedProtocol:
            raise UsageError(f"{args.url!r} is not an http(s) URL.") from None
    sys.stdout.write(response.text)
    if response.text and not response.text.endswith("\n"):
        sys.stdout.write("\n")
    if not response.is_success:
        again = " after regenerating the token once" if response.history else ""
        err(f"{args.url} answered {status_text(response.status_code)}{again}.")
        return 1
    return 0


def _exec_options(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    parser.add_argument(
        "--env",
        default="TOKEN" if defaults else None,
        metavar="VAR",
        help="variable name (default TOKEN)",
    )
    parser.add_argument(
        "--min-valid",
        default="60s" if defaults else None,
        metavar="DURATION",
        help="least time left (default 60s)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        default=None if not defaults else False,
        help="stay the command's parent: keep $TOKENVAULT_TOKEN_FILE fresh (replaced at 2/3 of "
        "each lifetime), forward signals, remove the file when it ends",
    )
    parser.add_argument(
        "--signal",
        default=None,  # None, not "none": cmd_exec must tell a --signal given without --watch
        metavar="SIG",
        help="with --watch, send SIG (e.g. HUP, USR1) after each replacement (default none)",
    )


def _exec_head(args: argparse.Namespace) -> tuple[str, list[str]]:
    """Split ``NAME [--env VAR] [--min-valid D] -- COMMAND...`` into the name and the command."""
    rest = list(args.rest)
    if "--" not in rest:
        raise UsageError("Give the command to run after --, e.g. tokenvault exec NAME -- env.")
    cut = rest.index("--")
    head, argv = rest[:cut], rest[cut + 1 :]
    parser = argparse.ArgumentParser(prog="tokenvault exec", add_help=False, exit_on_error=False)
    parser.add_argument("name")
    _exec_options(parser, defaults=False)
    try:
        found = parser.parse_args(head)
    except (argparse.ArgumentError, SystemExit):
        raise UsageError(
            "Usage: tokenvault exec NAME [--env VAR] [--watch [--signal SIG]] -- COMMAND..."
        ) from None
    args.env = found.env or args.env
    args.min_valid = found.min_valid or args.min_valid
    args.watch = found.watch or args.watch
    args.signal = found.signal or args.signal
    if not argv:
        raise UsageError("Give the command to run after --, e.g. tokenvault exec NAME -- env.")
    return found.name, argv


def cmd_exec(args: argparse.Namespace) -> int:
    import subprocess

    from vault.cli import execwatch
    from vault.core import tokens
    from vault.core.tokenfile import expiry_text

    args.name, argv = _exec_head(args)
    if not args.env.isidentifier():
        raise UsageError(f"--env {args.env!r} is not a valid environment variable name.")
    if args.signal is not None and not args.watch:
        # Silently accepted, it would promise a signal that never comes.
        raise UsageError("--signal only works with --watch (a plain exec sends no signals).")
    notify = execwatch.parse_signal(args.signal or "none") if args.watch else None
    store = open_store(args)
    try:
        token = tokens.ensure(store, args.name, parse_min_valid(args.min_valid))
    except BaseException:
        store.close()
        raise
    # The token travels in the environment only: never in argv, where `ps` would show it.
    env = passphrase_sources.child_environ(
        **{args.env: token.value, "TOKENVAULT_EXPIRES_AT": expiry_text(token.expires_at)}
    )
    if args.watch:
        return execwatch.run(store, args.name, token, argv, env, notify)
    store.close()
    try:
        code = subprocess.run(argv, env=env, check=False).returncode
        return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as shells say
    except FileNotFoundError:
        # 127 and 126, as shells and `exec --watch` say, so a wrapper script can tell.
        raise execwatch.CommandMissing(f"No command named {argv[0]!r} was found.") from None
    except PermissionError:
        raise execwatch.CommandRefused(f"{argv[0]!r} cannot be run (permission denied).") from None
    except OSError as exc:  # e.g. a file that is no program: "Exec format error"
        raise execwatch.CommandRefused(f"{argv[0]!r} cannot be run: {exc.strerror}.") from None


def cmd_sim(args: argparse.Namespace) -> int:
    from vault.sim import run_forever

    if not 0 <= args.port <= 65535:
        raise UsageError(
            f"--port must be between 0 and 65535 (0 picks a free one), not {args.port}."
        )
    run_forever(args.host, args.port, seed_demo=args.demo, verbose=args.verbose)
    return 0


def register(command: Command) -> None:
    """Register token, refresh, revoke, request, exec and sim."""
    p = command("token", cmd_token, "Print a valid token (generating one when needed).")
    p.add_argument("name", help="credential name")
    p.add_argument(
        "--min-valid", default="60s", metavar="DURATION", help="least time left (default 60s)"
    )
    p.add_argument(
        "--header",
        action="store_true",
        help="print the header lines the token is sent with (e.g. 'Authorization: Bearer ...', "
        "or App-ID and App-Token), one per line, for curl -H @FILE",
    )

    p = command("refresh", cmd_refresh, "Generate new tokens now (exit 1 if any failed).")
    p.add_argument("names", nargs="*", metavar="NAME", help="credentials to refresh")
    p.add_argument("--all", action="store_true", help="every credential in the vault")
    p.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="requests in flight (default 8)"
    )

    p = command("revoke", cmd_revoke, "Revoke the token at the provider, or forget it locally.")
    p.add_argument("name", help="credential name")

    p = command("request", cmd_request, "Call an API with the credential's token; prints the body.")
    p.add_argument("name", help="credential name")
    p.add_argument("method", help="HTTP method, e.g. GET or POST")
    p.add_argument("url", help="the full URL to call")
    p.add_argument("-H", "--header", action="append", metavar="'K: V'", help="a request header")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--data", metavar="D", help="request body (@FILE reads a file, @- stdin)")
    body.add_argument("--json", metavar="J", help="JSON request body (@FILE, @- allowed)")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds for the whole call, a 401's retry included (default 30)",
    )
    p.add_argument(
        "--max-body",
        metavar="SIZE",
        help="largest answer accepted, counted decompressed, e.g. 512k or 100MiB (default "
        "10MiB); a larger one is refused, not cut",
    )

    p = command("exec", cmd_exec, "Run a command with a fresh token in its environment.")
    _exec_options(p)
    # argparse cannot take options after a positional followed by `-- COMMAND`; the rest is
    # split at `--` and read again by cmd_exec.
    p.add_argument(
        "rest", nargs=argparse.REMAINDER, metavar="NAME [--env VAR] [--watch] -- COMMAND"
    )

    p = command("sim", cmd_sim, "Run the loopback provider simulator in the foreground.")
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one, printed)")
    p.add_argument("--demo", action="store_true", help="register the demo app of every style")
    p.add_argument("--verbose", action="store_true", help="log each request (never bodies)")

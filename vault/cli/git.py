"""`tokenvault git-credential`: a git credential helper over the vault."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from vault.cli.common import Command, err, open_store, out
from vault.core.errors import UsageError

GIT_HOST_SETTING = "git_host"
"""A credential whose settings hold ``git_host=HOST`` answers git for that host."""


GIT_MIN_VALID = timedelta(minutes=5)
"""A clone or push can take minutes: never hand git a token about to expire."""


GIT_INPUT_LIMIT = 64 * 1024


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


GIT_CREDENTIAL_HELP = """\
Bind a credential to a host with a setting, for example:
  tokenvault add gh --provider github-app --set git_host=github.com ...
  tokenvault edit gh --set git_host=github.com
then let git ask tokenvault:
  git config --global credential.https://github.com.helper "!tokenvault git-credential"
HOST is matched as git sends it (with :PORT when not the default). git gets
username=x-access-token, a token with at least 5 minutes left (a new one is generated when
needed) and password_expiry_utc. Plain http is answered only for loopback hosts. `store` and
`erase` do nothing: the vault owns its tokens.
"""


def _read_git_request() -> dict[str, str]:
    """git's credential description: ``key=value`` lines up to a blank line or EOF."""
    attrs: dict[str, str] = {}
    total = 0
    for line in sys.stdin:
        total += len(line)
        if total > GIT_INPUT_LIMIT:
            raise UsageError("git sent more credential data than a request can hold.")
        line = line.rstrip("\r\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep and "\0" not in line:
            attrs[key] = value
    return attrs


def cmd_git_credential(args: argparse.Namespace) -> int:
    request = _read_git_request()
    host = request.get("host", "")
    if args.action != "get" or not host:
        return 0  # store/erase: the vault, not git, decides what a token is worth keeping
    protocol = request.get("protocol", "https")
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if protocol != "https" and hostname not in _LOOPBACK_HOSTS:
        err(f"Refusing to send a token for {host} over {protocol}; use https.")
        return 1
    store = open_store(args)
    names = sorted(
        name
        for name, cred in store.data.credentials.items()
        if str(cred.settings.get(GIT_HOST_SETTING, "")).lower() == host.lower()
    )
    if not names:
        return 0  # not ours: git asks its next helper
    if len(names) > 1:
        raise UsageError(
            f"Credentials {', '.join(names)} are all bound to {host}; keep {GIT_HOST_SETTING} "
            "on one of them."
        )
    from vault.core import tokens  # the network stack only when a token may be needed

    token = tokens.ensure(store, names[0], GIT_MIN_VALID)
    out("username=x-access-token")
    out(f"password={token.value}")
    if token.expires_at is not None:
        out(f"password_expiry_utc={int(token.expires_at.timestamp())}")
    return 0


def register(command: Command) -> None:
    """Register git-credential."""
    p = command("git-credential", cmd_git_credential, "git credential helper (get/store/erase).")
    p.add_argument("action", metavar="ACTION", help="get, store or erase (sent by git)")
    p.epilog = GIT_CREDENTIAL_HELP
    p.formatter_class = argparse.RawDescriptionHelpFormatter

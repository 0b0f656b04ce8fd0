"""`tokenvault git-credential`: a git credential helper over the vault."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from vault.cli.common import Command, err, open_store, out
from vault.core.errors import UsageError
from vault.core.githost import GIT_HOST_SETTING, LOOPBACK_HOSTS, binding, request_target

GIT_MIN_VALID = timedelta(minutes=5)
"""A clone or push can take minutes: never hand git a token about to expire."""


GIT_INPUT_LIMIT = 64 * 1024


GIT_CREDENTIAL_HELP = """\
Bind a credential to a host with a setting, for example:
  tokenvault add gh --provider github-app --set git_host=github.com ...
  tokenvault edit gh --set git_host=github.com
then let git ask tokenvault:
  git config --global credential.https://github.com.helper "!tokenvault git-credential"
git_host is HOST, HOST:PORT or SCHEME://HOST[:PORT]: no scheme means https, no port the
scheme's default (443; 80 for http, allowed only for loopback hosts such as
http://127.0.0.1:8080). git's protocol, host and port must all equal it exactly: a longer or
look-alike host (github.com.evil.example) gets nothing. git gets username=x-access-token, a
token with at least 5 minutes left (a new one is generated when needed) and
password_expiry_utc. `store` and `erase` do nothing: the vault owns its tokens.
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
    if args.action != "get":
        return 0  # store/erase: the vault, not git, decides what a token is worth keeping
    # No protocol= line (or no host=) is not a request git makes: answer nothing at all.
    target = request_target(request)
    if target is None:
        return 0
    if target.scheme != "https" and target.host not in LOOPBACK_HOSTS:
        err(f"Refusing to send a token for {request['host']} over {target.scheme}; use https.")
        return 1
    store = open_store(args)
    # Exact equality of scheme, host and port: never a suffix or substring match.
    names = sorted(
        name for name, cred in store.data.credentials.items() if binding(cred.settings) == target
    )
    if not names:
        return 0  # not ours: git asks its next helper
    if len(names) > 1:
        raise UsageError(
            f"Credentials {', '.join(map(repr, names))} are all bound to {target}; keep "
            f"{GIT_HOST_SETTING} on one of them."
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

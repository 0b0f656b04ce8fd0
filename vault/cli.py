"""The `tokenvault` command: thin `cmd_<verb>` handlers over vault.core (pass's shape)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from vault import __version__
from vault.agent import client as agent_client
from vault.agent.duration import format_duration, parse_duration
from vault.core import passphrase as passphrase_sources
from vault.core.clock import now, parse_utc
from vault.core.errors import (
    CredentialNotFound,
    DuplicateCredential,
    UsageError,
    VaultError,
    VaultNotFound,
)
from vault.core.paths import default_vault_path

if TYPE_CHECKING:
    from vault.core.model import Credential, Token
    from vault.core.store import VaultStore

# The store, the model and the crypto stack are imported inside the handlers that use them:
# `tokenvault token` and `status` are called by scripts and shell prompts, and with an agent
# running they answer without loading any of it (bench/cli.py).

Handler = Callable[[argparse.Namespace], int]

GLOBAL_VALUE_OPTIONS = frozenset({"--vault", "--passphrase-file"})
"""Top-level options that take a value: `first_positional` skips their values."""


def primary_secret(style: str) -> str:
    """Which secret `--secret-file` / `--secret-stdin` fill for ``style`` (the preset says);
    PEM keys come from `--private-key-file`. Secrets never come from argv: they would show in
    `ps` and shell history."""
    from vault.core.providers.presets import PRESETS

    preset = PRESETS.get(style)
    return (preset.primary_secret if preset else None) or "client_secret"


# -- shared plumbing ---------------------------------------------------------------------------


def out(text: str = "") -> None:
    print(text, file=sys.stdout)


def err(text: str) -> None:
    print(f"tokenvault: {text}", file=sys.stderr)


def vault_path(args: argparse.Namespace) -> Path:
    return default_vault_path(getattr(args, "vault", None))


def ask_passphrase(prompt: str, confirm: bool = False) -> str:
    """Ask on the controlling terminal; with no terminal, say which sources exist instead."""
    import getpass

    try:
        fd = os.open("/dev/tty", os.O_RDWR)
        os.close(fd)
    except OSError:
        raise UsageError(
            "No passphrase given and no terminal to ask on: use --passphrase-file, "
            "TOKENVAULT_PASSPHRASE_FILE or TOKENVAULT_PASSPHRASE."
        ) from None
    first = getpass.getpass(prompt)
    if not first:
        raise UsageError("The passphrase cannot be empty.")
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise UsageError("The two passphrases differ; nothing was changed.")
    return first


def get_passphrase(args: argparse.Namespace, confirm: bool = False) -> str:
    found = passphrase_sources.from_sources(getattr(args, "passphrase_file", None))
    if found is not None:
        return found
    return ask_passphrase("Vault passphrase: ", confirm=confirm)


def open_store(args: argparse.Namespace, use_agent: bool = True) -> VaultStore:
    """Unlock the vault named by the arguments (the one place every command unlocks).

    ``use_agent=False`` demands the passphrase even while an agent runs (``passwd``: holding
    the key must not be enough to lock the owner out with a passphrase they do not know).
    """
    from vault.core.store import VaultStore

    path = vault_path(args)
    if not os.path.lexists(path):
        # Say so before asking for a passphrase that could not help.
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    # A running agent holds the data key: no passphrase, no KDF. Any agent failure falls back
    # to the passphrase with one sentence, so a dead agent never blocks a command.
    store = agent_client.store_from_agent(path, _agent_problem) if use_agent else None
    return store or VaultStore.unlock(path, get_passphrase(args))


def parse_assignments(pairs: Sequence[str] | None) -> dict[str, Any]:
    """`--set KEY=VALUE` pairs; integers stay integers so lifetimes compare as numbers."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}.")
        digits = value.lstrip("-")
        result[key.strip()] = int(value) if digits.isascii() and digits.isdigit() else value
    return result


def read_secrets(args: argparse.Namespace, style: str) -> dict[str, str]:
    """Collect secrets from files or stdin (never argv)."""
    found: dict[str, str] = {}
    primary = primary_secret(style)
    if getattr(args, "secret_file", None) and getattr(args, "secret_stdin", False):
        raise UsageError("Give the secret with --secret-file or --secret-stdin, not both.")
    if getattr(args, "secret_file", None):
        found[primary] = passphrase_sources.read_secret_file(Path(args.secret_file), "secret")
    elif getattr(args, "secret_stdin", False):
        raw = sys.stdin.buffer.read(passphrase_sources.MAX_FILE_BYTES + 1)
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise UsageError("The secret on standard input is not UTF-8 text.") from None
        if not text:
            raise UsageError("--secret-stdin was given but standard input was empty.")
        found[primary] = text
    if getattr(args, "private_key_file", None):
        found["private_key"] = passphrase_sources.read_secret_file(
            Path(args.private_key_file), "private key"
        )
    return found


def print_json(value: Any) -> None:
    out(json.dumps(value, indent=2, sort_keys=False))


# -- commands ----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from vault.core.crypto import KdfParams
    from vault.core.store import VaultStore

    path = vault_path(args)
    if path.exists():
        raise UsageError(f"A vault already exists at {path}; it was left untouched.")
    kdf = KdfParams(
        memory_kib=args.kdf_memory * 1024, time_cost=args.kdf_time, parallelism=args.kdf_lanes
    )
    kdf.check()
    VaultStore.create(path, passphrase_sources.check_new(get_passphrase(args, confirm=True)), kdf)
    out(f"Created an empty vault at {path}.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from vault.core.model import Credential, EventKind

    secrets = read_secrets(args, args.provider)
    settings = check_provider_settings(args.provider, provider_settings(args), secrets)
    store = open_store(args)
    with store.transaction() as data:
        if args.name in data.credentials:
            raise DuplicateCredential(args.name)
        cred = Credential(name=args.name, provider=args.provider, settings=settings)
        cred.secrets.update(secrets)
        apply_provider_defaults(cred, args)
        cred.record(EventKind.CREATED)
        data.credentials[cred.name] = cred
    out(f"Added {args.name!r} ({args.provider}).")
    warn_incomplete(cred)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from vault.core.model import EventKind

    settings = parse_assignments(args.set)
    store = open_store(args)
    with store.transaction() as data:
        cred = _get(data.credentials, args.name)
        secrets = read_secrets(args, cred.provider)
        cred.settings.update(settings)
        for key in args.unset or []:
            cred.settings.pop(key, None)
        cred.secrets.update(secrets)
        # A rotated client secret starts its own clock (ShiftIQ: 90 days) unless a date is given.
        stamp_secret(cred, args, replaced=primary_secret(cred.provider) in secrets)
        # Same checks as `add`; raising here leaves the stored credential as it was.
        cred.settings = check_provider_settings(cred.provider, cred.settings, cred.secrets)
        if args.auto_refresh is not None:
            cred.policy.auto = args.auto_refresh == "on"
        if args.rename and args.rename != cred.name:
            if args.rename in data.credentials:
                raise DuplicateCredential(args.rename)
            del data.credentials[cred.name]
            cred.name = args.rename
            data.credentials[cred.name] = cred
        changed = sorted([*settings, *(args.unset or []), *secrets])
        cred.record(EventKind.EDITED, "changed: " + ", ".join(changed) if changed else "")
    out(f"Updated {cred.name!r}.")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from vault.core.summary import credential_summary, format_left, secret_label

    store = open_store(args)
    at = now()
    creds = sorted(store.data.credentials.values(), key=lambda c: c.name)
    rows = [credential_summary(c, at) for c in creds]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        out("The vault holds no credentials yet; add one with `tokenvault add`.")
        return 0
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        left = row["seconds_left"]
        when = "" if left is None else format_left(left)
        secret = row["secret_seconds_left"]
        extra = "" if secret is None else f"  {secret_label(secret)}"
        out(f"{row['name']:<{width}}  {row['provider']:<26} {row['status']:<9} {when}{extra}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from vault.core.summary import credential_detail

    store = open_store(args)
    detail = credential_detail(_get(store.data.credentials, args.name))
    if args.json:
        print_json(detail)
        return 0
    for key, value in detail.items():
        if key == "history":
            out("history:")
            for event in value:
                line = f"  {event['at']}  {event['kind']}"
                out(f"{line}  {event['detail']}" if event["detail"] else line)
        elif isinstance(value, dict):
            out(f"{key}:")
            for sub, subval in value.items():
                out(f"  {sub}: {subval}")
        else:
            out(f"{key}: {'' if value is None else value}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"Removing {args.name!r} needs --yes when not run in a terminal.")
        answer = input(f"Remove {args.name!r} and its secrets for good? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            out("Nothing removed.")
            return 1
    store = open_store(args)
    with store.transaction() as data:
        _get(data.credentials, args.name)
        del data.credentials[args.name]
    out(f"Removed {args.name!r}. The previous vault is kept as the backup.")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    store = open_store(args, use_agent=False)
    if args.new_passphrase_file:
        new = passphrase_sources.read_secret_file(Path(args.new_passphrase_file), "passphrase")
    else:
        new = ask_passphrase("New passphrase: ", confirm=True)
    store.change_passphrase(passphrase_sources.check_new(new), rotate_key=args.rotate_key)
    if args.rotate_key:
        # Its key no longer opens the vault: end it rather than leave it failing.
        agent_client.stop_agent(store.path)
        out("Passphrase changed and a new data key encrypts the vault; the backup was replaced.")
    else:
        out("Passphrase changed (the data key was re-wrapped); the backup was replaced.")
    return 0


def cmd_restore_backup(args: argparse.Namespace) -> int:
    from vault.core.store import restore_backup

    path = vault_path(args)
    store = restore_backup(path, get_passphrase(args))
    out(
        f"Restored the backup ({len(store.data.credentials)} credentials); "
        "the replaced vault is now the backup."
    )
    return 0


def need_terminal() -> None:
    """The UI draws on a terminal; without one it would hang writing escape codes."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The terminal UI needs a terminal; in scripts use a command such as "
            "`tokenvault token NAME` (see `tokenvault --help`)."
        )


def cmd_tui(args: argparse.Namespace) -> int:
    need_terminal()
    from vault.tui.app import run_tui

    return run_tui(vault_path(args))


def cmd_demo(args: argparse.Namespace) -> int:
    need_terminal()
    from vault.tui.demo import demo_main

    return demo_main()


def _get(credentials: dict[str, Credential], name: str) -> Credential:
    try:
        return credentials[name]
    except KeyError:
        raise CredentialNotFound(name) from None


# -- agent, status and git credentials (issue 5) ------------------------------------------------

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


def _agent_problem(problem: str) -> None:
    err(f"{problem}; using the passphrase instead.")


def cmd_unlock(args: argparse.Namespace) -> int:
    from vault.core.config import load_config
    from vault.core.store import VaultStore

    path = vault_path(args)
    # --timeout, else the config's agent.timeout (the same default the TUI's agent uses).
    timeout = parse_duration(args.timeout) if args.timeout else load_config().agent.timeout
    running = agent_client.agent_status(path)
    if running is not None:
        out(
            f"Already unlocked: the agent (pid {running['pid']}) locks at {running['locks_at']} "
            "unless used; run `tokenvault lock` first to change its timeout."
        )
        return 0
    if not os.path.lexists(path):
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    store = VaultStore.unlock(path, get_passphrase(args))
    try:
        pid = agent_client.start_agent(path, store.data_key, timeout)
    finally:
        store.close()
    out(
        f"Unlocked {path}: the agent (pid {pid}) keeps the key in memory and locks after "
        f"{format_duration(timeout)} without use, or at `tokenvault lock`."
    )
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    path = vault_path(args)
    if agent_client.stop_agent(path):
        out("Locked: the agent dropped the key and ended.")
    else:
        out(f"Already locked: no agent runs for {path}.")
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from vault.core.summary import format_left

    path = vault_path(args)
    status = agent_client.agent_status(path)
    if args.json:
        print_json({"running": status is not None, **(status or {"vault": str(path)})})
    elif status is None:
        out(f"No agent runs for {path}: the vault is locked.")
    else:
        out(
            f"The agent (pid {status['pid']}) holds the key of {status['vault']}; it locks at "
            f"{status['locks_at']} (in {format_left(int(status['seconds_left']))}) unless "
            f"used; idle timeout {format_duration(int(status['idle_timeout']))}."
        )
    return 0 if status is not None else 1


def cmd_status(args: argparse.Namespace) -> int:
    path = vault_path(args)
    if not os.path.lexists(path):
        raise VaultNotFound(f"No vault at {path}. Create one with `tokenvault init`.")
    # Never a prompt or a KDF here (a shell prompt runs this), and no touch: a prompt alone
    # must not keep the vault unlocked. The agent computes the summary itself, so this
    # process loads no crypto at all.
    summary = agent_client.agent_summary(path)
    if summary is None:
        if args.json:
            print_json({"locked": True})
        else:
            out("locked")
        return 0
    if args.json:
        print_json({"locked": False, **summary})
        return 0
    counts = ", ".join(
        f"{summary[s]} {s}"
        for s in ("valid", "expiring", "expired", "missing", "revoked", "error")
        if summary[s] or s in {"valid", "expiring", "expired"}
    )
    line = f"{summary['credentials']} credentials: {counts}"
    nxt = summary["next_expiry"]
    if nxt is not None:
        line += f"; next expiry {nxt['name']} at {nxt['expires_at']}"
    out(line + ".")
    return 0


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


def add_agent_commands(command: Callable[[str, Handler, str], argparse.ArgumentParser]) -> None:
    """The unlock-once commands (kept together so other command groups merge cleanly)."""
    p = command("unlock", cmd_unlock, "Unlock once: keep the key in a background agent.")
    p.add_argument(
        "--timeout",
        metavar="DURATION",
        help="lock after this long without use, e.g. 90s, 15m, 1h (default: the config's "
        "agent.timeout, 15m)",
    )
    command("lock", cmd_lock, "End the agent: the vault needs the passphrase again.")
    p = command("agent", cmd_agent, "Say whether the agent runs and when it locks (exit 1: not).")
    p.add_argument("action", choices=["status"], help="status (the only action)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("status", cmd_status, "Counts of valid, expiring, expired tokens, or 'locked'.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("git-credential", cmd_git_credential, "git credential helper (get/store/erase).")
    p.add_argument("action", metavar="ACTION", help="get, store or erase (sent by git)")
    p.epilog = GIT_CREDENTIAL_HELP
    p.formatter_class = argparse.RawDescriptionHelpFormatter


# -- tokens: provider flags, token/refresh/revoke/request/exec/sim (provider engine issue) ------
# Thin shells over vault.core.tokens and vault.core.auth: no provider logic lives here.
# Core imports are local so `list` and friends never load httpx.

PROVIDER_FLAGS = {
    "base_url": "--base-url",
    "app_id": "--app-id",
    "org_id": "--org-id",
    "partition": "--partition",
    "lifetime": "--lifetime",
    "installation_id": "--installation-id",
    "client_id": "--client-id",
    "client_email": "--client-email",
    "token_url": "--token-url",
    "revoke_url": "--revoke-url",
    "scope": "--scope",
}
"""Settings with a flag of their own; every other setting goes through ``--set KEY=VALUE``."""

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_min_valid(text: str) -> timedelta:
    """``0``, ``90s``, ``5m``, ``2h``, ``30d``, ``1w`` (or sums like ``1h30m``) as a timedelta.

    Not the agent's ``parse_duration``: a validity margin may be zero or longer than a week.
    """
    import re

    raw = text.strip().lower()
    bad = UsageError(f"{text!r} is not a duration; write e.g. 60s, 5m, 2h or 1d.")
    if not raw.isascii():  # "²".isdigit() is True, and int() refuses it
        raise bad
    if raw.isdigit():
        seconds = int(raw)
    else:
        parts = re.findall(r"(\d+)\s*([smhdw])", raw)
        if not parts or re.sub(r"\d+\s*[smhdw]", "", raw).strip():
            raise bad
        seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds > 10 * 366 * 86400:
        raise UsageError(f"{text!r} is longer than any token lives (ten years at most).")
    return timedelta(seconds=seconds)


def add_provider_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("provider settings (see docs/guide.md, Settings)")
    for key, flag in PROVIDER_FLAGS.items():
        group.add_argument(
            flag,
            dest=f"setting_{key}",
            metavar=key.split("_")[-1].upper(),
            help=f"the {key} setting (as --set {key}=VALUE)",
        )
    group.add_argument(
        "--secret-created",
        metavar="DATE",
        help="when the secret was created (ISO date); its expiry follows from the style",
    )


def provider_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``--set`` pairs plus the dedicated flags (which win)."""
    settings = parse_assignments(getattr(args, "set", None))
    for key in PROVIDER_FLAGS:
        value = getattr(args, f"setting_{key}", None)
        if value is not None:
            settings[key] = value
    return settings


def check_provider_settings(
    style: str, settings: dict[str, Any], secrets: dict[str, str]
) -> dict[str, Any]:
    """Validate what was given (bad URL, PEM, lifetime: exit 2); gaps only warn afterwards."""
    from vault.core.providers.engine import validate_settings

    return validate_settings(style, settings, secrets, complete=False)


def warn_incomplete(cred: Credential) -> None:
    """Name what a stored credential still needs before it can generate tokens."""
    from vault.core.providers.engine import missing_requirements

    missing = missing_requirements(cred.provider, cred.settings, cred.secrets)
    if missing:
        err(
            f"note: {cred.name!r} cannot generate tokens until it has the "
            f"{' and the '.join(missing)}; add them with `tokenvault edit {cred.name}`."
        )


def apply_provider_defaults(cred: Credential, args: argparse.Namespace) -> None:
    """Secret dates and the style's auto-refresh default on a new credential."""
    from vault.core.config import load_config
    from vault.core.providers.engine import preset_of

    preset = preset_of(cred.provider)
    refresh = load_config().auto_refresh  # the same defaults the TUI's add form applies
    cred.policy.auto = refresh.enabled_for(cred.provider)
    cred.policy.share = refresh.share
    stamp_secret(cred, args, replaced=True)
    if preset.secret_lifetime is not None and not getattr(args, "secret_created", None):
        err(
            f"note: the secret of {cred.name!r} is taken as created today; if it is older, "
            f"set its date with `tokenvault edit {cred.name} --secret-created YYYY-MM-DD` so "
            "the expiry warning comes in time."
        )


def stamp_secret(cred: Credential, args: argparse.Namespace, *, replaced: bool) -> None:
    """Apply `--secret-created` and the style's secret lifetime (see Preset.secret_dates)."""
    from vault.core.providers.engine import preset_of

    raw = getattr(args, "secret_created", None)
    given = None
    if raw:
        try:
            given = parse_utc(raw)
        except ValueError:
            raise UsageError(f"--secret-created {raw!r} is not an ISO date.") from None
        if given > now():
            raise UsageError("--secret-created is in the future.")
    cred.secret_created_at, cred.secret_expires_at = preset_of(cred.provider).secret_dates(
        cred.secret_created_at, given=given, replaced=replaced
    )


def _when(token: Token) -> str:
    from vault.core.summary import format_left

    left = token.seconds_left()
    return "no known expiry" if left is None else f"expires in {format_left(left)}"


def cmd_token(args: argparse.Namespace) -> int:
    min_valid = parse_min_valid(args.min_valid)
    path = vault_path(args)
    # The common case in scripts: a running agent answers with the stored token while it has
    # `min_valid` left, and this process never loads the vault or the crypto stack.
    if not args.header:
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
    from vault.core import tokens

    store = open_store(args)
    names = sorted(store.data.credentials) if args.all else list(args.names)
    if not names:
        raise UsageError("Name one or more credentials to refresh, or pass --all.")
    outcomes = tokens.refresh_many(store, names, concurrency=args.concurrency)
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


def _read_data(value: str) -> bytes:
    # `@FILE` keeps a request body (which may hold secrets) out of argv and shell history.
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_bytes() if value != "@-" else sys.stdin.buffer.read()
        except OSError as exc:
            raise UsageError(f"Cannot read {value[1:]}: {exc.strerror}.") from None
    return value.encode()


def cmd_request(args: argparse.Namespace) -> int:
    import httpx

    from vault.core.auth import VaultAuth
    from vault.core.providers.http import status_text, transport_error

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
        raw = _read_data(args.json)
        try:
            json.loads(raw)
        except ValueError:
            raise UsageError("--json is not valid JSON.") from None
        content = raw
        headers.setdefault("Content-Type", "application/json")
    elif args.data is not None:
        content = _read_data(args.data)
    if not 0 < args.timeout <= 3600:  # also refuses nan
        raise UsageError("--timeout must be a number of seconds between 0 and 3600.")
    store = open_store(args)
    _get(store.data.credentials, args.name)
    auth = VaultAuth(store, args.name)
    with httpx.Client(auth=auth, timeout=args.timeout) as client:
        try:
            request = client.build_request(
                args.method.upper(), args.url, headers=headers, content=content
            )
        except httpx.InvalidURL:
            raise UsageError(f"{args.url!r} is not a URL this command can call.") from None
        try:
            response = client.send(request)
        except httpx.UnsupportedProtocol:
            raise UsageError(f"{args.url!r} is not an http(s) URL.") from None
        except httpx.TransportError as exc:
            raise transport_error(exc, request) from None
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
        raise UsageError("Usage: tokenvault exec NAME [--env VAR] -- COMMAND...") from None
    args.env = found.env or args.env
    args.min_valid = found.min_valid or args.min_valid
    if not argv:
        raise UsageError("Give the command to run after --, e.g. tokenvault exec NAME -- env.")
    return found.name, argv


def cmd_exec(args: argparse.Namespace) -> int:
    import subprocess

    from vault.core import tokens

    args.name, argv = _exec_head(args)
    if not args.env.isidentifier():
        raise UsageError(f"--env {args.env!r} is not a valid environment variable name.")
    store = open_store(args)
    token = tokens.ensure(store, args.name, parse_min_valid(args.min_valid))
    store.close()
    # The token travels in the environment only: never in argv, where `ps` would show it.
    env = passphrase_sources.child_environ(**{args.env: token.value})
    try:
        return subprocess.run(argv, env=env, check=False).returncode
    except FileNotFoundError:
        raise UsageError(f"No command named {argv[0]!r} was found.") from None
    except PermissionError:
        raise UsageError(f"{argv[0]!r} cannot be run (permission denied).") from None


def cmd_sim(args: argparse.Namespace) -> int:
    from vault.sim import run_forever

    run_forever(args.host, args.port, seed_demo=args.demo, verbose=args.verbose)
    return 0


def add_token_commands(command: Callable[[str, Handler, str], argparse.ArgumentParser]) -> None:
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
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds (default 30)")

    p = command("exec", cmd_exec, "Run a command with a fresh token in its environment.")
    _exec_options(p)
    # argparse cannot take options after a positional followed by `-- COMMAND`; the rest is
    # split at `--` and read again by cmd_exec.
    p.add_argument("rest", nargs=argparse.REMAINDER, metavar="NAME [--env VAR] -- COMMAND")

    p = command("sim", cmd_sim, "Run the loopback provider simulator in the foreground.")
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one, printed)")
    p.add_argument("--demo", action="store_true", help="register the demo app of every style")
    p.add_argument("--verbose", action="store_true", help="log each request (never bodies)")


# -- parser ------------------------------------------------------------------------------------


def add_secret_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("secrets (never on the command line)")
    group.add_argument("--secret-file", metavar="FILE", help="read the client/app secret from FILE")
    group.add_argument(
        "--secret-stdin", action="store_true", help="read the client/app secret from stdin"
    )
    group.add_argument("--private-key-file", metavar="FILE", help="read a PEM private key")


class _Unused:
    """Stands in for the parsers of commands not being run: every call is a cheap no-op.

    Building all twenty sub-parsers costs ~20 ms (argparse looks up translations for every
    help string); `tokenvault token` in a shell prompt or script should not pay for it.
    """

    def __getattr__(self, name: str) -> Callable[..., _Unused]:
        return lambda *args, **kwargs: self


def first_positional(argv: Sequence[str]) -> str | None:
    """The command word in ``argv``, skipping the global options and their values."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_VALUE_OPTIONS:
            skip = True
        elif arg == "--":
            return None
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that command's sub-parser."""
    parser = argparse.ArgumentParser(
        prog="tokenvault",
        description="A passphrase-encrypted vault for API credentials with live token expiry. "
        "Run with no command to open the terminal UI.",
        epilog="Exit codes: 0 success, 1 failed, 2 usage error, 3 wrong passphrase, 4 vault "
        "file damaged or unsupported. Guide: docs/guide.md; threat model: SECURITY.md.",
    )
    parser.add_argument("--version", action="version", version=f"tokenvault {__version__}")
    parser.add_argument(
        "--vault", metavar="PATH", help="vault file (default: $TOKENVAULT_VAULT or platformdirs)"
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read the passphrase from FILE (else $TOKENVAULT_PASSPHRASE_FILE, "
        "$TOKENVAULT_PASSPHRASE, then a prompt)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    built: list[str] = []

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        if only is not None and name != only:
            return cast(argparse.ArgumentParser, _Unused())
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=handler)
        built.append(name)
        return p

    p = command("init", cmd_init, "Create a new empty vault (asks for the passphrase twice).")
    p.add_argument(
        "--kdf-memory", type=int, default=64, metavar="MIB", help="Argon2id MiB (default 64)"
    )
    p.add_argument(
        "--kdf-time", type=int, default=3, metavar="N", help="Argon2id passes (default 3)"
    )
    p.add_argument(
        "--kdf-lanes", type=int, default=4, metavar="N", help="Argon2id lanes (default 4)"
    )

    p = command("add", cmd_add, "Add a credential.")
    p.add_argument("name", help="credential name")
    p.add_argument(
        "--provider",
        required=True,
        metavar="STYLE",
        help="app-token, jwt-assertion, github-app, secret-exchange, oauth2-client-credentials "
        "or jwt-bearer",
    )
    p.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="a provider setting (repeatable)"
    )
    add_secret_flags(p)
    add_provider_flags(p)

    p = command("edit", cmd_edit, "Change a credential's settings, secrets or name.")
    p.add_argument("name", help="credential name")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="set a provider setting")
    p.add_argument("--unset", action="append", metavar="KEY", help="remove a provider setting")
    p.add_argument("--rename", metavar="NEW", help="give the credential a new name")
    p.add_argument(
        "--auto-refresh", choices=["on", "off"], help="auto-refresh in the TUI before expiry"
    )
    p.add_argument(
        "--secret-created",
        metavar="DATE",
        help="when the client secret was created (ISO date); a secret replaced without this "
        "date counts as created today",
    )
    add_secret_flags(p)

    p = command("list", cmd_list, "List credentials with their status and time left.")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = command("show", cmd_show, "Show one credential (secrets and token masked).")
    p.add_argument("name", help="credential name")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("remove", cmd_remove, "Remove a credential and its secrets.")
    p.add_argument("name", help="credential name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = command("passwd", cmd_passwd, "Change the vault passphrase.")
    p.add_argument(
        "--new-passphrase-file", metavar="FILE", help="read the new passphrase from FILE"
    )
    p.add_argument(
        "--rotate-key",
        action="store_true",
        help="also draw a new data key and re-encrypt, so old copies of the file plus the old "
        "passphrase cannot read future versions (ends a running agent)",
    )

    command("restore-backup", cmd_restore_backup, "Put the previous vault version back.")
    command("demo", cmd_demo, "Open the UI on a throwaway demo vault and a local simulator.")
    add_agent_commands(command)
    add_token_commands(command)
    if only is not None and not built:
        return build_parser()  # not a command name: the full parser lists the real ones
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(first_positional(words))
    args = parser.parse_args(words)
    handler: Handler = getattr(args, "func", cmd_tui)
    try:
        return handler(args)
    except VaultError as exc:
        err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        err("interrupted; nothing more was changed.")
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        # A file or folder the user named is unusable (a directory, no permission, ...).
        where = f" ({exc.filename})" if exc.filename else ""
        err(f"{exc.strerror or type(exc).__name__}{where}; nothing was changed.")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

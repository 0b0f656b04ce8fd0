"""The vault file and its credentials: init, add, edit, list, show, remove, passwd, restore."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.agent import client as agent_client
from vault.cli import secretfor
from vault.cli.common import (
    Command,
    _get,
    add_secret_flags,
    ask_passphrase,
    err,
    get_passphrase,
    open_store,
    out,
    parse_assignments,
    primary_secret,
    print_json,
    read_secrets,
    vault_path,
    warn_if_exposed,
)
from vault.core import passphrase as passphrase_sources
from vault.core.clock import now, parse_utc
from vault.core.errors import UsageError
from vault.core.names import printable

if TYPE_CHECKING:
    from vault.core.model import Credential


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
    warn_if_exposed(path)
    return 0


def _cost(which: str, unit: str) -> Callable[[str], int]:
    """An argparse type for one Argon2 cost: a whole number in range, else a usage error."""

    def parse(text: str) -> int:
        # Imported only when the flag is given: every command builds this parser, and the
        # crypto stack is what `tokenvault token` must not load.
        from vault.core import crypto

        low, high = {
            "memory": (crypto.MIN_MEMORY_KIB // 1024, crypto.MAX_MEMORY_KIB // 1024),
            "time": (1, crypto.MAX_TIME_COST),
            "lanes": (1, crypto.MAX_PARALLELISM),
        }[which]
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not allowed: give a whole number of {unit} from {low} to {high}"
            )
        return value

    return parse


def cmd_add(args: argparse.Namespace) -> int:
    from vault.core.model import Credential, EventKind

    settings, into = secretfor.bind(args, args.provider, provider_settings(args))
    secrets = read_secrets(args, args.provider, into=into)
    settings = check_provider_settings(args.provider, settings, secrets)
    store = open_store(args)
    with store.transaction() as data:
        cred = Credential(name=args.name, provider=args.provider, settings=settings)
        cred.secrets.update(secrets)
        apply_provider_defaults(cred, args)
        cred.record(EventKind.CREATED)
        data.add(cred)  # checks the name; raising here saves nothing
    out(f"Added {args.name!r} ({args.provider}).")
    warn_incomplete(cred)
    secretfor.warn_plain(cred)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from vault.core.model import EventKind

    settings = parse_assignments(args.set)
    store = open_store(args)
    with store.transaction() as data:
        cred = _get(data.credentials, args.name)
        cred.settings.update(settings)
        for key in args.unset or []:
            cred.settings.pop(key, None)
        cred.settings, into = secretfor.bind(args, cred.provider, cred.settings)
        secrets = read_secrets(args, cred.provider, into=into)
        cred.secrets.update(secrets)
        # A rotated client secret starts its own clock (ShiftIQ: 90 days) unless a date is given.
        stamp_secret(cred, args, replaced=primary_secret(cred.provider) in secrets)
        # Same checks as `add`; raising here leaves the stored credential as it was.
        cred.settings = check_provider_settings(cred.provider, cred.settings, cred.secrets)
        if args.auto_refresh is not None:
            cred.policy.auto = args.auto_refresh == "on"
        if args.rename is not None:
            data.rename(cred.name, args.rename)  # checks the new name, as `add` does
        changed = sorted([*settings, *(args.unset or []), *secrets])
        cred.record(EventKind.EDITED, "changed: " + ", ".join(changed) if changed else "")
    out(f"Updated {cred.name!r}.")
    secretfor.warn_plain(cred)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from vault.cli.agentview import from_agent
    from vault.core.summary import format_left, secret_label

    # A running agent sends the rows themselves (the same function builds them there).
    answer = from_agent(args, "list")
    if answer is not None:
        rows = answer["rows"]
    else:
        from vault.core.summary import credential_summary

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
    # A stored name may predate the name checks: it is shown escaped, never raw.
    names = [printable(r["name"]) for r in rows]
    width = max(len(name) for name in names)
    for name, row in zip(names, rows, strict=True):
        left = row["seconds_left"]
        when = "" if left is None else format_left(left)
        secret = row["secret_seconds_left"]
        extra = "" if secret is None else f"  {secret_label(secret)}"
        provider = printable(row["provider"])
        out(f"{name:<{width}}  {provider:<26} {row['status']:<9} {when}{extra}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from vault.cli.agentview import from_agent
    from vault.core.errors import CredentialNotFound

    answer = from_agent(args, "show", name=args.name)
    if answer is not None:
        detail = answer["detail"]
        if detail is None:
            raise CredentialNotFound(args.name)
    else:
        from vault.core.summary import credential_detail

        store = open_store(args)
        detail = credential_detail(_get(store.data.credentials, args.name))
    if args.json:
        print_json(detail)
        return 0
    # Names, settings, errors and history details may hold a provider's (or an old vault's)
    # control characters: every value goes through printable() on its way to the terminal.
    for key, value in detail.items():
        if key == "history":
            out("history:")
            for event in value:
                line = f"  {event['at']}  {printable(event['kind'])}"
                out(f"{line}  {printable(event['detail'])}" if event["detail"] else line)
        elif isinstance(value, dict):
            out(f"{key}:")
            for sub, subval in value.items():
                out(f"  {printable(sub)}: {printable(subval)}")
        else:
            out(f"{key}: {'' if value is None else printable(value)}")
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
    warn_if_exposed(path)
    out(
        f"Restored the backup ({len(store.data.credentials)} credentials); "
        "the replaced vault is now the backup."
    )
    return 0


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
    from vault.core.githost import GIT_HOST_SETTING, parse_binding
    from vault.core.providers.validation import validate_settings

    checked = validate_settings(style, settings, secrets, complete=False)
    # A git_host git could never match (a path, a user name, http to a remote host) is
    # refused here rather than silently answering nothing at clone time.
    if isinstance(checked.get(GIT_HOST_SETTING), str):
        parse_binding(checked[GIT_HOST_SETTING])
    return checked


def warn_incomplete(cred: Credential) -> None:
    """Name what a stored credential still needs before it can generate tokens."""
    from vault.core.providers.validation import missing_requirements

    missing = missing_requirements(cred.provider, cred.settings, cred.secrets)
    if missing:
        err(
            f"note: {cred.name!r} cannot generate tokens until it has the "
            f"{' and the '.join(missing)}; add them with `tokenvault edit {cred.name}`."
        )


def apply_provider_defaults(cred: Credential, args: argparse.Namespace) -> None:
    """Secret dates and the style's auto-refresh default on a new credential."""
    from vault.core.config import load_config
    from vault.core.providers.validation import preset_of

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
    from vault.core.providers.validation import preset_of

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


def register(command: Command) -> None:
    """Register init, add, edit, list, show, remove, passwd and restore-backup."""
    p = command("init", cmd_init, "Create a new empty vault (asks for the passphrase twice).")
    # Out-of-range costs are usage errors (exit 2) here, before any passphrase is asked for;
    # the bounds are the ones a reader accepts from a file (FORMAT.md).
    p.add_argument(
        "--kdf-memory",
        type=_cost("memory", "MiB"),
        default=64,
        metavar="MIB",
        help="Argon2id MiB (default 64)",
    )
    p.add_argument(
        "--kdf-time",
        type=_cost("time", "passes"),
        default=3,
        metavar="N",
        help="Argon2id passes (default 3)",
    )
    p.add_argument(
        "--kdf-lanes",
        type=_cost("lanes", "lanes"),
        default=4,
        metavar="N",
        help="Argon2id lanes (default 4)",
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

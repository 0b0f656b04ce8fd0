"""The `tokenvault` command: thin `cmd_<verb>` handlers over vault.core (pass's shape)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vault import __version__
from vault.core import passphrase as passphrase_sources
from vault.core.clock import now
from vault.core.crypto import KdfParams
from vault.core.errors import (
    CredentialNotFound,
    DuplicateCredential,
    UsageError,
    VaultError,
    VaultNotFound,
)
from vault.core.model import Credential, EventKind
from vault.core.paths import default_vault_path
from vault.core.store import VaultStore, restore_backup
from vault.core.summary import credential_detail, credential_summary, human_duration

Handler = Callable[[argparse.Namespace], int]

# Which secret `--secret-file` / `--secret-stdin` fills for each style; PEM keys come from
# `--private-key-file`. Secrets never come from argv: they would show in `ps` and shell history.
PRIMARY_SECRET = {
    "app-token": "app_secret",
    "secret-exchange": "client_secret",
    "oauth2-client-credentials": "client_secret",
}


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


def open_store(args: argparse.Namespace) -> VaultStore:
    """Unlock the vault named by the arguments (the one place every command unlocks)."""
    path = vault_path(args)
    if not os.path.lexists(path):
        # Say so before asking for a passphrase that could not help.
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    return VaultStore.unlock(path, get_passphrase(args))


def parse_assignments(pairs: Sequence[str] | None) -> dict[str, Any]:
    """`--set KEY=VALUE` pairs; integers stay integers so lifetimes compare as numbers."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}.")
        result[key.strip()] = int(value) if value.lstrip("-").isdigit() else value
    return result


def read_secrets(args: argparse.Namespace, style: str) -> dict[str, str]:
    """Collect secrets from files or stdin (never argv)."""
    found: dict[str, str] = {}
    primary = PRIMARY_SECRET.get(style, "client_secret")
    if getattr(args, "secret_file", None) and getattr(args, "secret_stdin", False):
        raise UsageError("Give the secret with --secret-file or --secret-stdin, not both.")
    if getattr(args, "secret_file", None):
        found[primary] = passphrase_sources.read_secret_file(Path(args.secret_file), "secret")
    elif getattr(args, "secret_stdin", False):
        text = sys.stdin.read(passphrase_sources.MAX_FILE_BYTES + 1).rstrip("\r\n")
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
    path = vault_path(args)
    if path.exists():
        raise UsageError(f"A vault already exists at {path}; it was left untouched.")
    kdf = KdfParams(
        memory_kib=args.kdf_memory * 1024, time_cost=args.kdf_time, parallelism=args.kdf_lanes
    )
    kdf.check()
    VaultStore.create(path, get_passphrase(args, confirm=True), kdf)
    out(f"Created an empty vault at {path}.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    settings = parse_assignments(args.set)
    secrets = read_secrets(args, args.provider)
    store = open_store(args)
    with store.transaction() as data:
        if args.name in data.credentials:
            raise DuplicateCredential(args.name)
        cred = Credential(name=args.name, provider=args.provider, settings=settings)
        cred.secrets.update(secrets)
        cred.record(EventKind.CREATED)
        data.credentials[cred.name] = cred
    out(f"Added {args.name!r} ({args.provider}).")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    settings = parse_assignments(args.set)
    store = open_store(args)
    with store.transaction() as data:
        cred = _get(data.credentials, args.name)
        secrets = read_secrets(args, cred.provider)
        cred.settings.update(settings)
        for key in args.unset or []:
            cred.settings.pop(key, None)
        cred.secrets.update(secrets)
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
        when = "" if left is None else human_duration(left)
        secret = row["secret_seconds_left"]
        extra = "" if secret is None else f"  secret {human_duration(secret)}"
        out(f"{row['name']:<{width}}  {row['provider']:<26} {row['status']:<9} {when}{extra}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
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
    store = open_store(args)
    if args.new_passphrase_file:
        new = passphrase_sources.read_secret_file(Path(args.new_passphrase_file), "passphrase")
    else:
        new = ask_passphrase("New passphrase: ", confirm=True)
    store.change_passphrase(new)
    out("Passphrase changed; the data key was re-wrapped.")
    return 0


def cmd_restore_backup(args: argparse.Namespace) -> int:
    path = vault_path(args)
    store = restore_backup(path, get_passphrase(args))
    out(
        f"Restored the backup ({len(store.data.credentials)} credentials); "
        "the replaced vault is now the backup."
    )
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    from vault.tui.app import run_tui

    return run_tui(vault_path(args))


def cmd_demo(args: argparse.Namespace) -> int:
    from vault.tui.demo import demo_main

    return demo_main()


def _get(credentials: dict[str, Credential], name: str) -> Credential:
    try:
        return credentials[name]
    except KeyError:
        raise CredentialNotFound(name) from None


# -- parser ------------------------------------------------------------------------------------


def add_secret_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("secrets (never on the command line)")
    group.add_argument("--secret-file", metavar="FILE", help="read the client/app secret from FILE")
    group.add_argument(
        "--secret-stdin", action="store_true", help="read the client/app secret from stdin"
    )
    group.add_argument("--private-key-file", metavar="FILE", help="read a PEM private key")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenvault",
        description="A passphrase-encrypted vault for API credentials with live token expiry. "
        "Run with no command to open the terminal UI.",
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

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=handler)
        return p

    p = command("init", cmd_init, "Create a new empty vault (asks for the passphrase twice).")
    p.add_argument("--kdf-memory", type=int, default=64, metavar="MIB", help="Argon2id memory")
    p.add_argument("--kdf-time", type=int, default=3, metavar="N", help="Argon2id passes")
    p.add_argument("--kdf-lanes", type=int, default=4, metavar="N", help="Argon2id lanes")

    p = command("add", cmd_add, "Add a credential.")
    p.add_argument("name")
    p.add_argument("--provider", required=True, metavar="STYLE", help="provider style (preset)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a provider setting")
    add_secret_flags(p)

    p = command("edit", cmd_edit, "Change a credential's settings, secrets or name.")
    p.add_argument("name")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="set a provider setting")
    p.add_argument("--unset", action="append", metavar="KEY", help="remove a provider setting")
    p.add_argument("--rename", metavar="NEW", help="give the credential a new name")
    p.add_argument("--auto-refresh", choices=["on", "off"], help="refresh before expiry")
    add_secret_flags(p)

    p = command("list", cmd_list, "List credentials with their status and time left.")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = command("show", cmd_show, "Show one credential (secrets and token masked).")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("remove", cmd_remove, "Remove a credential and its secrets.")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = command("passwd", cmd_passwd, "Change the vault passphrase.")
    p.add_argument("--new-passphrase-file", metavar="FILE", help="read the new passphrase")

    command("restore-backup", cmd_restore_backup, "Put the previous vault version back.")
    command("demo", cmd_demo, "Open the UI on a throwaway demo vault and a local simulator.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

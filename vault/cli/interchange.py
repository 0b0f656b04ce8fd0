"""Credentials in, tokens out: `import postman`, `import dotenv` and `export`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from vault.cli.common import Command, _get, err, open_store, out, parse_min_valid
from vault.core.errors import UsageError
from vault.core.names import printable

if TYPE_CHECKING:
    from vault.core.interchange.plan import Planned
    from vault.core.store import VaultStore

# Thin shells over vault.core.interchange. Every import validates the whole plan (names,
# clashes, settings) before one store.transaction() saves it, so an error saves nothing.


def _settle(plans: list[Planned]) -> None:
    """The same setting checks `add` makes (bad URL, lifetime, ...), before anything is saved."""
    from vault.cli.vaultfile import check_provider_settings

    for plan in plans:
        try:
            plan.settings = check_provider_settings(plan.provider, plan.settings, plan.secrets)
        except UsageError as exc:
            raise UsageError(f"{plan.name!r}: {exc.message} Nothing was imported.") from None


def _finish(args: argparse.Namespace, store: VaultStore, plans: list[Planned]) -> int:
    """Check the whole plan, then print it (dry run) or save it in one transaction."""
    from vault.core.interchange import plan as planning

    existing: Collection[str] = set(store.data.credentials)
    planning.check(plans, existing, replace=args.replace)
    if args.dry_run:
        for line in planning.describe(plans, existing):
            out(line)
        out("Dry run: nothing was saved.")
        return 0
    _save(args, store, plans)
    return 0


def _save(args: argparse.Namespace, store: VaultStore, plans: list[Planned]) -> None:
    from vault.cli import secretfor
    from vault.cli.vaultfile import apply_provider_defaults, warn_incomplete
    from vault.core.model import Credential, EventKind

    made: list[Credential] = []
    with store.transaction() as data:
        for plan in plans:
            replaced = plan.name in data.credentials
            if replaced and not args.replace:
                # Another process added it since the check: raising here saves nothing.
                raise UsageError(
                    f"A credential named {plan.name!r} appeared meanwhile; nothing was imported."
                )
            data.credentials.pop(plan.name, None)
            cred = Credential(name=plan.name, provider=plan.provider, settings=plan.settings)
            cred.secrets.update(plan.secrets)
            apply_provider_defaults(cred, args)
            note = ", replacing the earlier credential of that name" if replaced else ""
            cred.record(EventKind.CREATED, f"imported from {plan.source}{note}")
            data.add(cred)
            made.append(cred)
    for cred, plan in zip(made, plans, strict=True):
        out(f"Imported {printable(cred.name)!r} ({cred.provider}) from {printable(plan.source)}.")
        for skipped in plan.skipped:
            err(f"note: left out {skipped}.")
        warn_incomplete(cred)
        secretfor.warn_plain(cred)


def cmd_import_postman(args: argparse.Namespace) -> int:
    from vault.core.interchange import postman
    from vault.core.interchange.sourcefile import read_json

    if args.file is None and args.collection is None:
        raise UsageError("Give a Postman environment file, a --collection file, or both.")
    env = read_json(Path(args.file), "environment file") if args.file else None
    if args.collection is not None:
        if args.provider not in (None, postman.OAUTH2_STYLE):
            raise UsageError(
                f"A collection's OAuth 2.0 auth imports as {postman.OAUTH2_STYLE}, "
                f"not {args.provider}."
            )
        data = read_json(Path(args.collection), "collection file")
        variables = postman.environment_variables(env)[1] if env is not None else {}
        plans, left_out = postman.from_collection(data, variables, name=args.name)
    else:
        if args.provider is None:
            raise UsageError(
                "Say which provider style the environment is with --provider (e.g. "
                "oauth2-client-credentials), or pass the --collection that uses it."
            )
        plans = [postman.from_environment(env, name=args.name, style=args.provider)]
        left_out = []
    _settle(plans)
    code = _finish(args, open_store(args), plans)
    for what in left_out:  # only once it worked: an error stays one sentence
        err(f"note: left out {what}: only the client-credentials grant is imported.")
    return code


def cmd_import_dotenv(args: argparse.Namespace) -> int:
    from vault.core.interchange import dotenv
    from vault.core.interchange.sourcefile import read_text
    from vault.core.providers.validation import preset_of

    entries = dotenv.parse(read_text(Path(args.file), ".env file"))
    maps = [dotenv.parse_map(text) for text in args.map or []]
    if args.provider is not None:
        preset_of(args.provider)  # an unknown style is named before the vault is opened
    store = open_store(args)
    styles: dict[str, str] = {}
    for item in maps:
        held = store.data.credentials.get(item.name)
        style = args.provider or (held.provider if held is not None and args.replace else None)
        if style is None:
            raise UsageError(f"Give --provider for the new credential {item.name!r}.")
        styles[item.name] = style
    plans = dotenv.plans(entries, maps, styles, f".env file {Path(args.file).name}")
    _settle(plans)
    return _finish(args, store, plans)


def cmd_export(args: argparse.Namespace) -> int:
    from vault.core.interchange import exporters, outfile

    min_valid = parse_min_valid(args.min_valid)
    names = list(dict.fromkeys(args.names))
    exporters.check_prefixes(names)
    target = Path(args.output) if args.output else None
    if target is not None:
        outfile.check_target(target, args.force)  # refuse before any token is minted
    store = open_store(args)
    creds = [_get(store.data.credentials, name) for name in names]
    from vault.core import tokens  # loads httpx: only now that a provider may be asked

    items = []
    for cred in creds:
        token = tokens.ensure(store, cred.name, min_valid)
        items.append(exporters.Exported(cred.name, cred.provider, token.value,
                                        token.token_type, token.expires_at))  # fmt: skip
    store.close()
    text = exporters.render(items, args.format)
    if target is None:
        sys.stdout.write(text)
        return 0
    outfile.write_export(target, text, force=args.force)
    out(f"Wrote {len(items)} token{'s' if len(items) != 1 else ''} to {target} (mode 0600).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """One parser for both sources (flags are checked per source here)."""
    wrong = (
        [("--map", args.map)]
        if args.source == "postman"
        else [("--collection", args.collection), ("--name", args.name)]
    )
    for flag, value in wrong:
        if value:
            raise UsageError(f"{flag} does not apply to `import {args.source}`.")
    if args.source == "postman":
        return cmd_import_postman(args)
    if args.file is None:
        raise UsageError("Name the .env file to import: tokenvault import dotenv FILE --map ...")
    return cmd_import_dotenv(args)


def register(command: Command) -> None:
    """Register import (postman, dotenv) and export."""
    p = command(
        "import",
        cmd_import,
        "Create credentials from a Postman environment and/or v2.1 collection, or a .env file.",
    )
    p.add_argument("source", choices=["postman", "dotenv"], help="the kind of file")
    p.add_argument(
        "file", nargs="?", metavar="FILE", help="the Postman environment, or the .env file"
    )
    p.add_argument(
        "--collection", metavar="FILE", help="postman: a v2.1 collection with OAuth 2.0 auths"
    )
    p.add_argument("--name", metavar="NAME", help="postman: the credential's name")
    p.add_argument(
        "--map",
        action="append",
        metavar="VAR=NAME:FIELD",
        help="dotenv: put VAR in setting or secret FIELD of credential NAME (repeatable)",
    )
    p.add_argument(
        "--provider", metavar="STYLE", help="the style of an environment, or of new credentials"
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan (secrets masked)")
    p.add_argument("--replace", action="store_true", help="replace credentials of the same name")

    p = command("export", cmd_export, "Write fresh tokens (never root secrets) for other tools.")
    p.add_argument("names", nargs="+", metavar="NAME", help="credentials to export")
    p.add_argument("--format", required=True, choices=["dotenv", "postman-env", "json"])
    p.add_argument("-o", "--output", metavar="FILE", help="write FILE (0600) instead of stdout")
    p.add_argument(
        "--force", action="store_true", help="overwrite FILE even if tokenvault did not write it"
    )
    p.add_argument(
        "--min-valid", default="60s", metavar="DURATION", help="least time left (default 60s)"
    )

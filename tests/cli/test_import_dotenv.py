"""`tokenvault import dotenv FILE --map VAR=NAME:FIELD`: a strict parser that never expands.

The grammar is the common subset docker compose and python-dotenv read (`KEY=VALUE`, optional
`export `, `#` comments, single quotes literal, double quotes with escapes); see the docstring
of vault/core/interchange/dotenv.py and docs/guide.md, "Importing from a .env file".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.cli.interchange_support import CLIENT_SECRET, DOTENV, credentials, sim
from vault.core.errors import UsageError
from vault.core.interchange.dotenv import parse
from vault.sim import Simulator

__all__ = ["sim"]

SERVICE = DOTENV / "service.env"
MAPS = (
    "--map", "OAUTH_BASE_URL=svc:base_url", "--map", "OAUTH_CLIENT_ID=svc:client_id",
    "--map", "OAUTH_CLIENT_SECRET=svc:client_secret", "--map", "OAUTH_SCOPE=svc:scope",
)  # fmt: skip
STYLE = ("--provider", "oauth2-client-credentials")


def test_the_grammar() -> None:
    text = (
        "# comment\n\n"
        "export A=plain value   # trailing comment\n"
        "B = 'single $HOME `x` \\n kept'\n"
        'C="tab\\tquote\\" dollar\\$HOME back\\\\slash\\nend"\n'
        'PEM="-----BEGIN KEY-----\nMIIB\n-----END KEY-----"\n'
        "D=a#b\r\n"
        "E=\n"
    )
    found = {key: entry.value for key, entry in parse(text).items()}
    assert found == {
        "A": "plain value",
        "B": "single $HOME `x` \\n kept",
        "C": 'tab\tquote" dollar$HOME back\\slash\nend',
        "PEM": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----",
        "D": "a#b",
        "E": "",
    }
    assert parse(text)["D"].line == 9  # the PEM value spans lines 6-8: they still count


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("A=1\nA=2\n", "Line 2 of the .env file sets A again (first set on line 1)"),
        ('A="never closed\n', "never closes"),
        ("just words\n", "Line 1 of the .env file is not KEY=VALUE"),
        ("1A=x\n", "no valid variable name"),
        ('A="x" trailing\n', "text after the closing quote"),
        ("A=it's\n", "stray quote"),
        ("A=x\x1b[2J\n", "Line 1 of the .env file holds a control character"),
        ("A=$(id)\n", "never performs"),
        ('A="${HOME}"\n', "never performs"),
        ("A=`id`\n", "never performs"),
        ('A="\\\\$HOME"\n', "never performs"),
    ],
)
def test_what_the_parser_refuses(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=None) as caught:
        parse(text)
    assert said in caught.value.message
    assert "id" not in caught.value.message.replace("valid", "")  # no value echoed


def test_import_maps_variables_to_settings_and_secrets(
    initialised: Run, sim: Simulator, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    env.write_text(SERVICE.read_text().replace("https://auth.example.com", sim.url))
    run = initialised("import", "dotenv", str(env), *MAPS, *STYLE, ok=True)
    assert CLIENT_SECRET not in run.stdout + run.stderr
    cred = credentials(initialised)["svc"]
    assert cred["settings"] == {"base_url": sim.url, "client_id": "cli-client", "scope": "read"}
    assert cred["secrets"] == {"client_secret": "••••0001"}
    initialised("token", "svc", ok=True)
    assert sim.counters["oauth2.generate.ok"] == 1


def test_dry_run_masks_and_saves_nothing(initialised: Run) -> None:
    run = initialised("import", "dotenv", str(SERVICE), *MAPS, *STYLE, "--dry-run", ok=True)
    assert "  secret  client_secret = ••••0001" in run.stdout.splitlines()
    assert "  setting client_id = cli-client" in run.stdout.splitlines()
    assert CLIENT_SECRET not in run.stdout + run.stderr
    assert credentials(initialised) == {}


@pytest.mark.parametrize(
    ("maps", "said"),
    [
        (("--map", "NOPE=svc:client_id"), "--map names NOPE, which the .env file does not set"),
        (("--map", "OAUTH_SCOPE=svc:colour"), "'colour' is neither a setting nor a secret"),
        (("--map", "OAUTH_SCOPE"), "--map expects VAR=NAME:FIELD"),
        (("--map", "OAUTH_SCOPE=svc:scope", "--map", "UNRELATED=svc:scope"), "svc:scope twice"),
        (("--map", "OAUTH_BASE_URL=svc:base_url"), "'svc': The setting 'base_url' must be"),
        ((), "Say which variables to import"),
    ],
)
def test_bad_maps_are_one_sentence_and_save_nothing(
    initialised: Run, tmp_path: Path, maps: tuple[str, ...], said: str
) -> None:
    env = tmp_path / ".env"
    env.write_text(SERVICE.read_text().replace("https://auth.example.com", "auth.example.com"))
    run = initialised("import", "dotenv", str(env), *maps, *STYLE)
    assert run.returncode == 2
    assert said in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert credentials(initialised) == {}


def test_an_expansion_is_refused_and_never_run(initialised: Run, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    env = tmp_path / ".env"
    env.write_text(f"OAUTH_CLIENT_ID=$(touch {marker})\nOAUTH_SCOPE=`touch {marker}`\n")
    run = initialised("import", "dotenv", str(env), "--map", "OAUTH_SCOPE=svc:scope", *STYLE)
    assert run.returncode == 2 and "never performs" in run.stderr
    assert not marker.exists()


def test_new_credentials_need_a_provider_existing_ones_need_replace(initialised: Run) -> None:
    run = initialised("import", "dotenv", str(SERVICE), *MAPS)
    assert run.returncode == 2 and "Give --provider for the new credential 'svc'" in run.stderr
    initialised("import", "dotenv", str(SERVICE), *MAPS, *STYLE, ok=True)
    again = initialised("import", "dotenv", str(SERVICE), *MAPS, *STYLE)
    assert again.returncode == 2 and "already exists; pass --replace" in again.stderr
    # With --replace the existing credential's style is used when --provider is left out.
    scope_only = (
        "--map", "OAUTH_SCOPE=svc:scope", "--map", "OAUTH_CLIENT_SECRET=svc:client_secret",
    )  # fmt: skip
    initialised("import", "dotenv", str(SERVICE), *scope_only, "--replace", ok=True)
    cred = credentials(initialised)["svc"]
    assert cred["provider"] == "oauth2-client-credentials"
    assert cred["settings"] == {"scope": "read"}  # replaced whole, not merged


def test_importing_these_modules_loads_no_network_stack() -> None:
    probe = (
        "import sys\n"
        "import vault.cli.interchange, vault.core.interchange.dotenv, "
        "vault.core.interchange.postman, vault.core.interchange.exporters, "
        "vault.core.interchange.outfile, vault.core.interchange.plan\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'jwt', 'textual', "
        "'rich'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_flags_of_the_other_source_are_refused(initialised: Run) -> None:
    for args, said in [
        (("dotenv", str(SERVICE), *MAPS, *STYLE, "--collection", "c.json"), "--collection"),
        (("postman", str(SERVICE), "--map", "A=b:c"), "--map"),
        (("dotenv", "--map", "A=b:c"), "Name the .env file"),
    ]:
        run = initialised("import", *args)
        assert run.returncode == 2 and said in run.stderr and run.stderr.count("\n") == 1
    assert credentials(initialised) == {}

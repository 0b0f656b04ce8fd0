"""`tokenvault import postman`: environments and v2.1 collections, run as the installed command.

The fixtures in tests/cli/fixtures/postman/ are written from Postman's published formats:

- Collection v2.1.0 (https://schema.getpostman.com/json/collection/v2.1.0/collection.json):
  ``info.schema``, ``item`` (folders hold ``item``, requests ``request``), ``variable``, and
  ``auth`` (``#/definitions/auth``) on the collection, a folder and a request; an OAuth 2.0
  auth is ``{"type": "oauth2", "oauth2": [auth-attribute]}``, an auth-attribute
  ``{"key", "value", "type"}`` (``#/definitions/auth-attribute``, ``key`` required), with
  Postman's keys ``grant_type``, ``accessTokenUrl``, ``clientId``, ``clientSecret``, ``scope``,
  ``client_authentication`` (``header`` | ``body``), ``tokenName``, ``addTokenTo``.
- Environment export: ``{"id", "name", "values": [{"key", "value", "type": "default" |
  "secret", "enabled"}], "_postman_variable_scope": "environment", "_postman_exported_at",
  "_postman_exported_using"}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.conftest import Run
from tests.cli.interchange_support import (
    ADMIN_SECRET,
    CLIENT_SECRET,
    POSTMAN,
    credentials,
    environment_at,
    sim,
)
from vault.sim import Simulator

__all__ = ["sim"]  # the fixture, imported for pytest

COLLECTION = POSTMAN / "acme.postman_collection.json"
ENVIRONMENT = POSTMAN / "acme.postman_environment.json"
CLIENT_ENV = POSTMAN / "oauth-client.postman_environment.json"


def _vault_bytes(tmp_path: Path) -> bytes:
    return (tmp_path / "cli" / "vault.tvault").read_bytes()


def test_dry_run_shows_the_plan_with_secrets_masked_and_saves_nothing(
    initialised: Run, tmp_path: Path
) -> None:
    before = _vault_bytes(tmp_path)
    run = initialised(
        "import", "postman", str(ENVIRONMENT), "--collection", str(COLLECTION), "--dry-run",
        ok=True,
    )  # fmt: skip
    lines = run.stdout.splitlines()
    assert "would create 'acme-reports' (oauth2-client-credentials) from Postman collection " \
        "'Acme API'" in lines  # fmt: skip
    assert "would create 'Admin' (oauth2-client-credentials) from Postman folder 'Admin'" in lines
    assert "  secret  client_secret = ••••0001" in lines
    assert "  secret  client_secret = ••••0002" in lines
    assert "  setting base_url = https://auth.example.com" in lines
    for secret in (CLIENT_SECRET, ADMIN_SECRET, "disabled-value-0003"):
        assert secret not in run.stdout + run.stderr
    assert _vault_bytes(tmp_path) == before
    assert credentials(initialised) == {}


def test_collection_auths_become_credentials_that_get_tokens(
    initialised: Run, sim: Simulator, tmp_path: Path
) -> None:
    """Header (HTTP Basic) and body client authentication both reach the simulator; the request
    repeating the collection's auth is one credential, the authorization-code auth is left
    out with a note, and {{clientId}} comes from the environment, not the collection."""
    env = environment_at(tmp_path, ENVIRONMENT, authBase=sim.url)
    run = initialised("import", "postman", str(env), "--collection", str(COLLECTION), ok=True)
    assert "left out the OAuth 2.0 auth of the request 'Sign in as a person'" in run.stderr
    creds = credentials(initialised)
    assert sorted(creds) == ["Admin", "acme-reports"]
    header, body = creds["acme-reports"]["settings"], creds["Admin"]["settings"]
    assert header == {
        "base_url": sim.url, "token_url": "/oauth/token", "client_id": "cli-client",
        "scope": "read",
    }  # fmt: skip
    assert body["auth"] == "none" and body["client_id"] == "admin-client"
    assert body["body"]["client_secret"] == "{secret.client_secret}"
    assert creds["Admin"]["secrets"] == {"client_secret": "••••0002"}
    assert creds["acme-reports"]["history"][0]["detail"] == (
        "imported from Postman collection 'Acme API'"
    )
    for name in ("acme-reports", "Admin"):
        initialised("token", name, ok=True)
    assert sim.counters["oauth2.generate.ok"] == 2


def test_an_environment_alone_is_one_credential(
    initialised: Run, sim: Simulator, tmp_path: Path
) -> None:
    """camelCase keys name settings (baseUrl -> base_url); other variables are left out."""
    env = environment_at(tmp_path, CLIENT_ENV, baseUrl=sim.url)
    run = initialised(
        "import", "postman", str(env), "--provider", "oauth2-client-credentials", ok=True
    )
    assert "left out sessionCookie (a secret that is no field" in run.stderr
    assert "left out userId" in run.stderr
    cred = credentials(initialised)["reports-oauth"]
    assert cred["settings"] == {"base_url": sim.url, "client_id": "cli-client", "scope": "read"}
    assert cred["secrets"] == {"client_secret": "••••0001"}
    initialised("token", "reports-oauth", ok=True)
    assert sim.counters["oauth2.generate.ok"] == 1


def test_an_environment_needs_a_provider(initialised: Run) -> None:
    run = initialised("import", "postman", str(CLIENT_ENV))
    assert run.returncode == 2 and "--provider" in run.stderr
    assert run.stderr.count("\n") == 1


def test_a_secret_variable_never_becomes_a_shown_setting(initialised: Run, tmp_path: Path) -> None:
    data = json.loads(CLIENT_ENV.read_text())
    data["values"][1]["type"] = "secret"  # clientId marked secret in Postman
    env = tmp_path / "env.json"
    env.write_text(json.dumps(data))
    run = initialised("import", "postman", str(env), "--provider", "oauth2-client-credentials")
    assert run.returncode == 2
    assert "'clientId' is marked secret" in run.stderr and run.stderr.count("\n") == 1
    assert credentials(initialised) == {}


def test_existing_names_are_refused_unless_replace(initialised: Run, tmp_path: Path) -> None:
    args = ("import", "postman", str(ENVIRONMENT), "--collection", str(COLLECTION))
    initialised(*args, ok=True)
    before = _vault_bytes(tmp_path)
    again = initialised(*args)
    assert again.returncode == 2
    assert "'acme-reports' already exists; pass --replace" in again.stderr
    assert _vault_bytes(tmp_path) == before
    replaced = initialised(*args, "--replace", ok=True)
    assert replaced.stdout.count("Imported") == 2
    history = credentials(initialised)["Admin"]["history"]
    assert [e["kind"] for e in history] == ["created"]
    assert "replacing the earlier credential" in history[0]["detail"]


def test_nothing_is_saved_when_any_credential_is_bad(initialised: Run, tmp_path: Path) -> None:
    """The Admin folder's URL is plain http to a remote host: the good one is not saved either."""
    data = json.loads(COLLECTION.read_text())
    folder = next(item for item in data["item"] if item["name"] == "Admin")
    url = next(a for a in folder["auth"]["oauth2"] if a["key"] == "accessTokenUrl")
    url["value"] = "http://auth.example.com/oauth/token"
    bad = tmp_path / "bad.postman_collection.json"
    bad.write_text(json.dumps(data))
    before = _vault_bytes(tmp_path)
    run = initialised("import", "postman", str(ENVIRONMENT), "--collection", str(bad))
    assert run.returncode == 2
    assert "'Admin':" in run.stderr and "plain http" in run.stderr
    assert _vault_bytes(tmp_path) == before
    assert credentials(initialised) == {}


def test_a_reference_nothing_defines_is_one_sentence(initialised: Run) -> None:
    run = initialised("import", "postman", "--collection", str(COLLECTION))
    assert run.returncode == 2
    assert "uses {{authBase}}, which neither the environment nor the collection" in run.stderr
    assert run.stderr.count("\n") == 1


def test_name_applies_to_a_single_auth_only(initialised: Run, tmp_path: Path) -> None:
    both = initialised(
        "import", "postman", str(ENVIRONMENT), "--collection", str(COLLECTION), "--name", "x"
    )
    assert both.returncode == 2 and "2 different client-credentials auths" in both.stderr
    data = json.loads(COLLECTION.read_text())
    data["item"] = [item for item in data["item"] if item["name"] != "Admin"]
    one = tmp_path / "one.json"
    one.write_text(json.dumps(data))
    initialised(
        "import", "postman", str(ENVIRONMENT), "--collection", str(one), "--name", "acme",
        ok=True,
    )  # fmt: skip
    assert list(credentials(initialised)) == ["acme"]


def test_only_v2_1_collections_are_read(initialised: Run) -> None:
    legacy = POSTMAN / "legacy-v2.0.postman_collection.json"
    run = initialised("import", "postman", str(ENVIRONMENT), "--collection", str(legacy))
    assert run.returncode == 2 and "Collection v2.1" in run.stderr


def test_hostile_files_get_one_sentence(initialised: Run, tmp_path: Path) -> None:
    """Nesting, terminal escapes in a name or a setting, a FIFO, a huge file: refused."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"values": ' + "[" * 100_000 + "]" * 100_000 + "}")
    nested = tmp_path / "nested.json"  # deeper than the cap, well within Python's recursion
    nested.write_text('{"values": [{"key": "k", "value": ' + "[" * 200 + "]" * 200 + "}]}")
    control = json.loads(CLIENT_ENV.read_text())
    control["values"][3]["value"] = "read\x1b[2J"  # scope: a terminal escape
    repaint = tmp_path / "control.json"
    repaint.write_text(json.dumps(control))
    escape = json.loads(COLLECTION.read_text())
    escape["auth"]["oauth2"][0]["value"] = "acme\x1b]0;owned\x07"
    named = tmp_path / "escape.json"
    named.write_text(json.dumps(escape))
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (8 * 1024 * 1024 + 1))
    cases = {
        "nests deeper than": ("import", "postman", str(deep), "--provider", "app-token"),
        "nests deeper than 64": ("import", "postman", str(nested), "--provider", "app-token"),
        "holds a control character": (
            "import", "postman", str(repaint), "--provider", "oauth2-client-credentials",
        ),
        "control or invisible characters": (
            "import", "postman", str(ENVIRONMENT), "--collection", str(named),
        ),
        "not a regular file": ("import", "postman", str(fifo), "--provider", "app-token"),
        "larger than": ("import", "postman", str(huge), "--provider", "app-token"),
    }  # fmt: skip
    for said, args in cases.items():
        run = initialised(*args)
        assert run.returncode == 2, (said, run.stderr)
        assert said in run.stderr and run.stderr.count("\n") == 1, run.stderr
        assert "\x1b" not in run.stderr
    assert credentials(initialised) == {}

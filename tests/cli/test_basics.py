"""The CLI basics end to end: the installed command, a real vault file, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import BIN, Run


def add_app_token(
    tv: Run, tmp_path: Path, name: str = "happay", secret: str = "app-SECRET-9f2c"
) -> None:
    secret_file = tmp_path / f"{name}.secret"
    secret_file.write_text(secret + "\n")
    tv(
        "add",
        name,
        "--provider",
        "app-token",
        "--set",
        "base_url=http://127.0.0.1:9",
        "--set",
        "app_id=app_36c3",
        "--secret-file",
        str(secret_file),
        ok=True,
    )


def test_init_add_list_json(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path)
    rows = json.loads(initialised("list", "--json", ok=True).stdout)
    assert rows == [
        {
            "name": "happay",
            "provider": "app-token",
            "status": "missing",
            "expires_at": None,
            "seconds_left": None,
            "secret_expires_at": None,
            "secret_seconds_left": None,
            "last_error": None,
        }
    ]


def test_show_masks_secrets(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path, secret="app-SECRET-9f2c")
    shown = initialised("show", "happay", ok=True).stdout
    assert "app-SECRET" not in shown and "9f2c" in shown
    detail = json.loads(initialised("show", "happay", "--json", ok=True).stdout)
    assert detail["secrets"] == {"app_secret": "••••9f2c"}
    assert detail["settings"]["app_id"] == "app_36c3"
    assert [e["kind"] for e in detail["history"]] == ["created"]


def test_secret_from_stdin(initialised: Run) -> None:
    initialised(
        "add",
        "x",
        "--provider",
        "app-token",
        "--secret-stdin",
        input="stdin-SECRET-1a2b\n",
        ok=True,
    )
    detail = json.loads(initialised("show", "x", "--json", ok=True).stdout)
    assert detail["secrets"]["app_secret"] == "••••1a2b"


def test_exit_codes(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path)
    wrong = initialised("list", env={"TOKENVAULT_PASSPHRASE": "nope"})
    assert wrong.returncode == 3 and "Wrong passphrase" in wrong.stderr
    missing = initialised("show", "ghost")
    assert missing.returncode == 1 and "ghost" in missing.stderr
    usage = initialised("add")
    assert usage.returncode == 2
    dup = initialised("add", "happay", "--provider", "app-token")
    assert dup.returncode == 2 and "already exists" in dup.stderr
    (tmp_path / "junk").write_text("not a vault\n")
    junk = initialised("list", env={"TOKENVAULT_VAULT": str(tmp_path / "junk")})
    assert junk.returncode == 4 and "not a tokenvault vault" in junk.stderr
    assert len(junk.stderr.strip().splitlines()) == 1


def test_no_terminal_and_no_source_is_a_clear_error(initialised: Run) -> None:
    result = initialised("list", env={"TOKENVAULT_PASSPHRASE": ""})
    assert result.returncode == 2
    assert "no terminal" in result.stderr


def test_passphrase_file_wins_over_environment(initialised: Run, tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("cli test passphrase\n")
    result = initialised("--passphrase-file", str(pw), "list", env={"TOKENVAULT_PASSPHRASE": "bad"})
    assert result.returncode == 0, result.stderr


def test_edit_rename_and_remove(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path)
    initialised("edit", "happay", "--set", "app_id=app_new", "--rename", "happay-uat", ok=True)
    detail = json.loads(initialised("show", "happay-uat", "--json", ok=True).stdout)
    assert detail["settings"]["app_id"] == "app_new"
    assert [e["kind"] for e in detail["history"]] == ["created", "edited"]
    refused = initialised("remove", "happay-uat")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    initialised("remove", "happay-uat", "--yes", ok=True)
    assert json.loads(initialised("list", "--json", ok=True).stdout) == []


def test_passwd_then_restore_backup(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path)
    initialised("remove", "happay", "--yes", ok=True)
    initialised("restore-backup", ok=True)
    assert [r["name"] for r in json.loads(initialised("list", "--json", ok=True).stdout)] == [
        "happay"
    ]
    new = tmp_path / "new-pw"
    new.write_text("brand new passphrase\n")
    initialised("passwd", "--new-passphrase-file", str(new), ok=True)
    assert initialised("list").returncode == 3
    assert (
        initialised("list", env={"TOKENVAULT_PASSPHRASE": "brand new passphrase"}).returncode == 0
    )


def test_init_refuses_existing_vault(initialised: Run) -> None:
    again = initialised("init")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_bad_secret_file_is_one_sentence(initialised: Run, tmp_path: Path) -> None:
    result = initialised(
        "add", "x", "--provider", "app-token", "--secret-file", str(tmp_path / "missing")
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Cannot read the secret file" in result.stderr


def test_edit_refuses_a_bad_value_and_keeps_the_credential(
    initialised: Run, tmp_path: Path
) -> None:
    add_app_token(initialised, tmp_path)
    bad = initialised("edit", "happay", "--set", "base_url=not a url")
    assert bad.returncode == 2, bad.stderr
    detail = json.loads(initialised("show", "happay", "--json", ok=True).stdout)
    assert detail["settings"]["base_url"] == "http://127.0.0.1:9"


def test_short_new_passphrases_are_refused(tv: Run, tmp_path: Path) -> None:
    short = tv("init", env={"TOKENVAULT_PASSPHRASE": "short"})
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert not (tmp_path / "cli" / "vault.tvault").exists()


def test_passwd_rotate_key(initialised: Run, tmp_path: Path) -> None:
    add_app_token(initialised, tmp_path)
    new = tmp_path / "new-pw"
    new.write_text("x\n")
    refused = initialised("passwd", "--new-passphrase-file", str(new))
    assert refused.returncode == 2 and "at least 8 characters" in refused.stderr
    new.write_text("rotated passphrase\n")
    done = initialised("passwd", "--rotate-key", "--new-passphrase-file", str(new), ok=True)
    assert "new data key" in done.stdout
    env = {"TOKENVAULT_PASSPHRASE": "rotated passphrase"}
    assert [r["name"] for r in json.loads(initialised("list", "--json", env=env).stdout)] == [
        "happay"
    ]


def test_secret_exchange_secret_clock_follows_rotation(initialised: Run, tmp_path: Path) -> None:
    secret = tmp_path / "client.secret"
    secret.write_text("old-client-secret-0001\n")
    added = initialised(
        "add",
        "shiftiq",
        "--provider",
        "secret-exchange",
        "--base-url",
        "http://127.0.0.1:9",
        "--partition",
        "acme",
        "--secret-file",
        str(secret),
        "--secret-created",
        "2026-01-01",
        ok=True,
    )
    assert "taken as created today" not in added.stderr
    shown = json.loads(initialised("show", "shiftiq", "--json", ok=True).stdout)
    assert shown["secret_created_at"].startswith("2026-01-01")
    assert shown["secret_expires_at"].startswith("2026-04-01")  # 90 days later
    # A settings-only edit keeps the secret's clock.
    initialised("edit", "shiftiq", "--set", "lifetime=3600", ok=True)
    shown = json.loads(initialised("show", "shiftiq", "--json", ok=True).stdout)
    assert shown["secret_created_at"].startswith("2026-01-01")
    # Rotating the secret restarts it, unless a date is given.
    secret.write_text("new-client-secret-0002\n")
    initialised("edit", "shiftiq", "--secret-file", str(secret), ok=True)
    shown = json.loads(initialised("show", "shiftiq", "--json", ok=True).stdout)
    assert not shown["secret_created_at"].startswith("2026-01-01")
    assert shown["secret_seconds_left"] > 89 * 86400
    future = initialised("edit", "shiftiq", "--secret-created", "2999-01-01")
    assert future.returncode == 2 and "future" in future.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "code", "words"),
    [
        (
            ["add", "x", "--provider", "app-token", "--secret-stdin"],
            b"\xff\xfesecret\n",
            2,
            "UTF-8",
        ),
        (["token", "x", "--min-valid", "\u00b2"], None, 2, "not a duration"),
        (["token", "x", "--min-valid", "99999999999999999d"], None, 2, "ten years"),
        (["--vault", "/", "list"], None, 1, "Is a directory"),
        (["request", "x", "GET", "http://127.0.0.1:9/", "--timeout", "nan"], None, 2, "--timeout"),
        (["request", "x", "GET", "http://127.0.0.1:9/", "-H", "X-A: \u00e9"], None, 2, "ASCII"),
        ([], None, 2, "needs a terminal"),
        (["demo"], None, 2, "needs a terminal"),
    ],
)
def test_bad_input_is_one_sentence_never_a_traceback(
    initialised: Run,
    cli_env: dict[str, str],
    args: list[str],
    stdin: bytes | None,
    code: int,
    words: str,
) -> None:
    result = subprocess.run(
        [BIN, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env=cli_env,
        timeout=60,
    )
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err and err.count("\n") == 1 and words in err


def test_the_command_word_finder_knows_every_global_option_with_a_value() -> None:
    """`first_positional` picks the sub-parser to build; a global option it did not know
    would make it take that option's value for the command."""
    from vault.cli import GLOBAL_VALUE_OPTIONS, build_parser, first_positional

    with_values = {
        option
        for action in build_parser()._actions
        if action.option_strings and action.nargs != 0 and action.dest != "command"
        for option in action.option_strings
        if option.startswith("--")
    }
    assert with_values == GLOBAL_VALUE_OPTIONS
    assert first_positional(["--vault", "token", "list", "--json"]) == "list"

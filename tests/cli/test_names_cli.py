"""Names at the CLI: bad new names are refused in one sentence; stored odd names show escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from vault.core.model import Credential, Token
from vault.core.store import VaultStore

HOSTILE = "evil\x1b[2J\x1b]0;owned\x07\rgh"
"""Clears the screen, retitles the terminal and overwrites its own line if printed raw."""

HOSTILE_PROVIDER_TEXT = "HTTP 500: \x1b[31mred\x1b[0m\rforged line"


def _raw_control(text: str) -> list[str]:
    return [ch for ch in text if ch in "\x1b\r\x07\x9b" or (ord(ch) < 32 and ch != "\n")]


def _names(tv: Run) -> list[str]:
    return [row["name"] for row in json.loads(tv("list", "--json", ok=True).stdout)]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-rf", "start with '-'"),
        ("a\x1b[2Jb", "control"),
        ("a\rb", "control"),
        ("rtl\u202eevil", "invisible"),
    ],
)
def test_add_refuses_a_bad_name_in_one_sentence_and_stores_nothing(
    initialised: Run, name: str, words: str
) -> None:
    # `--` so argparse hands a leading '-' over as the name, as a script might.
    result = initialised(
        "add", "--provider", "app-token", "--secret-stdin", "--", name, input="s\n"
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert not _raw_control(result.stderr)
    assert _names(initialised) == []


@pytest.mark.parametrize("new", ["", "  ", "-x", "a\rb", "tab\there"])
def test_edit_rename_refuses_a_bad_name_and_keeps_the_credential(
    initialised: Run, new: str
) -> None:
    initialised("add", "gh", "--provider", "app-token", "--secret-stdin", input="s\n", ok=True)
    result = initialised("edit", "gh", "--set", "app_id=changed", f"--rename={new}")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not _raw_control(result.stderr)
    assert _names(initialised) == ["gh"]
    detail = json.loads(initialised("show", "gh", "--json", ok=True).stdout)
    assert "app_id" not in detail["settings"]  # the whole edit was refused, not half of it


@pytest.fixture
def hostile_vault(initialised: Run, cli_env: dict[str, str]) -> Run:
    """A vault that already holds a hostile name and provider text (an older version's, or a
    hand-made import), written through the core API that does not check old names."""
    store = VaultStore.unlock(Path(cli_env["TOKENVAULT_VAULT"]), cli_env["TOKENVAULT_PASSPHRASE"])
    with store.transaction() as data:
        cred = Credential(name=HOSTILE, provider="app-token")
        cred.settings["app_id"] = "set\x1b[8mhidden"
        cred.last_error = HOSTILE_PROVIDER_TEXT
        cred.record("failed", HOSTILE_PROVIDER_TEXT)
        cred.token = Token(value="tok-" + "v" * 20)
        data.credentials[HOSTILE] = cred
    return initialised


def test_list_shows_a_stored_hostile_name_escaped(hostile_vault: Run) -> None:
    result = hostile_vault("list", ok=True)
    assert not _raw_control(result.stdout + result.stderr)
    assert "evil\\x1b[2J\\x1b]0;owned\\x07\\x0dgh" in result.stdout
    assert _names(hostile_vault) == [HOSTILE]  # JSON keeps the exact name, escaped by JSON


def test_show_shows_the_name_settings_and_provider_text_escaped(hostile_vault: Run) -> None:
    result = hostile_vault("show", HOSTILE, ok=True)
    assert not _raw_control(result.stdout + result.stderr)
    assert "name: evil\\x1b[2J" in result.stdout
    assert "app_id: set\\x1b[8mhidden" in result.stdout
    assert "last_error: HTTP 500: \\x1b[31mred\\x1b[0m\\x0dforged line" in result.stdout
    assert "failed  HTTP 500: \\x1b[31m" in result.stdout  # the history line


def test_a_stored_hostile_name_can_be_renamed_to_a_good_one(hostile_vault: Run) -> None:
    hostile_vault("edit", HOSTILE, "--rename", "gh", ok=True)
    assert _names(hostile_vault) == ["gh"]


def test_errors_quoting_a_hostile_name_are_escaped(hostile_vault: Run) -> None:
    result = hostile_vault("show", "nope\x1b[2J")
    assert result.returncode != 0
    assert not _raw_control(result.stderr) and "\\x1b[2J" in result.stderr

"""Credential names: new ones are checked in core, stored odd ones still open and show escaped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.store_support import PASSPHRASE
from vault.core.errors import DuplicateCredential, UsageError
from vault.core.model import Credential, VaultData
from vault.core.names import MAX_NAME_LENGTH, check_name, printable, shell_word
from vault.core.store import VaultStore


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t", "empty"),
        ("-rf", "start with '-'"),
        ("--help", "start with '-'"),
        ("a\x1b[2Jb", "control"),
        ("line\rover", "control"),
        ("two\nlines", "control"),
        ("nul\x00", "control"),
        ("del\x7f", "control"),
        ("c1\x9b", "control"),
        ("rtl\u202eevil", "invisible"),
        ("zero\u200bwidth", "invisible"),
        ("sep\u2028x", "invisible"),
        ("bad\udcff", "invisible"),
        (" padded", "space"),
        ("x" * (MAX_NAME_LENGTH + 1), "at most"),
    ],
)
def test_bad_names_get_one_sentence(name: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_name(name)
    message = caught.value.message
    assert words in message
    assert message.count(".") == 1 and message.endswith(".")
    assert "\x1b" not in message and "\r" not in message and "\n" not in message


@pytest.mark.parametrize(
    "name", ["gh", "prod api", "team/ci-bot", "a-b_c.d", "ключ", "名前", "x" * MAX_NAME_LENGTH]
)
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\rb", "a\\x0db"),
        ("a\nb\tc", "a\\x0ab\\x09c"),
        ("\x9b2J", "\\x9b2J"),
        ("\u202eabc", "\\u202eabc"),
        ("plain [red]x[/]", "plain [red]x[/]"),
        ("ключ", "ключ"),
    ],
)
def test_printable_escapes_only_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(shown) == shown  # the escaped form is itself printable


def test_add_refuses_a_bad_name_and_keeps_the_vault_as_it_was() -> None:
    data = VaultData()
    data.add(Credential(name="gh", provider="app-token"))
    with pytest.raises(UsageError):
        data.add(Credential(name="evil\x1b]0;title\x07", provider="app-token"))
    with pytest.raises(DuplicateCredential):
        data.add(Credential(name="gh", provider="jwt-bearer"))
    assert list(data.credentials) == ["gh"]
    assert data.credentials["gh"].provider == "app-token"


def test_rename_refuses_a_bad_name_and_keeps_the_old_one() -> None:
    data = VaultData()
    data.add(Credential(name="gh", provider="app-token"))
    data.add(Credential(name="other", provider="app-token"))
    for bad in ("-x", "  ", "a\rb"):
        with pytest.raises(UsageError):
            data.rename("gh", bad)
    with pytest.raises(DuplicateCredential):
        data.rename("gh", "other")
    assert sorted(data.credentials) == ["gh", "other"]
    assert data.rename("gh", "github").name == "github"
    assert sorted(data.credentials) == ["github", "other"]


def test_a_vault_already_holding_a_hostile_name_opens_and_can_rename_it(
    store: VaultStore, vault_path: Path
) -> None:
    hostile = "\x1b[2J\rgh"
    with store.transaction() as data:
        # Written as an older version (or a hand-edited import) would: no check on this path.
        data.credentials[hostile] = Credential(name=hostile, provider="app-token")
    reopened = VaultStore.unlock(vault_path, PASSPHRASE)
    assert list(reopened.data.credentials) == [hostile]
    assert printable(hostile) == "\\x1b[2J\\x0dgh"
    with reopened.transaction() as data:
        data.rename(hostile, "gh")
    assert list(VaultStore.unlock(vault_path, PASSPHRASE).data.credentials) == ["gh"]


@pytest.mark.parametrize(
    "name",
    ["plain-name", "my app", "it's $HOME; rm -rf ~", "a\\b'c\nd", "evil\x1b[2J", "x\u202ey\x7f"],
)
def test_shell_word_is_one_terminal_safe_word_bash_reads_back(name: str) -> None:
    word = shell_word(name)
    assert printable(word) == word  # safe on a terminal as printed, no escape applied
    read_back = subprocess.run(
        ["bash", "-c", f"printf %s {word}"], capture_output=True, text=True, check=True
    ).stdout
    assert read_back == name

"""Shell completion: the generated bash script loaded into a real `bash`, called the way
readline calls it (COMP_WORDS, COMP_CWORD); names from a real agent, none (and no prompt)
without one; the zsh and fish scripts run in real zsh and fish when they are installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.agent_support import wait_until
from tests.cli.conftest import BIN, Run
from vault.core.providers.presets import PRESETS

BIN_DIR = str(Path(BIN).parent)
BOUND = 10.0
"""A completion that takes longer is as bad as a hang; without an agent it is instant."""


@pytest.fixture
def short_runtime(cli_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A short XDG_RUNTIME_DIR (pytest's tmp paths can exceed a socket path's 107 bytes)."""
    folder = tempfile.mkdtemp(prefix="tvc-", dir="/tmp")
    cli_env["XDG_RUNTIME_DIR"] = folder
    cli_env["PATH"] = BIN_DIR + ":" + cli_env.get("PATH", "")
    yield cli_env
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def script(short_runtime: dict[str, str], tmp_path: Path, tv: Run) -> Path:
    path = tmp_path / "tokenvault.bash"
    path.write_text(tv("completion", "bash", ok=True).stdout)
    return path


@pytest.fixture
def named(short_runtime: dict[str, str], initialised: Run) -> Iterator[Run]:
    """A vault holding three names and an agent serving it (unlocked with the real command)."""
    for name in ("happay-uat", "happay-prod", "github-ci"):
        initialised(
            "add", name, "--provider", "app-token", "--base-url", "http://127.0.0.1:9",
            "--app-id", "app_x", "--secret-stdin", input="s3cret\n", ok=True,
        )  # fmt: skip
    initialised("unlock", ok=True)
    yield initialised
    initialised("lock", ok=True)


def complete(env: dict[str, str], script: Path, line: str) -> list[str]:
    """What bash's completion offers for ``line`` (a trailing space: a new, empty word)."""
    program = (
        'source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=("");'
        " COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _tokenvault;"
        ' printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {k: v for k, v in env.items() if not k.startswith("TOKENVAULT_PASSPHRASE")}
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program, "bash", str(script), line],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=BOUND,
        start_new_session=True,  # no terminal: a passphrase prompt would fail, not hang
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [word for word in result.stdout.splitlines() if word]


def test_the_script_registers_a_function(script: Path, short_runtime: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", f'source "{script}"; complete -p tokenvault'],
        capture_output=True,
        text=True,
        env=short_runtime,
        timeout=BOUND,
    )
    assert result.stdout.strip() == "complete -F _tokenvault tokenvault"


def test_commands_complete_from_the_parser(script: Path, short_runtime: dict[str, str]) -> None:
    assert complete(short_runtime, script, "tokenvault to") == ["token"]
    every = complete(short_runtime, script, "tokenvault ")
    assert {"copy", "completion", "token", "list", "unlock", "export"} <= set(every)
    assert "--vault" in complete(short_runtime, script, "tokenvault --v")


def test_flags_of_a_command(script: Path, short_runtime: dict[str, str]) -> None:
    assert complete(short_runtime, script, "tokenvault token --") == [
        "--help", "--min-valid", "--header",
    ]  # fmt: skip
    # A value after a flag that takes one is not taken for the command's NAME.
    assert complete(short_runtime, script, "tokenvault copy --min-valid 5m --h") == [
        "--help", "--header",
    ]  # fmt: skip
    assert "--names" not in complete(short_runtime, script, "tokenvault completion --")


def test_provider_styles_for_add(script: Path, short_runtime: dict[str, str]) -> None:
    assert complete(short_runtime, script, "tokenvault add x --provider ") == sorted(PRESETS)
    assert complete(short_runtime, script, "tokenvault add x --provider git") == ["github-app"]
    assert complete(short_runtime, script, "tokenvault edit x --auto-refresh ") == ["on", "off"]
    assert complete(short_runtime, script, "tokenvault completion ") == ["bash", "zsh", "fish"]


def test_names_come_from_the_running_agent(
    named: Run, script: Path, short_runtime: dict[str, str]
) -> None:
    assert complete(short_runtime, script, "tokenvault token happay") == [
        "happay-prod", "happay-uat",
    ]  # fmt: skip
    assert complete(short_runtime, script, "tokenvault copy --header gi") == ["github-ci"]
    assert complete(short_runtime, script, "tokenvault refresh happay-uat ") == [
        "github-ci", "happay-prod", "happay-uat",
    ]  # fmt: skip
    # `add` takes a new name: offering the existing ones would mislead.
    assert complete(short_runtime, script, "tokenvault add ") == []


def test_no_agent_no_names_and_no_prompt(
    initialised: Run, script: Path, short_runtime: dict[str, str]
) -> None:
    initialised(
        "add", "happay-uat", "--provider", "app-token", "--app-id", "a", "--secret-stdin",
        input="s\n", ok=True,
    )  # fmt: skip
    started = time.monotonic()
    assert complete(short_runtime, script, "tokenvault token ") == []
    assert time.monotonic() - started < BOUND
    # The hidden command itself: nothing, exit 0, even with a passphrase it could have used.
    result = initialised("completion", "--names")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_names_do_not_keep_the_agent_awake(named: Run) -> None:
    def status() -> dict[str, int]:
        return json.loads(named("agent", "status", "--json", ok=True).stdout)

    idle = status()["idle_timeout"]
    # The event: the agent's idle clock has run two seconds since the unlock.
    assert wait_until(lambda: status()["seconds_left"] <= idle - 2, timeout=15)
    assert "happay-uat" in named("completion", "--names", ok=True).stdout.split()
    assert status()["seconds_left"] <= idle - 2  # a touch would have wound it back to idle


def test_no_shell_is_one_sentence(tv: Run) -> None:
    result = tv("completion")
    assert result.returncode == 2
    assert result.stderr == "tokenvault: Name a shell: tokenvault completion bash, zsh or fish.\n"


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_script_runs_in_zsh(
    named: Run, tv: Run, tmp_path: Path, short_runtime: dict[str, str]
) -> None:
    path = tmp_path / "tokenvault.zsh"
    path.write_text(tv("completion", "zsh", ok=True).stdout)
    assert subprocess.run(["zsh", "-n", str(path)], timeout=BOUND).returncode == 0
    # bashcompinit runs the same function; zsh's own matcher filters by prefix afterwards.
    program = (
        'source "$1"; COMP_WORDS=(tokenvault add x --provider ""); COMP_CWORD=4; _tokenvault;'
        " print -l -- $COMPREPLY; print -- ---;"
        " COMP_WORDS=(tokenvault token happay); COMP_CWORD=2; _tokenvault; print -l -- $COMPREPLY"
    )
    result = subprocess.run(
        ["zsh", "-f", "-c", program, "zsh", str(path)],
        capture_output=True,
        text=True,
        env=short_runtime,
        stdin=subprocess.DEVNULL,
        timeout=BOUND,
    )
    styles, names = result.stdout.split("---\n")
    assert styles.split() == sorted(PRESETS)
    assert names.split() == ["happay-prod", "happay-uat"]


@pytest.mark.skipif(not shutil.which("fish"), reason="fish is not installed")
def test_fish_script_runs_in_fish(
    named: Run, tv: Run, tmp_path: Path, short_runtime: dict[str, str]
) -> None:
    path = tmp_path / "tokenvault.fish"
    path.write_text(tv("completion", "fish", ok=True).stdout)
    assert subprocess.run(["fish", "--no-config", "-n", str(path)], timeout=BOUND).returncode == 0

    def fish(line: str) -> list[str]:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {path}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            env=short_runtime,
            stdin=subprocess.DEVNULL,
            timeout=BOUND,
        )
        return [row.split("\t")[0] for row in result.stdout.splitlines()]

    assert fish("tokenvault to") == ["token"]
    assert fish("tokenvault add x --provider ") == sorted(PRESETS)
    assert fish("tokenvault token --m") == ["--min-valid"]
    assert sorted(fish("tokenvault token happay")) == ["happay-prod", "happay-uat"]

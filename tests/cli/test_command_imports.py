"""No command pays for what it does not use: what each real `tokenvault` run imported.

A `sitecustomize` on PYTHONPATH records, as the process exits, the modules the installed
command had loaded. A command that never talks to a provider must not load httpx or PyJWT
(~130 ms), no CLI command loads textual or rich, and with an agent running, `token`,
`status`, `list --json` and `show --json` load no crypto at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOKENVAULT = str(Path(sys.executable).with_name("tokenvault"))
PASSPHRASE = "import test passphrase"

HOOK = """
import atexit, os, sys

def _record():
    folder = os.environ.get("TV_IMPORTS_DIR")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.txt"), "w") as fh:
            fh.write("\\n".join(sorted(sys.modules)))

atexit.register(_record)
"""

NETWORK = {"httpx", "jwt"}
UI = {"textual", "rich"}
CRYPTO = {"cryptography", "argon2", "vault.core.store"}
STARTUP = {
    *("typing", "pathlib", "hashlib", "socket", "json", "re", "argparse", "platformdirs"),
    *("vault.agent.client", "vault.agent.protocol", "vault.cli.common"),
}
"""What `token NAME` and `status` with an agent never load (vault.agent.wire): each costs
1-6 ms of a budget of `pass show`'s ~22 ms, where the interpreter alone takes ~9."""


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    runtime = Path(os.environ.get("TMPDIR", "/tmp"))
    short = Path(os.path.realpath(runtime)) / f"tvi-{os.getpid()}-{tmp_path.name[-12:]}"
    short.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENVAULT_")}
    env.update(
        # First on the path, ahead of whatever tree the command runs from (a mutant's copy).
        PYTHONPATH=os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
        TOKENVAULT_VAULT=str(tmp_path / "v" / "vault.tvault"),
        TOKENVAULT_PASSPHRASE=PASSPHRASE,
        TOKENVAULT_TEST_KDF_FLOOR="1",
        XDG_RUNTIME_DIR=str(short),
        HOME=str(tmp_path),
    )
    yield env
    subprocess.run([TOKENVAULT, "lock"], env=env, capture_output=True, timeout=30)
    for leftover in short.rglob("*"):
        if leftover.is_file() or leftover.is_socket():
            leftover.unlink()
    for folder in sorted(short.rglob("*"), reverse=True):
        folder.rmdir()
    short.rmdir()


def imported(env: dict[str, str], tmp_path: Path, *args: str, stdin: str = "") -> set[str]:
    """The modules a run of the installed command had loaded (it must succeed)."""
    out = tmp_path / "imports"
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    proc = subprocess.Popen(
        [TOKENVAULT, *args],
        env={**env, "TV_IMPORTS_DIR": str(out)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(stdin, timeout=60)
    assert proc.returncode == 0, (args, stdout, stderr)
    return set((out / f"{proc.pid}.txt").read_text().split())


def tops(modules: set[str], wanted: set[str]) -> set[str]:
    return {m for m in modules if m in wanted or m.split(".")[0] in wanted}


@pytest.fixture
def filled(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    run = {"env": env, "capture_output": True, "timeout": 60, "check": True}
    subprocess.run([TOKENVAULT, "init", "--kdf-memory", "16", "--kdf-time", "1"], **run)  # type: ignore[call-overload]
    add = [
        TOKENVAULT,
        "add",
        "gh",
        "--provider",
        "app-token",
        "--set",
        "app_id=app_1",
        "--base-url",
        "https://api.example.invalid",
    ]
    subprocess.run([*add, "--secret-stdin"], input="app-secret-1", text=True, **run)  # type: ignore[call-overload]
    from vault.core.clock import now
    from vault.core.model import Token
    from vault.core.store import VaultStore

    store = VaultStore.unlock(Path(env["TOKENVAULT_VAULT"]), PASSPHRASE)
    with store.transaction() as data:
        data.credentials["gh"].token = Token(value="TOKEN-1", expires_at=now() + _hours(2))
    return env


def _hours(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(hours=n)


# Commands that never talk to a provider, run without an agent.
OFFLINE = [
    ("list",),
    ("list", "--json"),
    ("show", "gh"),
    ("show", "gh", "--json"),
    ("edit", "gh", "--set", "app_id=app_2"),
    ("add", "other", "--provider", "oauth2-client-credentials", "--set", "client_id=c"),
    ("token", "gh"),  # a stored token with time left: no provider asked
    ("status",),
    ("lock",),
    ("doctor", "--json"),
    ("completion", "bash"),
    ("restore-backup",),
]


@pytest.mark.parametrize("args", OFFLINE, ids=" ".join)
def test_offline_commands_load_no_network_stack_and_no_ui(
    filled: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = (
        imported(filled, tmp_path, *args) if args[0] != "doctor" else _doctor(filled, tmp_path)
    )
    assert tops(modules, NETWORK | UI) == set(), args


def _doctor(env: dict[str, str], tmp_path: Path) -> set[str]:
    # doctor exits 1 when something needs attention; only its imports matter here.
    out = tmp_path / "imports"
    out.mkdir(exist_ok=True)
    proc = subprocess.run(
        [TOKENVAULT, "doctor", "--json"],
        env={**env, "TV_IMPORTS_DIR": str(out)},
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return set(next(out.glob("*.txt")).read_text().split())


def test_init_and_passwd_load_no_network_stack(env: dict[str, str], tmp_path: Path) -> None:
    init = imported(env, tmp_path, "init", "--kdf-memory", "16", "--kdf-time", "1")
    assert tops(init, NETWORK | UI) == set()
    new = tmp_path / "new-passphrase"
    new.write_text("another passphrase here")
    passwd = imported(env, tmp_path, "passwd", "--new-passphrase-file", str(new))
    assert tops(passwd, NETWORK | UI) == set()


AGENT = [
    ("token", "gh"),
    ("status",),
    ("status", "--json"),
    ("list", "--json"),
    ("show", "gh", "--json"),
    ("agent", "status"),
]


@pytest.mark.parametrize("args", AGENT, ids=" ".join)
def test_with_an_agent_the_fast_commands_load_no_crypto(
    filled: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    subprocess.run([TOKENVAULT, "unlock"], env=filled, capture_output=True, check=True, timeout=60)
    modules = imported(filled, tmp_path, *args)
    assert tops(modules, NETWORK | UI | CRYPTO) == set(), args
    if args in (("token", "gh"), ("status",)):
        assert tops(modules, STARTUP) == set(), args
    # All of them but `agent status` are answered before the parser is built.
    assert ("argparse" in modules) == (args[0] == "agent"), args
    assert ("vault.cli.common" in modules) == (args[0] == "agent"), args


def test_without_xdg_runtime_dir_the_quick_path_finds_the_agent_as_lean(
    filled: dict[str, str], tmp_path: Path
) -> None:
    """The runtime folder named by the pointer in the state folder (vault.core.rundir) is read
    without platformdirs or pathlib, and the agent found there answers."""
    env = {k: v for k, v in filled.items() if k != "XDG_RUNTIME_DIR"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    run = {"env": env, "capture_output": True, "timeout": 60, "text": True}
    subprocess.run([TOKENVAULT, "unlock"], check=True, **run)  # type: ignore[call-overload]
    pointer = tmp_path / "state" / "tokenvault" / "runtime-dir"
    folder = Path(pointer.read_text().strip())
    try:
        modules = imported(env, tmp_path, "token", "gh")
        token = subprocess.run([TOKENVAULT, "token", "gh"], **run)  # type: ignore[call-overload]
    finally:
        subprocess.run([TOKENVAULT, "lock"], **run)  # type: ignore[call-overload]
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    assert token.stdout == "TOKEN-1\n" and token.stderr == ""
    assert tops(modules, STARTUP | CRYPTO) == set()


def test_the_hook_sees_a_command_that_does_load_the_network_stack(
    filled: dict[str, str], tmp_path: Path
) -> None:
    """The check can fail: `token --header` builds the header lines with the engine."""
    modules = imported(filled, tmp_path, "token", "gh", "--header")
    assert "httpx" in modules


def test_the_command_table_names_the_family_that_registers_each_command() -> None:
    """vault.cli imports only COMMANDS[word]'s module: it must be the one that registers it."""
    import argparse
    from importlib import import_module

    import vault.cli

    for family in vault.cli.FAMILIES:
        names: list[str] = []

        def command(
            name: str, handler: object, help_text: str, names: list[str] = names
        ) -> argparse.ArgumentParser:
            names.append(name)
            return argparse.ArgumentParser()

        import_module(f"vault.cli.{family}").register(command)  # type: ignore[arg-type]
        assert {n: family for n in names} == {
            n: f for n, f in vault.cli.COMMANDS.items() if f == family
        }

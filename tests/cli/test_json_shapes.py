"""Every command with `--json` prints its one documented shape (tests/cli/json_shapes.py),
locked and unlocked, with and without a token, through the installed command."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.cli.conftest import Run
from tests.cli.json_shapes import SHAPES, problems
from vault.sim import Simulator

APP_ID = "app_json-shape-0001"


@pytest.fixture
def vault(initialised: Run, cli_env: dict[str, str]) -> Iterator[Run]:
    """'app' with a token from the simulator, 'bare' without; a short runtime folder."""
    folder = tempfile.mkdtemp(prefix="tvj-", dir="/tmp")
    cli_env["XDG_RUNTIME_DIR"] = folder
    with Simulator() as sim:
        sim.register_app_token_app(APP_ID, "json-secret")
        for name in ("app", "bare"):
            initialised(
                "add", name, "--provider", "app-token", "--base-url", sim.url,
                "--app-id", APP_ID, "--secret-stdin", input="json-secret\n", ok=True,
            )  # fmt: skip
        initialised("token", "app", ok=True)
        yield initialised
    initialised("lock")
    shutil.rmtree(folder, ignore_errors=True)


def checked(run: Run, command: str, *args: str) -> object:
    result = run(*command.split(), *args)
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert problems(command, document) == []
    return document


def test_every_json_command_is_covered() -> None:
    """A command that gains --json must get a documented shape (and so a row in the guide)."""
    from vault.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if hasattr(a, "choices") and a.dest == "command")
    with_json = set()
    for name, sub in subs.choices.items():
        action = sub._option_string_actions.get("--json")
        if action is not None and action.nargs == 0:  # `request --json J` is a request body
            with_json.add("agent status --json" if name == "agent" else f"{name} --json")
    assert with_json == set(SHAPES)


def test_shapes_locked(vault: Run) -> None:
    rows = checked(vault, "list --json", "--json")
    assert isinstance(rows, list) and [r["name"] for r in rows] == ["app", "bare"]
    detail = checked(vault, "show --json", "app", "--json")
    assert isinstance(detail, dict) and detail["token"] is not None
    bare = checked(vault, "show --json", "bare", "--json")
    assert isinstance(bare, dict) and bare["token"] is None
    assert checked(vault, "status --json", "--json") == {"locked": True}
    stopped = checked(vault, "agent status --json", "--json")
    assert isinstance(stopped, dict) and stopped["running"] is False
    checked(vault, "doctor --json", "--json")


def test_shapes_unlocked(vault: Run) -> None:
    vault("unlock", ok=True)
    status = checked(vault, "status --json", "--json")
    assert isinstance(status, dict) and status["locked"] is False and status["credentials"] == 2
    running = checked(vault, "agent status --json", "--json")
    assert isinstance(running, dict) and running["running"] is True and "pid" in running
    checked(vault, "doctor --json", "--json")
    checked(vault, "list --json", "--json")


def test_the_shape_check_catches_departures() -> None:
    good = {"locked": False, "credentials": 1, "next_expiry": None}
    assert problems("status --json", good) == []
    assert problems("status --json", {**good, "colour": "red"}) == [
        "status --json: undocumented key 'colour'"
    ]
    assert problems("status --json", {"credentials": True}) == [
        "status --json: missing key 'locked'",
        "status --json: 'credentials' is bool, not integer",
    ]
    assert problems("list --json", {"name": "x"}) == ["list --json: not an array"]

"""Trust at the edges through the installed command: folder modes, FIFOs and devices, caps,
and out-of-range KDF costs, each a sentence and an exit code (never a hang or a traceback)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Run

CHEAP = ("--kdf-memory", "16", "--kdf-time", "1", "--kdf-lanes", "1")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--kdf-memory", "-1"),
        ("--kdf-memory", "0"),
        ("--kdf-memory", "15"),
        ("--kdf-memory", "1025"),
        ("--kdf-memory", "lots"),
        ("--kdf-time", "0"),
        ("--kdf-time", "11"),
        ("--kdf-lanes", "0"),
        ("--kdf-lanes", "17"),
    ],
)
def test_out_of_range_kdf_cost_is_a_usage_error(
    tv: Run, cli_env: dict[str, str], flag: str, value: str
) -> None:
    args = dict(zip(CHEAP[::2], CHEAP[1::2], strict=True))
    args[flag] = value
    result = tv("init", *[part for pair in args.items() for part in pair])
    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert flag in error and repr(value) in error
    assert not Path(cli_env["TOKENVAULT_VAULT"]).exists()


@pytest.mark.parametrize("mode", [0o1777, 0o2775, 0o755], ids=["sticky", "setgid", "home"])
def test_init_leaves_a_shared_folder_as_it_was_and_warns_once(
    tv: Run, tmp_path: Path, mode: int
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    env = {"TOKENVAULT_VAULT": str(shared / "v.tvault")}
    made = tv("init", *CHEAP, env=env, ok=True)
    assert _mode(shared) == mode
    assert _mode(shared / "v.tvault") == 0o600
    for result in (made, tv("list", env=env, ok=True)):
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "Warning: other users" in lines[0], result.stderr
        assert str(shared) in lines[0] and f"{mode:04o}" in lines[0]


def test_init_in_a_new_folder_makes_it_0700_without_a_warning(tv: Run, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "deeper"
    made = tv("init", *CHEAP, env={"TOKENVAULT_VAULT": str(folder / "v.tvault")}, ok=True)
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    assert made.stderr == ""


def test_stdin_over_the_cap_is_refused_not_stored_cut_off(initialised: Run) -> None:
    from vault.core.passphrase import MAX_FILE_BYTES

    result = initialised(
        "add", "big", "--provider", "app-token", "--set", "app_id=a", "--secret-stdin",
        input="s" * (MAX_FILE_BYTES + 10),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.strip().endswith(
        f"The secret on standard input is larger than {MAX_FILE_BYTES} bytes; it was not used."
    )
    assert "big" not in initialised("list", ok=True).stdout


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("flag", ["--secret-file", "--private-key-file"])
def test_a_fifo_or_device_given_as_a_file_is_refused_at_once(
    initialised: Run, fifo: Path, target: str, flag: str
) -> None:
    path = str(fifo) if target == "fifo" else target
    before = initialised("list", "--json", ok=True).stdout
    # The conftest runner's 60 s timeout would turn a hang into a failure; a refusal is instant.
    args = ["add", "x", "--provider", "jwt-assertion", "--set", "app_id=a", "--set", "org_id=o"]
    result = initialised(*args, flag, path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and path in result.stderr
    assert "not a regular file" in result.stderr
    assert initialised("list", "--json", ok=True).stdout == before


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_a_fifo_or_device_as_the_passphrase_file_is_refused(
    initialised: Run, fifo: Path, target: str
) -> None:
    path = str(fifo) if target == "fifo" else target
    result = initialised("--passphrase-file", path, "list")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and f"passphrase file {path}" in result.stderr
    assert "not a regular file" in result.stderr


@pytest.mark.parametrize("target", ["fifo", "/dev/zero"])
def test_a_fifo_or_device_as_the_vault_is_refused(tv: Run, fifo: Path, target: str) -> None:
    path = str(fifo) if target == "fifo" else target
    result = tv("--vault", path, "list")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and path in result.stderr
    assert "not a regular file" in result.stderr


def test_a_fifo_as_the_config_is_refused(initialised: Run, fifo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "s"
    secret.write_text("app-secret\n")
    result = initialised(
        "add", "x", "--provider", "app-token", "--set", "app_id=a", "--secret-file", str(secret),
        env={"TOKENVAULT_CONFIG": str(fifo)},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert str(fifo) in result.stderr and "not a regular file" in result.stderr

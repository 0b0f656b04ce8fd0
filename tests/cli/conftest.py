"""Run the installed `tokenvault` command as a subprocess against a temporary vault."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BIN = shutil.which("tokenvault", path=str(Path(sys.executable).parent)) or "tokenvault"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TOKENVAULT_VAULT"] = str(tmp_path / "cli" / "vault.tvault")
    env["TOKENVAULT_PASSPHRASE"] = "cli test passphrase"
    env["TOKENVAULT_TEST_KDF_FLOOR"] = "1"
    return env


@pytest.fixture
def tv(cli_env: dict[str, str], tmp_path: Path) -> Run:
    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        ok: bool | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [BIN, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if ok is True:
            assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run


@pytest.fixture
def initialised(tv: Run) -> Run:
    tv("init", "--kdf-memory", "16", "--kdf-time", "1", "--kdf-lanes", "1", ok=True)
    return tv

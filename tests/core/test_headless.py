"""The core and the CLI's non-TUI commands never import textual or rich."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

PROBE = """
import sys
import vault, vault.core, vault.core.store, vault.core.summary, vault.cli
for name in ("vault.core.providers", "vault.core.tokens", "vault.core.auth",
             "vault.core.config", "vault.core.clipboard"):
    try:
        __import__(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
code = vault.cli.main(sys.argv[1:])
leaked = sorted({m.split(".")[0] for m in sys.modules} & {"textual", "rich"})
print("LEAKED", leaked, "EXIT", code)
"""


def run_probe(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    return result.stdout + result.stderr


def test_core_and_cli_list_stay_headless(tmp_path: Path) -> None:
    output = run_probe("--vault", str(tmp_path / "none.tvault"), "list", "--json")
    assert "LEAKED [] EXIT 1" in output, output
    assert "No vault at" in output


def test_probe_can_see_a_leak() -> None:
    """The probe itself works: importing textual is reported."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys, textual.app; print('textual' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True"

"""Shared by the import and export tests: the fixture folder, a simulator, JSON helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Run
from vault.sim import Simulator

FIXTURES = Path(__file__).parent / "fixtures"
POSTMAN = FIXTURES / "postman"
DOTENV = FIXTURES / "dotenv"

CLIENT_SECRET = "cli-oauth-secret-0001"
"""The secret the fixtures give ``cli-client`` (scope ``read``)."""
ADMIN_SECRET = "admin-secret-value-0002"
"""The secret the collection's Admin folder uses for ``admin-client`` (scope ``admin``)."""


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_oauth_client("cli-client", CLIENT_SECRET, scopes=["read"])
        running.register_oauth_client("admin-client", ADMIN_SECRET, scopes=["admin"])
        yield running


def credentials(tv: Run) -> dict[str, dict[str, Any]]:
    """``show --json`` of every credential, by name."""
    names = [row["name"] for row in json.loads(tv("list", "--json", ok=True).stdout)]
    return {name: json.loads(tv("show", name, "--json", ok=True).stdout) for name in names}


def environment_at(tmp_path: Path, source: Path, **values: str) -> Path:
    """A copy of a Postman environment export with some variables' values changed."""
    data = json.loads(source.read_text(encoding="utf-8"))
    for entry in data["values"]:
        if entry["key"] in values:
            entry["value"] = values[entry["key"]]
    target = tmp_path / source.name
    target.write_text(json.dumps(data, indent="\t"), encoding="utf-8")
    return target

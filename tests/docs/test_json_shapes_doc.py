"""The guide's "JSON output" table lists exactly the shapes the tests check each command
against (tests/cli/json_shapes.py): the same commands, fields, types and presence."""

from __future__ import annotations

from pathlib import Path

from tests.cli.json_shapes import SHAPES
from tests.docs.test_docs import section_rows

GUIDE = Path(__file__).parents[2] / "docs" / "guide.md"


def documented(text: str) -> dict[str, dict[str, tuple[str, bool]]]:
    """command -> field -> (type as in json_shapes, present always) from the table."""
    found: dict[str, dict[str, tuple[str, bool]]] = {}
    for command, field, kind, present, *_ in section_rows(text, "### JSON output"):
        kind = kind.replace(" or ", "|")
        found.setdefault(command.strip("`"), {})[field.strip("`")] = (kind, present == "always")
    return found


def differences(doc: dict[str, dict[str, tuple[str, bool]]]) -> list[str]:
    found = [f"not documented: {c}" for c in sorted(SHAPES.keys() - doc.keys())]
    found += [f"documented but not checked: {c}" for c in sorted(doc.keys() - SHAPES.keys())]
    for command in sorted(SHAPES.keys() & doc.keys()):
        shape, table = SHAPES[command], doc[command]
        for field in sorted(shape.keys() | table.keys()):
            if shape.get(field) != table.get(field):
                found.append(
                    f"{command} {field}: guide {table.get(field)}, shape {shape.get(field)}"
                )
    return found


def test_the_guide_documents_every_json_shape() -> None:
    assert differences(documented(GUIDE.read_text(encoding="utf-8"))) == []


def test_the_comparison_catches_mistakes() -> None:
    doc = documented(GUIDE.read_text(encoding="utf-8"))
    doc["status --json"].pop("locked")
    doc["list --json"]["colour"] = ("string", True)
    doc["doctor --json"]["healthy"] = ("string", True)
    doc.pop("show --json")
    assert differences(doc) == [
        "not documented: show --json",
        "doctor --json healthy: guide ('string', True), shape ('boolean', True)",
        "list --json colour: guide ('string', True), shape None",
        "status --json locked: guide None, shape ('boolean', True)",
    ]

"""What the commands print: stdout lines, one-sentence errors on stderr, and JSON."""

from __future__ import annotations

import sys

from vault.core.names import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Its own module, importing only the name escaper (json when JSON is printed), so the quick
# path (vault.cli.quick) prints exactly what the full commands print without loading
# vault.cli.common, typing or re.


def out(text: str = "") -> None:
    print(text, file=sys.stdout)


def err(text: str) -> None:
    # Errors quote names, hosts and providers' own words: never let them drive the terminal.
    print(f"tokenvault: {printable(text)}", file=sys.stderr)


def print_json(value: Any) -> None:
    import json

    out(json.dumps(value, indent=2, sort_keys=False))

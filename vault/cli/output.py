"""What the commands print: stdout lines, one-sentence errors on stderr, and JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from vault.core.names import printable

# Its own module, importing only json and the name escaper, so the quick path
# (vault.cli.quick) prints exactly what the full commands print without loading vault.cli.common.


def out(text: str = "") -> None:
    print(text, file=sys.stdout)


def err(text: str) -> None:
    # Errors quote names, hosts and providers' own words: never let them drive the terminal.
    print(f"tokenvault: {printable(text)}", file=sys.stderr)


def print_json(value: Any) -> None:
    out(json.dumps(value, indent=2, sort_keys=False))

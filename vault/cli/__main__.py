"""`python -m vault.cli ...`: the same as the `tokenvault` command."""

import sys

from vault.cli import main

sys.exit(main())

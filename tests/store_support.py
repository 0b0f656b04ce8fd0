"""The passphrase the shared ``store`` fixture (tests/conftest.py) creates its vault with."""

from __future__ import annotations

PASSPHRASE = "correct horse battery staple"
"""One passphrase for the core and TUI vaults, so suites that unlock ``store`` agree on it."""

"""The terminal UI: the default command (no command word) and demo."""

from __future__ import annotations

import argparse

from vault.cli.common import Command, need_terminal, vault_path


def cmd_tui(args: argparse.Namespace) -> int:
    need_terminal()
    from vault.tui.app import run_tui

    return run_tui(vault_path(args))


def cmd_demo(args: argparse.Namespace) -> int:
    need_terminal()
    from vault.tui.demo import demo_main

    return demo_main()


def register(command: Command) -> None:
    """Register demo (the UI itself runs when no command is given)."""
    command("demo", cmd_demo, "Open the UI on a throwaway demo vault and a local simulator.")

"""Desktop notifications: `notify-send` (freedesktop), `osascript` (macOS), else silently none.

The text handed over is a reminder's (``vault.core.reminders``): names and times only, never a
secret, since argv is readable by every process of the user (``ps``) and the notification
service keeps a history. A tool that fails or hangs costs one sentence for the caller to keep,
never an exception: a reminder is a courtesy, and must not stop the agent serving keys.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from html import escape

from vault.core.names import printable
from vault.core.passphrase import child_environ

APP_NAME = "tokenvault"
"""The fixed app name the notification service files the notices under."""

TOOL_TIMEOUT = 5.0
"""Seconds a notification tool may take; a session bus that does not answer is given up on."""


class Notifier:
    """Sends one notification at a time with the tool this desktop has, if any.

    Args:
        platform: ``sys.platform`` (tests pass another to see the choice).
        which: how a tool is found on PATH (``shutil.which``).
    """

    def __init__(
        self, platform: str | None = None, which: Callable[[str], str | None] = shutil.which
    ) -> None:
        platform = platform or sys.platform
        find = which
        self.tool: str | None = None
        """The tool's path, or None when this desktop has no notifications."""
        self.kind = "none"
        if platform == "darwin":
            self.tool = find("osascript")
            self.kind = "osascript" if self.tool else "none"
        else:
            self.tool = find("notify-send")
            self.kind = "notify-send" if self.tool else "none"

    def argv(self, summary: str, body: str, urgent: bool = False) -> list[str] | None:
        """The command that shows the notification, or None without a tool."""
        # Names may hold control characters (written before the name checks): escaped here so
        # a notification cannot carry terminal or layout tricks either.
        summary, body = printable(summary), printable(body)
        if self.tool is None:
            return None
        if self.kind == "osascript":
            # The texts go as arguments of `on run`, never spliced into the script's source.
            return [
                self.tool,
                "-e",
                "on run argv",
                "-e",
                "display notification (item 2 of argv) with title (item 1 of argv)",
                "-e",
                "end run",
                summary,
                body,
            ]
        # The body may be read as markup by the service (spec: "body-markup"): escape it.
        return [
            self.tool,
            f"--app-name={APP_NAME}",
            f"--urgency={'critical' if urgent else 'normal'}",
            "--",
            summary,
            escape(body, quote=False),
        ]

    def send(self, summary: str, body: str, urgent: bool = False) -> str | None:
        """Show one notification; None when it was handed over (or there is no tool), else
        one sentence saying why it was not."""
        command = self.argv(summary, body, urgent)
        if command is None:
            return None
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=TOOL_TIMEOUT,
                env=child_environ(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"{self.kind} did not finish within {TOOL_TIMEOUT:g} s"
        except OSError as exc:
            return f"{self.kind} could not be started ({exc.strerror or exc})"
        if result.returncode != 0:
            words = result.stderr.decode("utf-8", "replace").strip().splitlines()
            why = printable(words[0][:200]) if words else f"exit status {result.returncode}"
            return f"{self.kind} failed: {why}"
        return None

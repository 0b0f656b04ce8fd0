"""The detached clipboard clearer of `tokenvault copy`: clear later, only if still our copy.

A shell command cannot wait 30 s to clear what it copied (the user wants the prompt back), so
like pass it leaves a small process behind: ``python -m vault.core.clipclear``, in a session
of its own (no hangup or Ctrl-C from the terminal reaches it), which sleeps until the
deadline, reads the clipboard and clears it only if it still holds our copy.

Threat model: that process lives for the whole timeout and its argv and environment are
readable by the user's other processes (``ps e``, /proc). So it never receives the token: the
parent sends a SHA-256 digest of the copied text and the deadline on a pipe (stdin), and the
clearer compares the digest of what the clipboard holds. The environment is
``child_environ`` (no passphrase variables).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

from vault.core import clipboard
from vault.core.passphrase import child_environ

MAX_WAIT = 3600
"""Longest a clearer sleeps: the config's ``clipboard.timeout`` is capped at the same."""

START_TIMEOUT = 10.0
"""How long `copy` waits for the clearer to take its line and detach (interpreter start)."""

_MAX_MESSAGE = 4096
"""The one line the parent sends is ~150 bytes; a clearer never reads more than this."""


def digest(text: str) -> str:
    """What the clearer compares: the SHA-256 of the clipboard text, never the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def spawn(text: str, method: str, seconds: float, command: str = "") -> None:
    """Start the detached clearer for ``text`` copied with tool ``method``.

    ``command`` is the config's ``[clipboard] command`` the copy used (empty: a detected
    tool): the clearer reads back and clears with the same tool (``clipboard.chosen_tool``).

    Returns within the child's start-up: the child reads its one line, forks the process that
    waits and exits, so nothing is left for this process to reap.
    """
    message = json.dumps(
        {
            "sha256": digest(text),
            "method": method,
            "command": command,
            "deadline": time.monotonic() + seconds,
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "vault.core.clipclear"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd="/",
        # The same tool the copy used: detect_tool picks it by name in the child (a configured
        # command comes in the message instead: it is a command line, not a secret).
        env=child_environ(TOKENVAULT_CLIPBOARD=method),
        start_new_session=True,  # outlives the shell command; the terminal's signals miss it
        close_fds=True,
    )
    with contextlib.suppress(BrokenPipeError):
        proc.communicate(message.encode("ascii") + b"\n", timeout=START_TIMEOUT)
    if proc.returncode is None:
        proc.kill()
        proc.wait()


def _read_message() -> tuple[str, str, str, float] | None:
    raw = os.read(0, _MAX_MESSAGE)
    os.close(0)
    try:
        message = json.loads(raw)
        wanted, method, deadline = message["sha256"], message["method"], message["deadline"]
        command = message.get("command", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (isinstance(wanted, str) and isinstance(method, str) and isinstance(command, str)):
        return None
    if not isinstance(deadline, int | float) or isinstance(deadline, bool):
        return None
    return wanted, method, command, float(deadline)


def run() -> int:
    """The clearer's body: wait for the deadline, then clear if the digest still matches."""
    found = _read_message()
    if found is None:
        return 2
    wanted, method, command, deadline = found
    if os.fork() != 0:
        return 0  # the parent `copy` waits for this exit only; the grandchild does the waiting
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(min(left, MAX_WAIT))
    tool = clipboard.chosen_tool(command)

    def ours(current: str) -> bool:
        return hmac.compare_digest(digest(current), wanted)

    clipboard.clear_if_holding(ours, method, tool)
    return 0


if __name__ == "__main__":
    os._exit(run())  # no interpreter teardown in the forked waiter: nothing to flush or join

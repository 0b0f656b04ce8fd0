"""Talk to a vault's agent: fetch the data key, start, stop, ask status (CLI and TUI share this).

Every call is bounded in time, and any failure (no socket, a stale socket from a crash, an
agent killed mid-request, a refusal) returns None/False so the caller falls back to the
passphrase; ``on_problem`` receives one sentence when a socket existed but did not answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.agent import protocol, wire
from vault.agent.location import canonical, private_runtime_dir, socket_path
from vault.agent.protocol import KEY_BYTES
from vault.core.errors import VaultError, VaultFileError

if TYPE_CHECKING:  # the store (and its crypto) loads only when a key is in hand
    from vault.core.store import VaultStore

CALL_TIMEOUT = wire.CALL_TIMEOUT
"""A live agent answers in well under a millisecond; past this the caller uses the passphrase."""

START_TIMEOUT = 15.0
"""How long `unlock` waits for a new agent to say it is serving (interpreter start included)."""

STOP_TIMEOUT = 3.0

Problem = Callable[[str], None]

REFUSED = wire.REFUSED
"""How a problem sentence starts when the agent answered, but no (``agent_view`` tells it apart)."""


def remove_if_stale(vault: Path) -> bool:
    """Delete the socket file of an agent that no longer runs; True if one was removed.

    A live agent holds its lock file for its whole life, so a free lock proves the socket is
    a leftover (an agent killed with SIGKILL cannot remove its own socket).
    """
    return wire.remove_if_stale(os.fspath(socket_path(vault)))


def _call(vault: Path, op: str, on_problem: Problem | None, **fields: Any) -> dict[str, Any] | None:
    """One request; the reply, or None (``on_problem`` hears why when a socket existed)."""
    # The same exchange the quick commands make (vault.agent.wire), from the full lookup of
    # the socket (which creates the runtime folder when it is missing).
    answer, problem = wire.ask(os.fspath(socket_path(canonical(vault))), op, **fields)
    if problem is not None and on_problem:
        on_problem(problem)
    return answer


# -- what the CLI and the TUI call -------------------------------------------------------------


def agent_key(
    vault: Path, on_problem: Problem | None = None, *, touch: bool = True
) -> bytes | None:
    """The vault's data key from its running agent, or None (no agent, or it failed).

    Open the vault with ``VaultStore.from_key(vault, key)``; every write then goes through the
    store's own lock and atomic save. A key request resets the agent's idle timer unless
    ``touch`` is False (background readers such as a shell prompt's ``status``).
    """
    answer = _call(vault, "key", on_problem, touch=touch)
    if answer is None:
        return None
    try:
        key = base64.b64decode(str(answer.get("key")), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        if on_problem:
            on_problem("The agent answered with a malformed key")
        return None
    return key


def agent_token(
    vault: Path, name: str, min_valid: int, on_problem: Problem | None = None
) -> str | None:
    """The stored token of ``name`` if it has ``min_valid`` seconds left, straight from the
    agent (no key, no decryption, no crypto imports in this process); None otherwise.

    None also covers "no agent", "no such credential" and "needs a refresh": the caller then
    takes the full path, which says precisely what is wrong or talks to the provider.
    """
    answer = _call(vault, "token", on_problem, name=name, min_valid=min_valid)
    token = None if answer is None else answer.get("token")
    return token if isinstance(token, str) and token else None


def agent_summary(vault: Path, on_problem: Problem | None = None) -> dict[str, Any] | None:
    """The vault's secret-free summary (``vault_summary``) from its agent, or None.

    Does not reset the idle timer: a shell prompt calls this every time it draws.
    """
    answer = _call(vault, "summary", on_problem)
    summary = None if answer is None else answer.get("summary")
    return summary if isinstance(summary, dict) else None


def agent_names(vault: Path) -> list[str] | None:
    """The vault's credential names from its running agent (shell completion), or None.

    Never a passphrase, never the vault file, no touch of the idle timer: completing a word
    must not unlock anything or keep it unlocked.
    """
    answer = _call(vault, "names", None)
    names = None if answer is None else answer.get("names")
    if not isinstance(names, list):
        return None
    return [name for name in names if isinstance(name, str)]


def agent_view(
    vault: Path, op: str, on_problem: Problem | None = None, **fields: Any
) -> dict[str, Any] | None:
    """The agent's ``list`` (``{"rows"}``) or ``show`` (``name=``; ``{"detail"}``) answer.

    None when no agent runs or it failed (``on_problem`` hears why), and also, silently, when
    the rows would not fit one frame: the caller then opens the vault, as before.
    """
    problems: list[str] = []
    answer = _call(vault, op, problems.append, **fields)
    # A refusal comes from a live agent, e.g. one started before an upgrade that knows no
    # `list`: say nothing, and the caller's key request (which reports its own trouble) works.
    if problems and not problems[0].startswith(REFUSED) and on_problem:
        on_problem(problems[0])
    if answer is None or answer.get("too_large") is True:
        return None
    wanted = "rows" if op == "list" else "detail"
    if wanted not in answer:
        if on_problem:
            on_problem("The agent answered without the rows asked for")
        return None
    return answer


def store_from_agent(vault: Path, on_problem: Problem | None = None) -> VaultStore | None:
    """The vault opened with its running agent's key (no passphrase, no KDF), or None.

    The one way the CLI and the TUI reuse an agent; any trouble (no agent, a dead one, a key
    that no longer opens the file after `passwd --rotate-key`) is None plus, where a caller
    asks, one sentence, so the caller falls back to the passphrase.
    """
    key = agent_key(vault, on_problem)
    if key is None:
        return None
    from vault.core.store import VaultStore

    try:
        return VaultStore.from_key(vault, key)
    except VaultFileError:
        if on_problem:
            on_problem("The agent's key does not open this vault")
        return None


def agent_status(vault: Path, on_problem: Problem | None = None) -> dict[str, Any] | None:
    """``{"pid", "vault", "started_at", "idle_timeout", "seconds_left", "locks_at"}`` or None.

    Does not reset the idle timer and carries no secret.
    """
    answer = _call(vault, "status", on_problem)
    if answer is None:
        return None
    return {key: value for key, value in answer.items() if key not in {"v", "ok"}}


def agent_schedule(
    vault: Path, name: str | None = None, on_problem: Problem | None = None
) -> dict[str, Any] | None:
    """The running agent's background refresh plan (``Refresher.schedule``), or None.

    ``{"enabled", "reason", "problem", "counts", "next": [{"name", "at", "reason"}],
    "skipped": [...]}``, soonest first; ``name`` asks about one credential only. Does not
    reset the idle timer and carries no secret.
    """
    fields = {} if name is None else {"name": name}
    answer = _call(vault, "schedule", on_problem, **fields)
    if answer is None or not isinstance(answer.get("next"), list):
        return None
    return {key: value for key, value in answer.items() if key not in {"v", "ok"}}


def stop_agent(vault: Path, on_problem: Problem | None = None) -> bool:
    """Lock: tell the vault's agent to drop its key and exit; True if one was running.

    Waits (bounded) until the agent has removed its socket, so an `unlock` right after works.
    """
    vault = canonical(vault)
    if _call(vault, "lock", on_problem) is None:
        return False
    deadline = time.monotonic() + STOP_TIMEOUT
    while os.path.lexists(socket_path(vault)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return True


def start_agent(vault: Path, data_key: bytes, timeout: int) -> int:
    """Start a detached agent holding ``data_key`` for ``vault``; returns its pid.

    The key goes to the child on a pipe (stdin), never in argv or the environment. Returns
    once the agent is listening.

    Raises:
        VaultError: an agent already runs for this vault, the key does not open it, or the
            agent did not start in time.
    """
    import subprocess  # only `unlock` starts processes; keep the per-command path lean

    from vault.core.passphrase import child_environ

    vault = canonical(vault)
    private_runtime_dir()
    env = child_environ()  # never the passphrase variables
    cmd = [sys.executable, "-m", "vault.agent", "--vault", os.fspath(vault)]
    proc = subprocess.Popen(
        [*cmd, "--timeout", str(int(timeout))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd="/",
        env=env,
        start_new_session=True,  # its own session: no terminal hangup or Ctrl-C reaches it
        close_fds=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        with suppress(BrokenPipeError):
            proc.stdin.write(data_key)
        with suppress(BrokenPipeError):
            proc.stdin.close()
        line = _read_line(proc.stdout, START_TIMEOUT)
    finally:
        proc.stdout.close()
    # The agent forks once more and its first process exits at once: reap it (no zombie).
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=STOP_TIMEOUT)
    try:
        answer = json.loads(line) if line else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        with suppress(ProcessLookupError):
            proc.kill()
        raise VaultError("The agent did not start; the vault stays locked.")
    if answer.get("ok") is not True:
        raise VaultError(str(answer.get("error") or "The agent did not start."))
    return int(answer.get("pid") or 0)


def _read_line(stream: Any, timeout: float) -> bytes:
    """One line from a pipe, waiting at most ``timeout`` seconds in total."""
    import selectors

    buf = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        while b"\n" not in buf and len(buf) < protocol.MAX_FRAME:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    return buf.split(b"\n", 1)[0]

"""``exec --watch``: keep a long-running child supplied with fresh tokens past each expiry.

tokenvault stays the child's parent. The token goes in the environment and in a 0600 token
file (``vault.core.tokenfile``) that is replaced at 2/3 of each token's lifetime, after which
the chosen signal (none by default) tells the child to re-read it. Signals sent to
tokenvault are forwarded; the child's exit status becomes ours (128 + N when signal N killed
it, as shells report it), and the file is removed once the child has ended.

The child stays in tokenvault's process group, so it keeps the terminal (it can prompt, and
Ctrl-C reaches it directly). A signal the kernel raised (terminal keys, hang-up) went to that
whole group already, so only signals sent by a process to tokenvault are passed on.

Refreshing needs the vault's data key for the child's whole life: this process holds the
unlocked store in memory, as the TUI does (the key came from the agent when one runs, else
from the passphrase). Refreshes go through ``vault.core.tokens.generate``, so they take the
credential's refresh lock and use a token the agent (or anyone) stored meanwhile instead of
asking the provider again.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vault.agent.refresher import backoff
from vault.cli.common import err
from vault.core.clock import now
from vault.core.errors import CredentialNotFound, UsageError, VaultError
from vault.core.model import Token
from vault.core.store import VaultStore
from vault.core.tokenfile import TokenFile, private_runtime_folder

TOKEN_FILE_ENV = "TOKENVAULT_TOKEN_FILE"
EXPIRES_FILE_ENV = "TOKENVAULT_EXPIRES_FILE"

FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
)
"""Signals passed on to the child. SIGKILL and SIGSTOP cannot be caught, so cannot be."""

SI_KERNEL = 0x80
"""``si_code`` of a signal the kernel raised (a terminal's Ctrl-C or hang-up), not a process."""

LONGEST_SLEEP = 5.0
"""Seconds the loop waits at most; it checks the child and the clock after each wait even if
a SIGCHLD went missing."""

LEAST_GAP = 1.0
"""Seconds between two refreshes at the least, so a provider handing out tokens that are
already past their 2/3 mark is not asked in a tight loop."""


class CommandMissing(UsageError):
    """The command to run does not exist; 127, as a shell says for one."""

    exit_code = 127


class CommandRefused(UsageError):
    """The command exists but cannot be run; 126, as a shell says for one."""

    exit_code = 126


def parse_signal(text: str) -> signal.Signals | None:
    """``HUP``, ``SIGHUP``, ``usr1`` ... as a signal; ``none`` as None (no signal is sent)."""
    word = text.strip().upper()
    if word == "NONE":
        return None
    name = word if word.startswith("SIG") else f"SIG{word}"
    found = getattr(signal.Signals, name, None) if name.isidentifier() else None
    if not isinstance(found, signal.Signals) or found in (signal.SIGKILL, signal.SIGSTOP):
        raise UsageError(
            f"--signal {text!r} is not a signal to send the command; write e.g. HUP, USR1 or none."
        )
    return found


def refresh_at(token: Token) -> datetime | None:
    """When to replace ``token``: at 2/3 of its lifetime; None when its expiry is unknown."""
    if token.expires_at is None:
        return None
    life = token.expires_at - token.issued_at
    if life <= timedelta(0):
        return token.expires_at
    return token.issued_at + life * 2 / 3


def retry_wait(failures: int, token: Token, at: datetime) -> float:
    """Seconds before trying again after ``failures`` failed refreshes in a row.

    The agent's backoff (10 s doubling to 5 minutes), but never more than half of what the
    current token has left, so a short-lived token still gets a few more tries before it dies.
    """
    left = token.seconds_left(at)
    cap = backoff(failures) if left is None else max(LEAST_GAP, left / 2)
    return min(backoff(failures), cap)


def exit_status(status: int) -> int:
    """A ``waitpid`` status as a shell's ``$?``: the exit code, or 128 + N for signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def next_token(store: VaultStore, name: str, current: Token) -> Token:
    """The token to put in the file now: one stored meanwhile if not yet due, else a new one."""
    from vault.core import tokens

    cred = store.reload().credentials.get(name)
    if cred is None:
        raise CredentialNotFound(name)
    held = cred.token
    if held is not None and held.value != current.value:
        due = refresh_at(held)
        if due is None or now() < due:
            return held  # the agent's refresher or another command was first
    return tokens.generate(store, name)


def spawn(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Start ``argv`` with an empty signal mask and SIGPIPE/SIGXFSZ back at their defaults.

    Python ignores those two and this process blocks the forwarded signals; a child must
    start with neither (``subprocess`` cannot reset a mask, ``posix_spawn`` can).
    """
    try:
        return os.posix_spawnp(
            argv[0],
            list(argv),
            dict(env),
            setsigmask=(),
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
        )
    except FileNotFoundError:
        raise CommandMissing(f"No command named {argv[0]!r} was found.") from None
    except PermissionError:
        raise CommandRefused(f"{argv[0]!r} cannot be run (permission denied).") from None
    except OSError as exc:
        raise CommandRefused(f"{argv[0]!r} cannot be run: {exc.strerror}.") from None


@dataclass
class Watch:
    """One supervised run: the child, the file and the refresh plan."""

    store: VaultStore = field(repr=False)
    name: str
    token: Token = field(repr=False)
    """The token now in the file."""
    notify: signal.Signals | None
    """Sent to the child after each replacement; None sends nothing."""
    file: TokenFile
    pid: int = 0
    failures: int = 0
    due: datetime | None = None

    def supervise(self) -> int:
        """Forward signals and refresh until the child ends; its exit status."""
        watched = {*FORWARDED, signal.SIGCHLD}
        self.due = refresh_at(self.token)
        while True:
            reaped, status = os.waitpid(self.pid, os.WNOHANG)
            if reaped == self.pid:
                return exit_status(status)
            info = signal.sigtimedwait(watched, self._sleep())
            if info is not None and info.si_signo != signal.SIGCHLD:
                self._forward(info)
            elif self.due is not None and now() >= self.due:
                self._refresh()

    def _sleep(self) -> float:
        if self.due is None:
            return LONGEST_SLEEP
        return max(0.0, min(LONGEST_SLEEP, (self.due - now()).total_seconds()))

    def _forward(self, info: signal.struct_siginfo) -> None:
        if info.si_code == SI_KERNEL:
            return  # raised for the whole foreground process group: the child has it too
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, info.si_signo)

    def _refresh(self) -> None:
        at = now()
        try:
            fresh = next_token(self.store, self.name, self.token)
            self.file.write(fresh.value, fresh.expires_at)
        except (VaultError, OSError) as exc:
            self.failures += 1
            wait = retry_wait(self.failures, self.token, at)
            self.due = at + timedelta(seconds=wait)
            what = exc.message if isinstance(exc, VaultError) else exc.strerror or str(exc)
            err(
                f"{what.rstrip('.')}; {self.name!r}'s token file keeps the current token, "
                f"trying again in {wait:.0f}s."
            )
            return
        self.failures = 0
        self.token = fresh
        planned = refresh_at(fresh)
        self.due = None if planned is None else max(planned, now() + timedelta(seconds=LEAST_GAP))
        if self.notify is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, self.notify)


def run(
    store: VaultStore,
    name: str,
    token: Token,
    argv: Sequence[str],
    env: Mapping[str, str],
    notify: signal.Signals | None,
) -> int:
    """Run ``argv`` under watch; the exit status (see the module docstring). Closes ``store``.

    Args:
        env: the child's environment (token and expiry already in it; the passphrase not).
    """
    if not hasattr(signal, "sigtimedwait"):
        store.close()
        raise UsageError("exec --watch needs Linux (sigtimedwait); run exec without --watch.")
    watched = {*FORWARDED, signal.SIGCHLD}
    # Blocked before the file exists: a SIGTERM from now on waits for the loop, which
    # forwards it, so no signal can end this process between the file's creation and removal.
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    try:
        try:
            file = TokenFile(private_runtime_folder())
        except OSError as exc:
            raise VaultError(f"Cannot create the token file: {exc.strerror}.") from None
        try:
            file.write(token.value, token.expires_at)
            child_env = {
                **env,
                TOKEN_FILE_ENV: str(file.path),
                EXPIRES_FILE_ENV: str(file.expires_path),
            }
            watch = Watch(store, name, token, notify, file)
            watch.pid = spawn(argv, child_env)
            return watch.supervise()
        finally:
            file.remove()
    finally:
        store.close()
        # A signal that came after the child's end has no one to go to: unblocked, it would
        # end this process with its default action instead of the child's status.
        while signal.sigtimedwait(watched, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)

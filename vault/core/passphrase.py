"""Where a passphrase comes from when nobody types it: a file or the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from vault.core.errors import UsageError
from vault.core.safefile import read_bounded, too_large

MIN_LENGTH = 8
"""Shortest new passphrase `init`, `passwd` and the TUI accept (Argon2 slows guessing; it
cannot rescue a four-letter passphrase)."""

FILE_ENV = "TOKENVAULT_PASSPHRASE_FILE"
VALUE_ENV = "TOKENVAULT_PASSPHRASE"
MAX_FILE_BYTES = 64 * 1024


def child_environ(**extra: str) -> dict[str, str]:
    """This process's environment minus the passphrase variables, plus ``extra``.

    Every child tokenvault starts (the agent, `exec`'s command, clipboard tools) gets this:
    an environment is readable by the user's other processes and inherited further, so the
    passphrase must stop here.
    """
    env = {k: v for k, v in os.environ.items() if k not in (VALUE_ENV, FILE_ENV)}
    env.update(extra)
    return env


def from_sources(passphrase_file: str | None) -> str | None:
    """First found wins: ``--passphrase-file``, ``$TOKENVAULT_PASSPHRASE_FILE``,
    ``$TOKENVAULT_PASSPHRASE``. None means "ask on the terminal"."""
    path = passphrase_file or os.environ.get(FILE_ENV)
    if path:
        return read_secret_file(Path(path), "passphrase")
    value = os.environ.get(VALUE_ENV)
    if value:
        return value
    return None


def read_secret_file(path: Path, what: str) -> str:
    """Read a small secret file, dropping one trailing newline; one clear sentence on failure.

    Only a regular file is read (a FIFO or ``/dev/zero`` is refused at once, never read
    forever), and at most ``MAX_FILE_BYTES``: a longer file is refused, never cut short.
    """
    try:
        raw = read_bounded(path, f"{what} file", MAX_FILE_BYTES, UsageError)
    except FileNotFoundError:
        raise UsageError(f"Cannot read the {what} file {path}: it does not exist.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"The {what} file {path} is not UTF-8 text.") from exc
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise UsageError(f"The {what} file {path} is empty.")
    return text


def read_secret_stream(stream: BinaryIO, what: str) -> str:
    """All of ``stream`` (standard input) as the secret, or a refusal: never a cut-off secret.

    Reads one byte past the cap so that input over it is refused with the same sentence as a
    file over it; trailing newlines are dropped (``echo`` adds one, ``printf`` does not).
    """
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(too_large(what, "on standard input", MAX_FILE_BYTES))
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError(f"The {what} on standard input is not UTF-8 text.") from None
    if not text:
        raise UsageError(f"The {what} on standard input was empty.")
    return text


def strength(passphrase: str) -> tuple[str, str]:
    """A rough hint ("weak", "fair", "strong") and a sentence; length matters most."""
    classes = sum(
        any(test(ch) for ch in passphrase)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    words = len(passphrase.split())
    score = len(passphrase) + 4 * classes + 6 * max(0, words - 1)
    if len(passphrase) < MIN_LENGTH:
        return "weak", f"Too short: use at least {MIN_LENGTH} characters (a few words is best)."
    if score < 24:
        return "weak", "Weak: longer is stronger; try four unrelated words."
    if score < 36:
        return "fair", "Fair: a few more characters or another word would help."
    return "strong", "Strong."


def check_new(passphrase: str) -> str:
    """Refuse a new passphrase shorter than ``MIN_LENGTH``; the one rule every front end shares.

    Raises:
        UsageError: with the sentence to show.
    """
    if len(passphrase) < MIN_LENGTH:
        raise UsageError(f"The passphrase must have at least {MIN_LENGTH} characters.")
    return passphrase

"""A private X display with xclip for clipboard tests, and a look at clipboard processes.

The same Xvfb start as tests/tui/conftest.py's ``xvfb_xclip`` (Xvfb picks a free display and
reports it on a pipe once it accepts clients), as a context manager the CLI tests can use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@contextmanager
def private_display() -> Iterator[str]:
    """``:N`` of a fresh Xvfb; skips the test when Xvfb or xclip is missing."""
    if not (shutil.which("Xvfb") and shutil.which("xclip")):
        pytest.skip("Xvfb and xclip are not installed (CI installs them via .ci/run)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def xclip_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    return {**env, "DISPLAY": display}


def paste(display: str) -> str | None:
    """What the display's clipboard holds (None: nothing owns it)."""
    out = subprocess.run(
        ["xclip", "-selection", "clipboard", "-out"],
        capture_output=True,
        env=xclip_env(display),
        timeout=5,
        check=False,
    )
    return out.stdout.decode() if out.returncode == 0 else None


def put(display: str, text: str) -> None:
    """Copy ``text`` the way a person's own xclip would."""
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-in"],
        input=text.encode(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=xclip_env(display),
        timeout=5,
        check=True,
    )


@dataclass(frozen=True)
class Proc:
    """A running process as /proc shows it to the user's other processes."""

    pid: int
    cmdline: bytes
    environ: bytes


def processes(display: str, marker: bytes) -> list[Proc]:
    """Processes whose argv holds ``marker`` and whose environment names ``display``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if marker not in cmdline:
                continue
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}:
            continue
        if f"DISPLAY={display}".encode() in environ.split(b"\0"):
            found.append(Proc(int(entry), cmdline, environ))
    return found

"""A private desktop for notification tests: a session bus, a real notification service on it.

``dbus-daemon --session`` gives the bus; dunst (a real freedesktop notification daemon) owns
``org.freedesktop.Notifications`` on it, drawing on an Xvfb display; ``dbus-monitor`` records
every ``Notify`` call, which is what the tests read. Debian packages: dbus, dbus-bin (for
dbus-monitor), libglib2.0-bin (gdbus), libnotify-bin (notify-send), dunst, xvfb.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("dbus-daemon", "dbus-monitor", "gdbus", "notify-send", "dunst", "Xvfb")
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Notice:
    """One ``Notify`` call as the bus carried it."""

    app: str
    summary: str
    body: str
    urgency: int | None

    def texts(self) -> str:
        return f"{self.app}\n{self.summary}\n{self.body}"


_STRING = re.compile(r'^\s*string "(.*)"$')
_BYTE = re.compile(r"^\s*variant\s+byte (\d+)$")


def parse_monitor(log: str) -> list[Notice]:
    """The Notify calls in ``dbus-monitor``'s output (its arguments one per line, in order:
    app name, replaces id, icon, summary, body, actions, hints, timeout)."""
    notices = []
    for block in log.split("method call ")[1:]:
        if "member=Notify" not in block.splitlines()[0]:
            continue
        strings = [m.group(1) for line in block.splitlines() if (m := _STRING.match(line))]
        urgency = next(
            (int(m.group(1)) for line in block.splitlines() if (m := _BYTE.match(line))), None
        )
        notices.append(Notice(strings[0], strings[2], strings[3], urgency))
    return notices


class Desktop:
    """The running bus, service and monitor; ``env`` points a child at this bus."""

    def __init__(self, address: str, log: Path) -> None:
        self.address = address
        self.log = log
        self.env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}

    def notices(self) -> list[Notice]:
        return parse_monitor(self.log.read_text(errors="replace"))

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Notice]:
        """Wait until at least ``count`` notices were sent (an event, bounded in time)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.notices()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} notifications expected, saw {self.notices()!r}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def desktop() -> Iterator[Desktop]:
    """Start the bus, Xvfb, dunst and the monitor; end each of them (by its own pid) after."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"notification tests need {', '.join(missing)} (Debian: dbus, dbus-bin, "
            "libglib2.0-bin, libnotify-bin, dunst, xvfb)"
        )
    folder = Path(tempfile.mkdtemp(prefix="tv-desktop-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        procs.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        assert address, "dbus-daemon printed no address"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address}
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "640x480x24"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(xvfb)
        os.close(write)
        with os.fdopen(read) as pipe:
            display = pipe.readline().strip()
        assert display, "Xvfb did not say its display"
        monitor_log = folder / "monitor.log"
        with open(monitor_log, "wb") as sink:
            monitor = subprocess.Popen(
                [
                    "dbus-monitor",
                    "--address",
                    address,
                    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
                ],
                stdout=sink,
                stderr=subprocess.DEVNULL,
            )
        procs.append(monitor)
        config = folder / "dunstrc"
        config.write_text("")
        dunst = subprocess.Popen(
            ["dunst", "-conf", str(config)],
            env={**env, "DISPLAY": f":{display}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(dunst)
        # Events, not sleeps: the service owns its name, and the monitor has attached (it
        # prints the NameLost of becoming a monitor).
        subprocess.run(
            [
                "gdbus",
                "wait",
                "--session",
                "--timeout",
                str(int(START_TIMEOUT)),
                "org.freedesktop.Notifications",
            ],
            env=env,
            check=True,
            timeout=START_TIMEOUT + 5,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while "NameLost" not in monitor_log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "dbus-monitor did not attach"
            time.sleep(0.02)
        yield Desktop(address, monitor_log)
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)

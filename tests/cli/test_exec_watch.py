"""`exec --watch` end to end: the installed command supervising a real child process.

The credential is an app token with a fixed 3-second lifetime (the simulator's app tokens
carry no expiry, so the engine's `lifetime` setting decides), which makes the 2/3 schedule
observable in about two seconds per refresh. The child is a Python script that records what
it sees (environment, token file, signals) as JSON lines in a log the test polls.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.conftest import BIN, Run
from vault.sim import Simulator

APP_ID = "app_watch"
APP_SECRET = "watch-app-secret-0001"
LIFETIME = 3

CHILD = r"""
import json, os, signal, sys, time

log = sys.argv[1]
on_term = int(sys.argv[2])

def record(event, **extra):
    path = os.environ["TOKENVAULT_TOKEN_FILE"]
    entry = {"event": event, "at": time.monotonic(), **extra}
    try:
        with open(path) as f:
            entry["file"] = f.read()
        with open(os.environ["TOKENVAULT_EXPIRES_FILE"]) as f:
            entry["expires"] = f.read().strip()
        entry["mode"] = os.stat(path).st_mode & 0o777
        entry["folder_mode"] = os.stat(os.path.dirname(path)).st_mode & 0o777
    except OSError as exc:
        entry["error"] = str(exc)
    with open(log, "a") as f:
        f.write(json.dumps(entry) + "\n")

for name in ("SIGHUP", "SIGINT", "SIGUSR1"):
    signal.signal(getattr(signal, name), lambda n, f: record(signal.Signals(n).name))
signal.signal(signal.SIGTERM, lambda n, f: (record("SIGTERM"), sys.exit(on_term)))
record(
    "start",
    token=os.environ["TOKEN"],
    expires_at=os.environ["TOKENVAULT_EXPIRES_AT"],
    path=os.environ["TOKENVAULT_TOKEN_FILE"],
    passphrase=[k for k in os.environ if k.startswith("TOKENVAULT_PASS")],
)
if sys.argv[3] == "kill-self":
    os.kill(os.getpid(), signal.SIGKILL)
while True:
    signal.pause()
"""


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_app_token_app(APP_ID, APP_SECRET)
        yield running


@pytest.fixture
def short(initialised: Run, sim: Simulator) -> Run:
    """A vault holding 'short', an app token that lives LIFETIME seconds."""
    initialised(
        "add", "short", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
        "--set", f"lifetime={LIFETIME}", "--secret-stdin", input=APP_SECRET + "\n", ok=True,
    )  # fmt: skip
    return initialised


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up after {timeout:.0f}s waiting")


class Watched:
    """`tokenvault exec short --watch ... -- python CHILD LOG` running in the background."""

    def __init__(self, cli_env: dict[str, str], tmp_path: Path, *options: str, **how: Any):
        self.log = tmp_path / "child.log"
        self.errors = tmp_path / "watch.err"
        script = tmp_path / "child.py"
        script.write_text(CHILD)
        on_term, mode = str(how.get("on_term", 3)), how.get("mode", "wait")
        argv = [BIN, "exec", "short", "--min-valid", "0", "--watch", *options, "--"]
        argv += [sys.executable, str(script), str(self.log), on_term, mode]
        popen: dict[str, Any] = {"stdin": subprocess.DEVNULL, **how.get("popen", {})}
        with self.errors.open("wb") as errors:
            self.proc = subprocess.Popen(
                argv, env=cli_env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=errors,
                **popen,
            )  # fmt: skip

    def entries(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.entries() if e["event"] == event]

    def wait_start(self) -> dict[str, Any]:
        return wait_for(lambda: self.events("start"))[0]

    def finish(self, timeout: float = 20) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def watch(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Watched]]:
    started: list[Watched] = []

    def start(*options: str, **how: Any) -> Watched:
        started.append(Watched(cli_env, tmp_path, *options, **how))
        return started[-1]

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
            one.proc.wait()


def accepted(sim: Simulator, token: str) -> bool:
    """The simulator issued ``token`` and still takes it on an API call."""
    headers = {"App-ID": APP_ID, "App-Token": token}
    headers["Request-ID"] = "8339883c-9c13-4700-94ab-5e7b72842ad8"
    return httpx.get(f"{sim.url}/app-token/whoami", headers=headers, timeout=5).status_code == 200


def test_the_child_reads_a_fresh_token_across_two_refreshes(
    short: Run, sim: Simulator, watch: Callable[..., Watched]
) -> None:
    short("edit", "short", "--set", "lifetime=6", ok=True)  # 4 s apart, not 6: well told apart
    run = watch("--signal", "HUP")
    start = run.wait_start()
    # The first token: in the environment and in the file, which only this user can read.
    assert start["file"] == start["token"] and accepted(sim, start["token"])
    assert start["mode"] == 0o600 and start["folder_mode"] == 0o700
    assert start["passphrase"] == []
    expires = datetime.fromisoformat(start["expires_at"])
    assert expires.tzinfo == UTC and start["expires_at"].endswith("Z")
    assert start["expires"] == start["expires_at"]

    # Each replacement is followed by SIGHUP; the child finds a new token each time, one the
    # simulator issued, and a later expiry beside it.
    hups = wait_for(
        lambda: run.events("SIGHUP")[:2] if len(run.events("SIGHUP")) >= 2 else [], timeout=30
    )
    tokens = [start["token"], *(h["file"] for h in hups)]
    assert len(set(tokens)) == 3
    assert all(accepted(sim, token) for token in tokens)
    times = [expires, *(datetime.fromisoformat(h["expires"]) for h in hups)]
    assert times == sorted(times) and len(set(times)) == 3
    assert all(h["mode"] == 0o600 for h in hups)
    # Replaced at 2/3 of each lifetime: the two HUPs come 4 s apart (plus the provider's
    # answer time), not 6 s as a refresh at expiry would.
    gap = hups[1]["at"] - hups[0]["at"]
    assert 3.9 <= gap <= 5.2, gap

    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 3  # the child's own exit code
    assert run.events("SIGTERM"), "SIGTERM did not reach the child"
    assert sim.counters["app-token.generate.ok"] == len(run.events("SIGHUP")) + 1
    assert not Path(start["path"]).exists() and not Path(start["path"]).parent.exists()
    assert "Traceback" not in run.errors.read_text()


def test_a_child_killed_by_a_signal_gives_128_plus_its_number(
    short: Run, watch: Callable[..., Watched]
) -> None:
    run = watch(mode="kill-self")
    start = run.wait_start()
    assert run.finish() == 128 + signal.SIGKILL
    assert not Path(start["path"]).parent.exists()


def test_without_a_signal_the_file_is_replaced_and_the_child_left_alone(
    short: Run, sim: Simulator, watch: Callable[..., Watched]
) -> None:
    # The default is --signal none: a child with no SIGHUP handler would die of one.
    run = watch()
    start = run.wait_start()
    path = Path(start["path"])
    seen = {start["token"]}
    wait_for(lambda: seen.add(path.read_text()) or len(seen) >= 3)
    assert run.proc.poll() is None and run.events("SIGHUP") == []
    # A forwarded USR1 arrives: proof the child is listening, so no HUP was missed.
    run.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: run.events("SIGUSR1"))
    assert run.events("SIGHUP") == []
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 3


def test_a_failed_refresh_keeps_the_file_and_tries_again(
    short: Run, sim: Simulator, watch: Callable[..., Watched]
) -> None:
    short("edit", "short", "--set", "retry_tries=1", ok=True)  # one refused request is a failure
    run = watch("--signal", "HUP")
    start = run.wait_start()
    sim.inject_fault("/auth/app-token", "503")
    said = wait_for(lambda: run.errors.read_text())
    # One sentence naming the credential; the file still holds the token the child has.
    assert said.count("\n") == 1 and "'short'" in said and "trying again in" in said
    assert "HTTP 503" in said and start["token"] not in said
    assert Path(start["path"]).read_text() == start["token"]
    hup = wait_for(lambda: run.events("SIGHUP"))[0]
    assert hup["file"] != start["token"] and accepted(sim, hup["file"])
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 3


def test_a_token_stored_meanwhile_is_used_without_asking_the_provider(
    short: Run, sim: Simulator, watch: Callable[..., Watched]
) -> None:
    # Six seconds, so the refresh below lands well before the watcher's 4 s mark.
    short("edit", "short", "--set", "lifetime=6", ok=True)
    run = watch("--signal", "HUP")
    start = run.wait_start()
    short("refresh", "short", ok=True)  # as the agent's background refresh would
    theirs = short("token", "short", "--min-valid", "0", ok=True).stdout.strip()
    assert theirs != start["token"]
    # At the 2/3 mark the watcher finds that token not yet due and hands it on as it is.
    hup = wait_for(lambda: run.events("SIGHUP"), timeout=30)[0]
    assert hup["file"] == theirs
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 3


def test_a_missing_command_exits_127_and_leaves_no_file(
    short: Run, cli_env: dict[str, str]
) -> None:
    result = short("exec", "short", "--watch", "--", "no-such-command-here")
    assert result.returncode == 127
    assert result.stderr == "tokenvault: No command named 'no-such-command-here' was found.\n"
    runtime = Path(cli_env["XDG_RUNTIME_DIR"]) / "tokenvault"
    assert runtime.is_dir() and list(runtime.iterdir()) == []


def test_a_long_runtime_folder_is_fine_and_a_symlinked_one_refused(
    short: Run, tmp_path: Path
) -> None:
    # Longer than a Unix socket address allows: only the agent's socket needs the room.
    deep = tmp_path / ("long-" * 30)
    deep.mkdir(mode=0o700)
    show = ["exec", "short", "--watch", "--", "sh", "-c", 'cat "$TOKENVAULT_TOKEN_FILE"']
    result = short(*show, env={"XDG_RUNTIME_DIR": str(deep)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == short("token", "short", "--min-valid", "0", ok=True).stdout.strip()
    # A runtime folder that is a symlink (planted in a shared place) gets no token.
    planted = tmp_path / "planted"
    (planted / "elsewhere").mkdir(parents=True)
    os.chmod(planted / "elsewhere", 0o755)
    (planted / "tokenvault").symlink_to(planted / "elsewhere")
    refused = short(*show, env={"XDG_RUNTIME_DIR": str(planted)})
    assert refused.returncode == 1 and refused.stdout == ""
    assert "is not a private folder of this user" in refused.stderr
    # Refused before anything touched it: no token, and its mode is not ours to change.
    assert list((planted / "elsewhere").iterdir()) == []
    assert (planted / "elsewhere").stat().st_mode & 0o777 == 0o755


def test_a_bad_signal_name_is_one_sentence(short: Run) -> None:
    for bad in ("NOPE", "KILL", "9x"):
        result = short("exec", "short", "--watch", "--signal", bad, "--", "true")
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert f"--signal {bad!r} is not a signal" in result.stderr


def test_signal_without_watch_is_a_usage_error_before_anything_runs(
    short: Run, sim: Simulator, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    for where in (["short", "--signal", "HUP"], ["--signal", "none", "short"]):
        result = short("exec", *where, "--", "touch", str(marker))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (
            "tokenvault: --signal only works with --watch (a plain exec sends no signals).\n"
        )
    assert not marker.exists() and sim.counters.get("app-token.generate", 0) == 0


def test_exec_without_watch_exports_the_expiry_and_the_signal_status(short: Run) -> None:
    script = "import os; print(os.environ['TOKENVAULT_EXPIRES_AT']); os.kill(os.getpid(), 15)"
    result = short("exec", "short", "--", sys.executable, "-c", script)
    assert result.returncode == 128 + signal.SIGTERM
    expires = datetime.fromisoformat(result.stdout.strip())
    assert expires.tzinfo == UTC and 0 < (expires - datetime.now(UTC)).total_seconds() <= 4


def test_terminal_ctrl_c_reaches_the_child_once(
    short: Run, watch: Callable[..., Watched], tmp_path: Path
) -> None:
    """Ctrl-C on a terminal signals the child itself; tokenvault must not send it again."""
    import fcntl
    import termios

    master, slave = os.openpty()

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        run = watch(
            popen={
                "stdin": slave,
                "start_new_session": True,
                "preexec_fn": controlling_terminal,
            }
        )
        run.wait_start()
        # tokenvault is stopped while the child takes the terminal's SIGINT, so a forwarded
        # copy could not merge with it: both would be counted.
        os.kill(run.proc.pid, signal.SIGSTOP)
        wait_for(lambda: Path(f"/proc/{run.proc.pid}/stat").read_text().split()[2] == "T")
        os.write(master, b"\x03")
        wait_for(lambda: run.events("SIGINT"))
        os.kill(run.proc.pid, signal.SIGCONT)
        # USR1 comes from a process, so it is forwarded; once it has arrived, a forwarded
        # copy of the SIGINT (pending in tokenvault before it) would have too.
        run.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: run.events("SIGUSR1"))
        assert len(run.events("SIGINT")) == 1
        run.proc.send_signal(signal.SIGTERM)
        assert run.finish() == 3
    finally:
        os.close(slave)
        os.close(master)

"""Helpers for the auth proxy tests: the proxy as a real subprocess, real curl, a recording
upstream on 127.0.0.1."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agent_support import PASSPHRASE, TOKENVAULT

CURL = "/usr/bin/curl"
WAIT = 30.0
"""Seconds any one step may take before the test fails (never a sleep: an upper bound)."""


@dataclass
class Seen:
    """One request the recording upstream received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A real HTTP server on 127.0.0.1 that records every request and answers by path.

    ``/redirect`` answers 302 to ``/landing``; ``/stream`` sends one piece, waits for
    ``release``, then the rest, chunked; anything else echoes, or answers 401 while
    ``reject`` is above zero.
    """

    seen: list[Seen] = field(default_factory=list)
    reject: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def take_reject(self) -> bool:
        with self.lock:
            if self.reject > 0:
                self.reject -= 1
                return True
            return False


def _recorder_handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            with recorder.lock:
                recorder.seen.append(seen)
            if self.path.startswith("/redirect"):
                self._send(302, b"moved\n", {"Location": f"{recorder.url}/landing"})
            elif self.path.startswith("/stream"):
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"6\r\nfirst\n\r\n")
                self.wfile.flush()
                recorder.release.wait(WAIT)
                self.wfile.write(b"5\r\nrest\n\r\n0\r\n\r\n")
            elif recorder.take_reject():
                self._send(401, b'{"error": "token expired"}', {})
            else:
                echo = {"path": self.path, "length": len(body)}
                self._send(200, json.dumps(echo).encode(), {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

    return Handler


@contextmanager
def recording_upstream() -> Iterator[Recorder]:
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _recorder_handler(recorder))
    server.daemon_threads = True
    recorder.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        recorder.release.set()
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


@dataclass
class ProxyProcess:
    """A running `tokenvault proxy`, its first stdout line and its stderr log file."""

    process: subprocess.Popen[str]
    line: str
    log: Path

    @property
    def url(self) -> str:
        name, _, value = self.line.partition("=")
        assert name == "TOKENVAULT_PROXY_URL", self.line
        return value

    @property
    def key(self) -> str:
        return self.url.rsplit("/", 1)[1]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit (bounded); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(WAIT)


def proxy_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENVAULT_PASSPHRASE")}
    env["TOKENVAULT_PASSPHRASE"] = PASSPHRASE
    return env


def start_proxy(log: Path, name: str, *args: str) -> ProxyProcess:
    """Run `tokenvault proxy NAME ARGS...` and wait (bounded) for its announcement line."""
    with log.open("w") as err:
        process = subprocess.Popen(
            [TOKENVAULT, "proxy", name, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=proxy_env(),
            start_new_session=True,  # no terminal: a passphrase prompt would fail, not hang
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], WAIT)
    line = process.stdout.readline().strip() if ready else ""
    if not line:
        process.kill()
        process.wait(WAIT)
        raise AssertionError(f"the proxy did not start: {log.read_text()}")
    return ProxyProcess(process, line, log)


def curl(*args: str) -> tuple[int, str]:
    """Real curl; (HTTP status, body). Headers come with ``-i`` in the body like curl prints."""
    done = subprocess.run(
        [CURL, "-sS", "--max-time", str(int(WAIT)), "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=WAIT + 5,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body

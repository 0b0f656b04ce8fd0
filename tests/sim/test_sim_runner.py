"""The foreground runner: one line, serves until Ctrl-C, exits 0; refuses non-loopback hosts."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import httpx
import jwt

from vault.sim import demo


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "vault.sim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _first_line(process: subprocess.Popen[str], timeout: float = 10.0) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the simulator printed nothing"
    return process.stdout.readline().strip()


def test_serves_until_ctrl_c_then_exits_cleanly() -> None:
    process = _start("--seed-demo")
    try:
        line = _first_line(process)
        assert line.startswith("simulator listening on http://127.0.0.1:")
        url = line.removeprefix("simulator listening on ")
        now = int(time.time())
        assertion = jwt.encode(
            {"iss": demo.JWT_APP_ID, "iat": now, "exp": now + 600},
            demo.PRIVATE_KEY_PEM,
            algorithm="RS256",
        )
        with httpx.Client(base_url=url, timeout=5) as client:
            response = client.post(
                "/application/token",
                headers={"Authorization": f"Bearer {assertion}"},
                json={"orgId": demo.JWT_ORG_ID},
            )
            assert response.status_code == 200
            secret = {"Secret": demo.SHIFTIQ_SECRET, "Lifetime": 60}
            shiftiq = client.post(
                f"/v2/{demo.SHIFTIQ_PARTITION}/security/tokens/generate", json=secret
            )
            assert shiftiq.status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert out == ""
    assert "Traceback" not in err
    assert err == ""


def test_non_loopback_host_is_refused_in_one_sentence() -> None:
    process = _start("--host", "0.0.0.0")
    out, err = process.communicate(timeout=10)
    assert process.returncode == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.strip().count("\n") == 0
    assert "loopback" in err

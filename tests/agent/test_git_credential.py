"""`tokenvault git-credential` end to end: real git clones over loopback HTTP with a token
issued by the simulator, the vault unlocked once through the agent."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from agent_support import PASSPHRASE, TOKENVAULT, Agents, run_cli

from vault.core.model import Credential
from vault.core.providers.engine import SETTING_KINDS
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim.keys import generate_key_pair

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")

# The provider engine refuses settings it does not know; `git_host` is read by the CLI only and
# must be on its list before a bound credential can issue a token.
needs_git_host = pytest.mark.skipif(
    "git_host" not in SETTING_KINDS,
    reason="vault/core/providers/engine.py SETTING_KINDS does not list git_host yet",
)

APP_ID = "4242"
INSTALLATION = 77
STEP_TIMEOUT = 60.0


def _key_pair() -> tuple[str, str]:
    return generate_key_pair()


class GitServer(ThreadingHTTPServer):
    """`git http-backend` behind HTTP Basic whose password must be a live simulator token."""

    daemon_threads = True

    def __init__(self, root: Path, sim_url: str) -> None:
        super().__init__(("127.0.0.1", 0), GitHandler)
        self.root = root
        self.sim_url = sim_url
        self.accepted: list[str] = []
        self.refused = 0

    def token_ok(self, token: str) -> bool:
        answer = httpx.get(
            f"{self.sim_url}/installation/repositories",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5.0,
        )
        return answer.status_code == 200


class GitHandler(BaseHTTPRequestHandler):
    server: GitServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tokens never reach a log

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        password = self._basic_password()
        if password is None or not self.server.token_ok(password):
            self.server.refused += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.server.accepted.append(password)
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        cgi = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=30
        )
        head, _, payload = cgi.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _basic_password(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:
            return None
        return decoded.partition(":")[2] or None


def git_env(home: Path) -> dict[str, str]:
    """Isolated git: no system or user config, no prompts, no passphrase anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENVAULT_PASSPHRASE")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    env.pop("GIT_CONFIG_GLOBAL", None)
    return env


def git(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


@pytest.fixture
def served_repo(tmp_path: Path, sim: Simulator) -> Iterator[GitServer]:
    home = tmp_path / "git-home"
    home.mkdir()
    env = git_env(home)
    root = tmp_path / "srv"
    root.mkdir()
    assert git("init", "-q", "--bare", str(root / "repo.git"), env=env).returncode == 0
    work = tmp_path / "seed"
    assert git("init", "-q", str(work), env=env).returncode == 0
    (work / "README").write_text("hello from the served repo\n")
    assert git("add", "README", env=env, cwd=work).returncode == 0
    assert git("commit", "-qm", "seed", env=env, cwd=work).returncode == 0
    pushed = git("push", "-q", str(root / "repo.git"), "HEAD:refs/heads/main", env=env, cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    assert (
        git("symbolic-ref", "HEAD", "refs/heads/main", env=env, cwd=root / "repo.git").returncode
        == 0
    )
    server = GitServer(root, sim.url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def bound_credential(vault: Path, sim: Simulator, served_repo: GitServer) -> str:
    """A GitHub-App credential bound to the git server (http://127.0.0.1:PORT); returns
    127.0.0.1:PORT."""
    private, public = _key_pair()
    sim.register_github_app(APP_ID, public, installation_ids=[INSTALLATION])
    host = f"127.0.0.1:{served_repo.server_port}"
    with VaultStore.unlock(vault, PASSPHRASE).transaction() as data:
        cred = Credential(
            name="gh",
            provider="github-app",
            settings={
                "base_url": sim.url,
                "app_id": APP_ID,
                "installation_id": str(INSTALLATION),
                # Plain http is allowed for loopback only, and must be named as such.
                "git_host": f"http://{host}",
            },
        )
        cred.secrets["private_key"] = private
        data.credentials["gh"] = cred
    return host


@needs_git_host
def test_git_clones_with_a_token_from_tokenvault(
    tmp_path: Path,
    vault: Path,
    agents: Agents,
    sim: Simulator,
    served_repo: GitServer,
    bound_credential: str,
) -> None:
    agents.start()
    home = tmp_path / "clone-home"
    home.mkdir()
    env = git_env(home)
    helper = f"credential.helper={TOKENVAULT} git-credential"
    url = f"http://{bound_credential}/repo.git"

    first = git(
        "-c", "credential.helper=", "-c", helper, "clone", "-q", url, "one", env=env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "one" / "README").read_text() == "hello from the served repo\n"
    assert served_repo.accepted and served_repo.accepted[0].startswith("ghs_")
    assert sim.counters["github-app.generate.ok"] == 1

    # A second clone reuses the stored token: no new one is issued.
    second = git(
        "-c", "credential.helper=", "-c", helper, "clone", "-q", url, "two", env=env, cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    assert sim.counters["github-app.generate.ok"] == 1
    assert set(served_repo.accepted) == {served_repo.accepted[0]}
    for text in (first.stderr, second.stderr):
        assert served_repo.accepted[0] not in text


def test_without_tokenvault_the_server_refuses(
    tmp_path: Path, served_repo: GitServer, bound_credential: str
) -> None:
    env = git_env(tmp_path)
    url = f"http://{bound_credential}/repo.git"
    refused = git("-c", "credential.helper=", "clone", "-q", url, "x", env=env, cwd=tmp_path)
    assert refused.returncode != 0
    assert served_repo.refused >= 1


@needs_git_host
def test_get_answers_with_password_expiry_utc(
    vault: Path, agents: Agents, bound_credential: str
) -> None:
    agents.start()
    request = f"protocol=http\nhost={bound_credential}\n\n"
    answer = run_cli("git-credential", "get", stdin=request)
    assert answer.returncode == 0, answer.stderr
    fields = dict(line.split("=", 1) for line in answer.stdout.splitlines())
    assert fields["username"] == "x-access-token"
    assert fields["password"].startswith("ghs_")
    assert int(fields["password_expiry_utc"]) > 0
    for action in ("store", "erase"):
        quiet = run_cli("git-credential", action, stdin=request + "password=x\n")
        assert quiet.returncode == 0 and quiet.stdout == ""


def test_get_for_an_unbound_host_says_nothing(vault: Path, agents: Agents) -> None:
    agents.start()
    answer = run_cli("git-credential", "get", stdin="protocol=https\nhost=example.com\n\n")
    assert answer.returncode == 0 and answer.stdout == "" and answer.stderr == ""


def test_plain_http_to_a_remote_host_is_refused(vault: Path, agents: Agents) -> None:
    agents.start()
    answer = run_cli("git-credential", "get", stdin="protocol=http\nhost=example.com\n\n")
    assert answer.returncode == 1 and answer.stdout == ""
    assert "use https" in answer.stderr and "Traceback" not in answer.stderr

"""vault.agent.wire agrees with the full lookups it stands in for on the quick commands' path.

The quick path names the vault, the runtime folder and the socket without pathlib or
platformdirs, and writes and reads frames without the json module: each answer here is
checked against the real one (vault.core.paths, vault.core.rundir, vault.agent.location,
vault.agent.protocol) in the same environment.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.agent import location, protocol, wire
from vault.core.paths import default_vault_path, runtime_dir
from vault.core.rundir import POINTER_NAME, state_dir


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"XDG_DATA_HOME": "/srv/data/"},
        {"XDG_DATA_HOME": "relative/data"},  # platformdirs ignores a relative one
        {"XDG_DATA_HOME": ""},
        {"HOME": "/"},
        {"HOME": "/home/x/"},
        {"TOKENVAULT_VAULT": "~/vaults//work.tvault"},
    ],
)
@pytest.mark.parametrize("override", [None, "~/v.tvault", "rel/dir/../v.tvault", "/a//b/./c"])
def test_the_vault_path_is_the_one_default_vault_path_names(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], override: str | None
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("TOKENVAULT_VAULT", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Path(wire.vault_file(override)) == default_vault_path(override)


def test_the_socket_name_is_the_one_the_agent_listens_on(tmp_path: Path) -> None:
    real = tmp_path / "vaults" / "wörk vault.tvault"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "link.tvault"
    link.symlink_to(real)
    for spelling in (real, link, tmp_path / "vaults" / ".." / "vaults" / real.name):
        canonical = os.path.realpath(spelling)
        assert wire.socket_file(canonical) == os.fspath(location.socket_path(spelling))
        digest = hashlib.sha256(os.fsencode(canonical)).hexdigest()[:16]
        assert wire.stem(canonical) == f"agent-{digest}"


@pytest.fixture
def no_xdg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No XDG_RUNTIME_DIR: the runtime folder is a mkdtemp folder named by a pointer file."""
    temp = Path(tempfile.mkdtemp(prefix="tvw-", dir="/tmp"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR in this process too
    yield temp
    shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.parametrize("state_home", ["set", "unset"])
def test_without_xdg_runtime_dir_the_pointer_is_read_as_rundir_writes_it(
    no_xdg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_home: str
) -> None:
    if state_home == "unset":
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert wire.runtime_folder() is None  # no pointer yet: no agent can be listening anywhere
    first = runtime_dir()  # makes the folder and the pointer, as `unlock` does
    assert (state_dir("tokenvault") / POINTER_NAME).exists()
    assert wire.runtime_folder() == os.fspath(first)
    vault = os.fspath(tmp_path / "v.tvault")
    assert wire.socket_file(vault) == os.fspath(location.socket_path(Path(vault)))
    first.chmod(0o770)  # no longer private: neither lookup may use it
    assert wire.runtime_folder() is None
    second = runtime_dir()
    assert second != first and wire.runtime_folder() == os.fspath(second)


def test_a_pointer_of_another_kind_is_not_followed(no_xdg: Path, tmp_path: Path) -> None:
    first = runtime_dir()
    pointer = state_dir("tokenvault") / POINTER_NAME
    pointer.unlink()
    pointer.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_text(f"{first}\n")
    assert wire.runtime_folder() is None
    pointer.unlink()
    pointer.write_text("relative/folder\n")
    assert wire.runtime_folder() is None


MESSAGES = [
    {"v": 1, "op": "ping"},
    {"v": 1, "op": "token", "name": 'gh \u00e9\u2603 "q" \\ \n\x1b', "min_valid": 60},
    {"v": 1, "op": "key", "touch": False},
    {"v": 1, "op": "show", "name": "\U0001f511" * 3, "extra": None, "big": 10**30},
    {"v": 1, "op": "list", "nested": {"a": [1, 2.5]}},  # not on the quick path: json's own
]


@pytest.mark.parametrize("message", MESSAGES)
def test_frames_are_byte_identical_to_the_protocol_module(message: dict[str, object]) -> None:
    assert wire.encode(message) == protocol.encode(message)


BODIES = [
    b'{"v":1,"ok":true,"token":"TOKEN-1"}',
    b' \r\n{"v": 1, "ok": true, "token": null}\t ',
    '{"rows": [{"name": "\u00e9\\u2603\\ud83d\\udd11", "n": -12, "f": 1.5e3}]}'.encode(),
    b'{"x": [NaN, Infinity, -Infinity, 123456789012345678901234567890]}',
    b'{"a": {"b": {"c": [true, false, null, ""]}}}',
    b"[1, 2]",
    b'"just a string"',
]


@pytest.mark.parametrize("body", BODIES)
def test_replies_decode_as_json_loads_decodes_them(body: bytes) -> None:
    ours, theirs = wire.decode(body), json.loads(body)
    if isinstance(theirs, dict) and "x" in theirs:  # NaN is never equal to itself
        assert [math.isnan(v) for v in ours["x"]] == [math.isnan(v) for v in theirs["x"]]
        assert ours["x"][1:] == theirs["x"][1:]
    else:
        assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize(
    "body", [b"{", b'{"a": 1} {"b": 2}', b"{'a': 1}", b'{"a": 01}', b"", b'{"a": "\x01"}']
)
def test_malformed_replies_are_refused_as_json_refuses_them(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        wire.decode(body)


@pytest.mark.parametrize(
    "words",
    [
        ["token", "gh"],
        ["token", "gh", "--min-valid", "5m"],
        ["token", "--min-valid=0", "gh"],
        ["--vault", "/v/a.tvault", "token", "gh"],
        ["--vault=~/b.tvault", "--passphrase-file", "pw", "--vault", "/c", "token", "x y"],
        ["--passphrase-file=", "token", "gh", "--min-valid", "bogus"],
    ],
)
def test_a_plain_token_command_gets_the_arguments_argparse_would_give(words: list[str]) -> None:
    """Without an agent, `token NAME` skips building the parser (vault.cli.quick)."""
    from vault.cli import build_parser
    from vault.cli.quick import token_arguments

    quick = token_arguments(words)
    assert quick is not None
    assert vars(quick) == vars(build_parser("token").parse_args(words))


@pytest.mark.parametrize(
    "words",
    [
        ["token"],
        ["token", "gh", "--header"],
        ["token", "gh", "--min-valid"],
        ["token", "gh", "--min-valid", "-5"],
        ["token", "gh", "--min", "5m"],  # an abbreviation: argparse's to expand
        ["token", "gh", "--min-valid", "1m", "--min-valid", "2m"],
        ["token", "a", "b"],
        ["-h", "token", "gh"],
        ["status"],
    ],
)
def test_any_other_token_command_line_is_left_to_argparse(words: list[str]) -> None:
    from vault.cli.quick import token_arguments

    assert token_arguments(words) is None

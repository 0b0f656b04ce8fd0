"""A provider quoting our request back, in each encoding, through the installed command: no
form of the secret reaches stderr, ``show``, ``list --json``'s last_error or the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.echo_support import ENCODINGS, SECRET, echo_server, leaks


def _add(tv: Run, tmp_path: Path, name: str, url: str, encoding: str) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    tv(
        "add",
        name,
        "--provider",
        "secret-exchange",
        "--set",
        f"base_url={url}",
        "--set",
        "partition=acme",
        "--set",
        f"token_url=/v2/acme/security/tokens/generate/{encoding}",
        "--secret-file",
        str(secret_file),
        ok=True,
    )


def test_every_echoed_form_is_masked_everywhere_a_person_reads(
    initialised: Run, tmp_path: Path
) -> None:
    names = sorted(ENCODINGS)
    with echo_server() as url:
        for encoding in names:
            _add(initialised, tmp_path, encoding, url, encoding)
        for encoding in names:
            failed = initialised("token", encoding)
            assert failed.returncode != 0
            assert "rejected request: " in failed.stderr, failed.stderr
            assert not leaks(failed.stderr, SECRET), (encoding, failed.stderr)
    rows = {row["name"]: row for row in json.loads(initialised("list", "--json", ok=True).stdout)}
    for encoding in names:
        said = rows[encoding]["last_error"]
        assert said and "rejected request: " in said, said
        assert not leaks(said, SECRET), (encoding, said)
        shown = initialised("show", encoding, ok=True).stdout
        detail = json.loads(initialised("show", encoding, "--json", ok=True).stdout)
        history = " ".join(event["detail"] for event in detail["history"])
        assert "rejected request: " in shown and "rejected request: " in history
        for text in (shown, history, json.dumps(detail, ensure_ascii=False)):
            assert not leaks(text, SECRET), (encoding, text)


@pytest.mark.parametrize("encoding", ["plus", "plus-lower"])
def test_a_form_encoded_space_is_masked(initialised: Run, tmp_path: Path, encoding: str) -> None:
    """From mutation testing: a secret with a space, echoed with ``+`` for the space."""
    assert " " in SECRET
    with echo_server() as url:
        _add(initialised, tmp_path, "spaced", url, encoding)
        failed = initialised("token", "spaced")
    assert "rejected request: " in failed.stderr and "+" not in failed.stderr.split(": ", 3)[-1]
    assert not leaks(failed.stderr, SECRET), failed.stderr

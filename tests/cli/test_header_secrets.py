"""Header API keys and a static Basic password kept as secrets (`--secret-for`), end to end:
stored as secrets, bound by a ``{secret.NAME}`` template, masked by `show`, absent from
`--json`, masked in echoes, and never taken from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.echo_support import echo_server, leaks
from vault.core.model import mask
from vault.sim import Simulator

APP_ID = "app_36c3e32a-dc18-11e8-89bd-0242ac130002"
APP_SECRET = "hdr-app-secret-0001"
CLIENT_SECRET = "hdr-oauth-secret-0001"
API_KEY = "k3y-VALUE-of-the-api-5678"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        running.register_app_token_app(APP_ID, APP_SECRET)
        running.register_oauth_client("hdr-client", CLIENT_SECRET, scopes=["read"])
        yield running


@pytest.fixture
def app(initialised: Run, sim: Simulator) -> Run:
    initialised(
        "add", "app", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
        "--secret-stdin", input=APP_SECRET + "\n", ok=True,
    )  # fmt: skip
    return initialised


def test_a_header_api_key_is_a_secret_masked_by_show_and_sent_with_the_token(
    app: Run, tmp_path: Path
) -> None:
    edited = app("edit", "app", "--secret-for", "header:X-Api-Key", "--secret-stdin",
                 input=API_KEY + "\n", ok=True)  # fmt: skip
    assert API_KEY not in edited.stdout + edited.stderr
    detail = json.loads(app("show", "app", "--json", ok=True).stdout)
    assert detail["secrets"] == {"app_secret": mask(APP_SECRET), "x_api_key": mask(API_KEY)}
    headers = detail["settings"]["request_headers"]
    assert headers["X-Api-Key"] == "{secret.x_api_key}"
    assert headers["App-Token"] == "{token}"  # the preset's own headers are kept
    assert detail["history"][-1]["detail"] == "changed: x_api_key"
    for text in (app("show", "app", ok=True).stdout, json.dumps(detail)):
        assert not leaks(text, API_KEY), text
    assert API_KEY not in app("list", "--json", ok=True).stdout
    # The key is really used: the lines that authenticate an API request carry it.
    lines = app("token", "app", "--header", ok=True).stdout.splitlines()
    assert f"X-Api-Key: {API_KEY}" in lines
    # The style's own secret was not replaced, and a prompt-free run says how to give it.
    assert app("token", "app", ok=True).stdout.strip()


def test_a_static_basic_password_is_a_secret_the_provider_accepts(
    initialised: Run, sim: Simulator
) -> None:
    """A Basic password typed as a plain setting is masked and flagged; ``--secret-for
    basic-password`` moves it into the style's own secret, which the provider accepts."""
    initialised(
        "add", "oauth", "--provider", "oauth2-client-credentials", "--base-url", sim.url,
        "--set", "client_id=hdr-client", "--set", "scope=read",
        "--set", f"basic_password={CLIENT_SECRET}", ok=True,
    )  # fmt: skip
    detail = json.loads(initialised("show", "oauth", "--json", ok=True).stdout)
    assert detail["settings"]["basic_password"] == mask(CLIENT_SECRET)
    moved = initialised("edit", "oauth", "--secret-for", "basic-password", "--secret-stdin",
                        input=CLIENT_SECRET + "\n", ok=True)  # fmt: skip
    assert "note:" not in moved.stderr, moved.stderr
    detail = json.loads(initialised("show", "oauth", "--json", ok=True).stdout)
    assert "basic_password" not in detail["settings"]  # back to {secret.client_secret}
    assert detail["secrets"] == {"client_secret": mask(CLIENT_SECRET)}
    assert CLIENT_SECRET not in initialised("show", "oauth", ok=True).stdout
    # The simulator checks the Basic pair: a token proves the secret went out as the password.
    assert initialised("token", "oauth", ok=True).stdout.strip()
    assert sim.counters["oauth2.generate.ok"] == 1


def test_a_basic_password_of_its_own_for_a_style_without_one() -> None:
    """Where the style's Basic password is not a secret of its own, one is made for it."""
    from vault.core.providers import presets, secretsettings

    custom = presets.Preset(
        style="custom", title="t", defaults={"basic_password": "x"}, required_settings=(),
        required_secrets=(), secrets=(), revoke_advice="",
    )  # fmt: skip
    presets.PRESETS["custom"] = custom
    try:
        bound, name = secretsettings.bind("custom", {"basic_password": "plain"}, "basic-password")
    finally:
        del presets.PRESETS["custom"]
    assert (bound["basic_password"], name) == ("{secret.basic_password}", "basic_password")


def test_a_token_request_header_secret_echoed_back_is_masked(
    initialised: Run, tmp_path: Path
) -> None:
    (tmp_path / "client.secret").write_text("echo-client-secret-1357\n")
    with echo_server() as url:
        initialised(
            "add", "echo", "--provider", "secret-exchange", "--base-url", url,
            "--set", "partition=acme", "--set", "token_url=/generate/b64",
            "--secret-file", str(tmp_path / "client.secret"), ok=True,
        )  # fmt: skip
        initialised("edit", "echo", "--secret-for", "token-header:X-Api-Key", "--secret-stdin",
                    input=API_KEY + "\n", ok=True)  # fmt: skip
        failed = initialised("token", "echo")
    assert failed.returncode != 0 and "rejected request: " in failed.stderr, failed.stderr
    assert not leaks(failed.stderr, API_KEY), failed.stderr
    row = json.loads(initialised("list", "--json", ok=True).stdout)[0]
    assert "rejected request: " in row["last_error"] and not leaks(row["last_error"], API_KEY)


def test_without_a_file_or_stdin_the_value_is_asked_for_not_taken_from_argv(app: Run) -> None:
    failed = app("edit", "app", "--secret-for", "header:X-Api-Key")
    assert failed.returncode == 2
    assert "--secret-file" in failed.stderr and "no terminal" in failed.stderr
    detail = json.loads(app("show", "app", "--json", ok=True).stdout)
    assert "x_api_key" not in detail["secrets"]  # nothing was changed
    assert "X-Api-Key" not in detail["settings"].get("request_headers", {})


def test_a_bad_target_is_refused(app: Run) -> None:
    for target, said in (("cookie:X", "--secret-for expects"), ("header:Bad Name", "header name")):
        failed = app("edit", "app", "--secret-for", target, "--secret-stdin", input="v" * 12)
        assert failed.returncode == 2 and said in failed.stderr, failed.stderr


def test_a_plain_text_header_key_is_masked_and_the_user_told(app: Run) -> None:
    plain = "plain-header-key-24680"
    headers = json.dumps({"App-Token": "{token}", "X-Api-Key": plain})
    edited = app("edit", "app", "--set", f"request_headers={headers}", ok=True)
    assert "--secret-for header:X-Api-Key" in edited.stderr, edited.stderr
    assert plain not in edited.stderr
    shown = app("show", "app", ok=True).stdout
    detail = json.loads(app("show", "app", "--json", ok=True).stdout)
    assert detail["settings"]["request_headers"]["X-Api-Key"] == mask(plain)
    assert plain not in shown and plain not in json.dumps(detail)
    # Moving it into a secret silences the note.
    moved = app("edit", "app", "--secret-for", "header:X-Api-Key", "--secret-stdin",
                input=plain + "\n", ok=True)  # fmt: skip
    assert "note:" not in moved.stderr


def test_add_can_store_a_header_secret_first(initialised: Run, sim: Simulator) -> None:
    added = initialised(
        "add", "app2", "--provider", "app-token", "--base-url", sim.url, "--app-id", APP_ID,
        "--secret-for", "header:X-Api-Key", "--secret-stdin", input=API_KEY + "\n", ok=True,
    )  # fmt: skip
    assert "secret 'app_secret'" in added.stderr  # the style's own secret is still to add
    detail = json.loads(initialised("show", "app2", "--json", ok=True).stdout)
    assert detail["secrets"] == {"x_api_key": mask(API_KEY)}
    assert detail["settings"]["request_headers"]["X-Api-Key"] == "{secret.x_api_key}"

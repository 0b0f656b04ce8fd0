"""Echoed secrets are masked in every readable form: the masker alone, then through the engine
against a real loopback server that quotes our request back in each encoding."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.echo_support import ENCODINGS, SECRET, echo_server, leaks
from tests.providers.conftest import AddFn
from vault.core import tokens
from vault.core.errors import ProviderError
from vault.core.model import Credential, EventKind, Token, mask
from vault.core.providers.engine import Engine
from vault.core.providers.mask import MASK, Masker, request_secrets, scrub
from vault.core.store import VaultStore
from vault.core.summary import credential_detail, credential_summary


def test_the_leak_finder_itself_sees_each_encoding() -> None:
    """The checker the other tests rely on must see what it is meant to see."""
    for name, encode in ENCODINGS.items():
        assert leaks(f"said: {encode(SECRET)}", SECRET), name
    assert not leaks("said: nothing of interest here", SECRET)


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_every_readable_form_is_masked(name: str) -> None:
    echoed = f"rejected request: {ENCODINGS[name](SECRET)} (see the docs)"
    said = scrub(echoed, [SECRET])
    assert MASK in said and not leaks(said, SECRET), said
    assert said.startswith("rejected request: ") and said.endswith(" (see the docs)")


def test_a_space_comes_back_as_plus_or_percent_20_in_either_hex_case() -> None:
    secret = "two words+and/more"
    for form in (quote_plus(secret), quote(secret, safe=""), quote(secret, safe="").lower()):
        said = scrub(f"bad secret {form}.", [secret])
        assert said == f"bad secret {MASK}.", (form, said)


def test_basic_pairs_and_base64url_are_masked() -> None:
    secret = "plainsecretvalue12345"
    pair = base64.b64encode(b"cid:" + secret.encode()).decode()
    url = base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")
    # The header we sent names the pair, so even its first group goes.
    sent = httpx.Request("GET", "http://h", headers={"Authorization": f"Basic {pair}"})
    hidden = [secret, *request_secrets(sent)]
    said = scrub(f"auth {pair} / {url}", hidden)
    assert said == f"auth {MASK} / {MASK}", said


def test_a_split_echo_is_masked_both_times() -> None:
    secret = "FIRSTHALFabc|SECONDHALFxyz"
    said = scrub("got FIRSTHALFabc then, later, SECONDHALFxyz.", [secret])
    assert said == f"got {MASK} then, later, {MASK}.", said


def test_a_prefix_of_eight_is_masked_and_seven_is_not() -> None:
    secret = "abcdefghijklmnop"
    assert scrub("cut: abcdefgh…", [secret]) == f"cut: {MASK}…"
    assert scrub("word: abcdefg!", [secret]) == "word: abcdefg!"


def test_a_short_secret_is_masked_where_it_appears_whole() -> None:
    assert scrub("pin 4242x and PIN 4242X", ["4242x"]) == f"pin {MASK} and PIN {MASK}"
    assert scrub("pin 4242", ["4242x"]) == "pin 4242"


def test_json_escaped_slash_and_unicode_forms() -> None:
    secret = 'a/b\u00e9c/defgh"ij'
    for form in (json.dumps(secret)[1:-1], json.dumps(secret)[1:-1].replace("/", "\\/")):
        said = scrub(f'{{"echo": "{form}"}}', [secret])
        assert said == f'{{"echo": "{MASK}"}}', said


def test_masking_stays_linear_on_a_one_mebibyte_body() -> None:
    """A worst case for naive search (almost-matches everywhere): 4x the text may take about
    4x the time, never the 16x a quadratic scan would."""
    secret = "a" * 40 + "Z"
    masker = Masker([secret])

    def took(size: int) -> float:
        text = ("a" * 7 + "b") * (size // 8)
        start = time.perf_counter()
        masker.scrub(text)
        return time.perf_counter() - start

    small = min(took(256 * 1024) for _ in range(3))
    big = min(took(1024 * 1024) for _ in range(3))
    assert big < 10 * small, (small, big)
    said = masker.scrub("x" * (1 << 20) + "a" * 20)
    assert said.endswith("x" + MASK) and len(said) == (1 << 20) + len(MASK)


# -- through the engine, against a real server quoting the request --------------------------


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_the_engine_masks_an_echo_in_each_encoding(name: str) -> None:
    with echo_server() as url, httpx.Client(timeout=5) as client:
        settings = {
            "base_url": url,
            "partition": "acme",
            "token_url": f"/v2/acme/security/tokens/generate/{name}",
        }
        engine = Engine("secret-exchange", settings, {"client_secret": SECRET})
        with pytest.raises(ProviderError) as caught:
            engine.generate(client)
    said = f"{caught.value.message} {caught.value.provider_message}"
    assert "HTTP 401" in said and "rejected request: " in said, said
    assert not leaks(said, SECRET), said


def test_the_engine_masks_a_header_api_key_echo() -> None:
    key = "hdr-api-key-0123456789"
    with echo_server() as url, httpx.Client(timeout=5) as client:
        settings = {
            "base_url": url,
            "partition": "acme",
            "token_url": "/generate/b64",
            "headers": {"X-Api-Key": "{secret.x_api_key}"},
        }
        engine = Engine("secret-exchange", settings, {"client_secret": SECRET, "x_api_key": key})
        with pytest.raises(ProviderError) as caught:
            engine.generate(client)
    said = caught.value.message
    assert "rejected request: " in said and not leaks(said, key), said


def test_a_literal_api_key_header_we_sent_is_masked_too() -> None:
    """A key typed as a plain header setting (before it was moved to a secret) is still a
    credential: the value we sent in ``X-Api-Key`` is masked when it comes back."""
    key = "literal-header-key-98765"
    with echo_server() as url, httpx.Client(timeout=5) as client:
        settings = {
            "base_url": url,
            "partition": "acme",
            "token_url": "/generate/raw",
            "headers": {"X-Api-Key": key},
        }
        engine = Engine("secret-exchange", settings, {"client_secret": SECRET})
        with pytest.raises(ProviderError) as caught:
            engine.generate(client)
    said = caught.value.message
    assert "rejected request: " in said and not leaks(said, key), said


def test_base64url_is_masked_where_it_differs_from_base64() -> None:
    secret = "??>>??>>??>>??>>??>>"  # base64 "Pz8+Pj8/...": a '+' or '/' in every window
    url = base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")
    assert "-" in url and "_" in url
    assert scrub(f"echo {url} end", [secret]) == f"echo {MASK} end"


def test_a_literal_basic_password_decoded_by_the_provider_is_masked() -> None:
    """A Basic password kept as a plain setting is still masked when the provider decodes
    the header it got and quotes the password."""
    password = "literal-basic-pw-55555"
    with echo_server() as url, httpx.Client(timeout=5) as client:
        settings = {
            "base_url": url,
            "client_id": "cid",
            "token_url": "/oauth/token/raw",
            "basic_password": password,
        }
        engine = Engine("oauth2-client-credentials", settings, {"client_secret": SECRET})
        with pytest.raises(ProviderError) as caught:
            engine.generate(client)
    said = caught.value.message
    assert "rejected request: " in said and not leaks(said, password), said


# -- what is stored and shown -----------------------------------------------------------------


def test_a_plain_password_header_echo_is_masked_in_last_error_and_history(
    store: VaultStore, add: AddFn
) -> None:
    """A credential header the engine does not know by name (``X-Client-Password``, kept as
    a plain setting) is masked by the service before it reaches the user and the file."""
    word = "literal-pass-word-777"
    with echo_server() as url:
        settings = {
            "base_url": url,
            "partition": "acme",
            "token_url": "/generate/raw",
            "headers": {"X-Client-Password": word},
        }
        add("plain", "secret-exchange", settings, {"client_secret": SECRET})
        with pytest.raises(ProviderError) as caught:
            tokens.generate(store, "plain")
    cred = store.reload().credentials["plain"]
    for text in (caught.value.message, cred.last_error or "", cred.history[-1].detail):
        assert "rejected request: " in text and not leaks(text, word), text


def test_stored_words_from_before_masking_are_masked_on_display(
    store: VaultStore, add: AddFn
) -> None:
    """A vault written by an older version may hold an echoed secret in its last_error and
    history: ``list --json`` and ``show`` mask it all the same, and a token too."""
    add("old", "secret-exchange", {"partition": "acme"}, {"client_secret": SECRET})
    with store.transaction() as data:
        cred = data.credentials["old"]
        cred.token = Token(value="tok-VALUE-123456789")
        echoed = f"answered 401: {quote_plus(SECRET)} with tok-value-123456789"
        cred.last_error = echoed
        cred.record(EventKind.FAILED, echoed)
    cred = store.reload().credentials["old"]
    summary, detail = credential_summary(cred), credential_detail(cred)
    texts = [summary["last_error"], detail["last_error"], detail["history"][-1]["detail"]]
    for text in texts:
        assert text.startswith("answered 401: ") and not leaks(text, SECRET), text
        assert "123456789" not in text
    assert cred.last_error == echoed  # display only: the stored record is left as it was


def test_plain_credential_settings_are_masked_by_show() -> None:
    cred = Credential(
        name="k",
        provider="secret-exchange",
        settings={
            "basic_password": "hunter2-hunter2",
            "request_headers": {"X-Api-Key": "plain-api-key-4321", "App-ID": "app_1"},
            "headers": {"Authorization": "Bearer {token}"},
        },
    )
    shown = credential_detail(cred)["settings"]
    assert shown["basic_password"] == mask("hunter2-hunter2")
    assert shown["request_headers"] == {"X-Api-Key": mask("plain-api-key-4321"), "App-ID": "app_1"}
    assert shown["headers"] == {"Authorization": "Bearer {token}"}
    assert cred.settings["request_headers"]["X-Api-Key"] == "plain-api-key-4321"

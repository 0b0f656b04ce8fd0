"""A provider that quotes our request back in its error: no secret may reach the user.

A real HTTP server on 127.0.0.1 that answers every request with a refusal whose body echoes
the request's headers and body, the way some APIs and proxies do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from vault.core.errors import ProviderError
from vault.core.providers.engine import Engine


class Echo(BaseHTTPRequestHandler):
    mode = "text"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        # Body first, then the credential header: what a provider quoting the request shows
        # within the first 200 characters the vault keeps.
        headers = f"authorization: {self.headers.get('Authorization')}"
        if Echo.mode == "oauth-json":
            form = {k: v[0] for k, v in parse_qs(body).items()}
            text = json.dumps(
                {"error": "invalid_grant", "error_description": f"bad {form.get('assertion')}"}
            )
            ctype = "application/json"
        else:
            text = f"rejected: {body} {headers}"
            ctype = "text/plain"
        data = text.encode()
        self.send_response(401 if Echo.mode == "text" else 400)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Echo.mode = "text"
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def refusal(engine: Engine) -> str:
    with httpx.Client(timeout=5) as client, pytest.raises(ProviderError) as caught:
        engine.generate(client)
    return caught.value.message + " " + (caught.value.provider_message or "")


def test_form_encoded_secret_is_masked(echo_url: str) -> None:
    secret = "Ab+cd/EF==ghIJ+kl/MN=="  # '+', '/' and '=' come back percent-encoded
    body = {
        "grant_type": "client_credentials",
        "client_id": "{settings.client_id}",
        "client_secret": "{secret.client_secret}",
    }
    settings = {"base_url": echo_url, "client_id": "cid", "auth": "none", "body": body}
    said = refusal(Engine("oauth2-client-credentials", settings, {"client_secret": secret}))
    assert "HTTP 401" in said
    assert "Ab%2Bcd%2FEF" not in said and secret not in said, said


def test_basic_auth_header_echo_is_masked(echo_url: str) -> None:
    secret = "plainsecretvalue12345"
    settings = {"base_url": echo_url, "client_id": "cid"}
    said = refusal(Engine("oauth2-client-credentials", settings, {"client_secret": secret}))
    # base64("cid:plainsecretvalue12345"): the Basic header value must not come back whole.
    assert "Y2lkOnBsYWluc2VjcmV0dmFsdWUxMjM0NQ==" not in said, said
    assert secret not in said


def test_json_escaped_secret_is_masked(echo_url: str) -> None:
    secret = 'p\u00e4ssw\u00f6rd-s\u00ebcret-Zq9"xy\\end'
    settings = {"base_url": echo_url, "app_id": "app_1"}
    said = refusal(Engine("app-token", settings, {"app_secret": secret}))
    assert "p\\u00e4ssw" not in said and "ssw\u00f6rd" not in said, said


def test_secret_straddling_the_length_limit_is_masked_before_the_cut(echo_url: str) -> None:
    secret = "TRUNCATEDSECRET" + "x" * 20
    settings = {"base_url": echo_url, "app_id": "a" * 150}
    said = refusal(Engine("app-token", settings, {"app_secret": secret}))
    assert "TRUNCA" not in said, said  # not even a cut-off prefix


def test_an_echoed_assertion_is_masked(echo_url: str, rsa_pair: tuple[str, str]) -> None:
    """The one-hour RS256 assertion of the jwt-bearer grant is a secret while it lives."""
    Echo.mode = "oauth-json"
    settings = {"base_url": echo_url, "client_email": "sa@example.iam", "scope": "read"}
    said = refusal(Engine("jwt-bearer", settings, {"private_key": rsa_pair[0]}))
    assert "HTTP 400" in said and "invalid_grant: bad " in said
    assert "eyJ" not in said, said


def test_a_token_is_never_sent_over_plain_http_to_another_host(
    echo_url: str, rsa_pair: tuple[str, str]
) -> None:
    from datetime import timedelta

    from vault.core.clock import now
    from vault.core.errors import UsageError
    from vault.core.model import Token

    engine = Engine("app-token", {"base_url": echo_url, "app_id": "a"}, {"app_secret": "s" * 8})
    token = Token(value="TOKENVALUE0001", expires_at=now() + timedelta(hours=1))
    remote = httpx.Request("GET", "http://api.example.com/v1/users")
    with pytest.raises(UsageError, match=r"plain http to api\.example\.com"):
        engine.apply(remote, token)
    assert "App-Token" not in remote.headers
    local = httpx.Request("GET", f"{echo_url}/whoami")
    engine.apply(local, token)  # loopback (the simulator) is fine
    assert local.headers["App-Token"] == "TOKENVALUE0001"
    allowed = Engine(
        "app-token",
        {"base_url": echo_url, "app_id": "a", "allow_insecure_http": True},
        {"app_secret": "s" * 8},
    )
    allowed.apply(httpx.Request("GET", "http://api.example.com/v1/users"), token)

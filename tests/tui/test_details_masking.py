"""The details pane masks what a person must not read there: a key kept as a plain header
setting, and an echoed secret in a stored last error or history line (an older vault's)."""

from __future__ import annotations

from urllib.parse import quote_plus

from tests.echo_support import SECRET, leaks
from vault.core.clock import now
from vault.core.model import Credential, EventKind
from vault.tui.widgets.details import render_details


def test_details_mask_plain_header_keys_and_echoed_secrets() -> None:
    key = "plain-header-key-24680"
    cred = Credential(
        name="k",
        provider="secret-exchange",
        settings={"partition": "acme", "request_headers": {"X-Api-Key": key}},
        secrets={"client_secret": SECRET},
    )
    echoed = f"answered 401: {quote_plus(SECRET)}"
    cred.last_error = echoed
    cred.record(EventKind.FAILED, echoed)
    text = render_details(cred, revealed=False, at=now())
    assert text.count("answered 401: ") == 2 and "X-Api-Key" in text
    assert not leaks(text, SECRET) and not leaks(text, key), text

"""A provider's answer is bounded: decoded size (a gzip bomb too), one total deadline per call
(a byte every so often cannot hold a command), and a Retry-After that is no number.

Real loopback servers of our own answer; each case ends in one sentence, the token kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import anyio
import pytest

from tests.hostile_support import HostileServer, drip, gzip_bomb, json_answer, token_body
from tests.providers.conftest import AddFn
from tests.providers.provider_support import settings_for
from tests.providers.test_provider_errors import assert_kept
from vault.core import tokens
from vault.core.errors import ProviderError
from vault.core.providers.limits import MAX_BODY
from vault.core.store import VaultStore
from vault.sim import Simulator

GOOD = "good-token-0001"
TIMEOUT = 1.0
"""The credential's timeout: the whole call, not each read."""
MARGIN = 1.5
"""Scheduling slack on a loaded two-core machine; far below the drip's unbounded time."""


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as running:
        yield running


@pytest.fixture
def name(store: VaultStore, add: AddFn, sim: Simulator, server: HostileServer) -> str:
    settings, secrets = settings_for("oauth2-client-credentials", sim)
    settings = {**settings, "base_url": server.url, "timeout": TIMEOUT}
    settings.pop("revoke_url")
    add("hostile", "oauth2-client-credentials", settings, secrets)
    server.answer = json_answer(token_body(GOOD))
    tokens.generate(store, "hostile")
    return "hostile"


def _refused(store: VaultStore, name: str) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, name)
    assert_kept(store, name, GOOD, caught.value)
    return caught.value


def test_an_oversize_body_is_refused(store: VaultStore, name: str, server: HostileServer) -> None:
    server.answer = json_answer(token_body("x" * 10, pad="p" * (MAX_BODY + 1)))
    assert "larger than 1,048,576 bytes" in _refused(store, name).message


def test_an_oversize_body_without_a_length_is_counted(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    body = token_body("x" * 10, pad="p" * (MAX_BODY + 1))

    def chunked(handler) -> None:  # type: ignore[no-untyped-def]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(body), 65536):
            part = body[start : start + 65536]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")

    server.answer = chunked
    assert "larger than 1,048,576 bytes" in _refused(store, name).message


def test_a_gzip_bomb_is_refused_by_its_decoded_size(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    server.answer = gzip_bomb(64 * MAX_BODY)  # 64 MiB inflated, ~65 KB on the wire
    started = time.monotonic()
    assert "larger than 1,048,576 bytes" in _refused(store, name).message
    assert time.monotonic() - started < TIMEOUT + MARGIN


def test_a_small_gzip_answer_still_reads(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    import gzip

    packed = gzip.compress(token_body("zipped-token"))
    server.answer = json_answer(packed, **{"Content-Encoding": "gzip"})
    assert tokens.generate(store, name).value == "zipped-token"


def test_a_drip_cannot_hold_the_call_past_its_deadline(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    stop = threading.Event()
    # One byte every 0.3 s: each read is quick, so only a whole-call deadline ends it.
    server.answer = drip(0.3, stop)
    started = time.monotonic()
    try:
        error = _refused(store, name)
    finally:
        stop.set()
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert "did not answer in time" in error.message


def test_a_drip_cannot_hold_the_async_call_either(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    stop = threading.Event()
    server.answer = drip(0.3, stop)
    started = time.monotonic()

    async def run() -> None:
        await tokens.agenerate(store, name)

    try:
        with pytest.raises(ProviderError) as caught:
            anyio.run(run)
    finally:
        stop.set()
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert "did not answer in time" in caught.value.message


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "9" * 5000, "1e400"])
def test_a_retry_after_that_is_no_number_is_one_sentence(
    value: str, store: VaultStore, name: str, server: HostileServer
) -> None:
    server.answer = json_answer(b'{"error": "slow down"}', 429, **{"Retry-After": value})
    error = _refused(store, name)
    assert "429" in error.message and "try again later" in error.message
    # Without a usable Retry-After the backoff is the policy's own, bounded by the deadline.
    assert server.hits <= 1 + 3


def test_a_retry_after_beyond_the_deadline_ends_the_tries_at_once(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    server.answer = json_answer(b'{"error": "slow down"}', 429, **{"Retry-After": "3"})
    hits = server.hits
    started = time.monotonic()
    error = _refused(store, name)
    assert time.monotonic() - started < TIMEOUT
    assert server.hits == hits + 1 and "try again in 3 s" in error.message


def test_deeply_nested_json_is_one_sentence(
    store: VaultStore, name: str, server: HostileServer
) -> None:
    server.answer = json_answer(b"[" * 100_000 + b"]" * 100_000)
    assert "not valid JSON" in _refused(store, name).message

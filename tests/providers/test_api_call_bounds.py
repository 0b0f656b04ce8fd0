"""An API call through the vault is bounded like a token call: the TUI's test call (and
``vault.core.apicall``) refuse a gzip bomb, an oversize body and a drip in one sentence, and
``VaultAuth`` never reads the body of the 401 it retries after.

The credential gets its tokens from the simulator; the API it calls is a hostile loopback
server of our own.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.hostile_support import Answer, HostileServer, drip, gzip_bomb, json_answer, send
from tests.providers.conftest import AddFn
from tests.providers.provider_support import settings_for
from vault.core import apicall, tokens
from vault.core.auth import VaultAuth
from vault.core.errors import ProviderError
from vault.core.providers.limits import MAX_BODY
from vault.core.store import VaultStore
from vault.core.testcall import atest_call
from vault.sim import Simulator

TIMEOUT = 1.0
"""The credential's timeout: the whole test call, not each read."""
MARGIN = 1.5
"""Scheduling slack on a loaded two-core machine; far below the drip's unbounded time."""


@pytest.fixture
def api() -> Iterator[HostileServer]:
    with HostileServer() as running:
        yield running


@pytest.fixture
def name(store: VaultStore, add: AddFn, sim: Simulator, api: HostileServer) -> str:
    settings, secrets = settings_for("app-token", sim)
    add("c", "app-token", {**settings, "timeout": TIMEOUT, "test_url": api.url + "/me"}, secrets)
    return "c"


async def _refused(store: VaultStore, name: str) -> tuple[ProviderError, float]:
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await atest_call(store, name)
    return caught.value, time.monotonic() - started


async def test_the_test_call_refuses_a_gzip_bomb(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    api.answer = gzip_bomb(64 * MAX_BODY)  # 64 MiB inflated, ~65 KB on the wire
    error, took = await _refused(store, name)
    assert "larger than 1,048,576 bytes; it was refused" in error.message
    assert took < TIMEOUT + MARGIN


async def test_the_test_call_refuses_an_oversize_body(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    api.answer = json_answer(b'{"pad": "' + b"p" * MAX_BODY + b'"}')
    error, _ = await _refused(store, name)
    assert "larger than 1,048,576 bytes" in error.message


async def test_the_test_call_is_not_held_by_a_drip(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    stop = threading.Event()
    api.answer = drip(0.3, stop)  # each read is quick: only a whole-call deadline ends it
    try:
        error, took = await _refused(store, name)
    finally:
        stop.set()
    assert "did not answer in time (the whole call may take 1 s)" in error.message
    assert took < TIMEOUT + MARGIN


def _first_401_then(stop: threading.Event) -> Answer:
    """The first API answer is a 401 whose 200-byte body drips for 100 s; later ones are ok."""
    seen: list[str] = []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.path)
        if len(seen) > 1:
            send(handler, b'{"ok": true}')
            return
        handler.send_response(401)
        handler.send_header("Content-Length", "200")
        handler.end_headers()
        handler.wfile.flush()
        # Stands in for a huge or bombed body: nobody should read it.
        while not stop.wait(0.5):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return answer


async def test_vault_auth_never_reads_the_401_body_it_retries_after(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    tokens.generate(store, name)
    stop = threading.Event()
    api.answer = _first_401_then(stop)
    auth = VaultAuth(store, name)
    try:
        async with httpx.AsyncClient(auth=auth, timeout=30) as client:
            # Reading the dripping 401 would take a minute; the retry needs none of it.
            response = await asyncio.wait_for(client.get(api.url + "/me"), TIMEOUT + MARGIN)
    finally:
        stop.set()
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert auth.regenerations == 1 and response.history[0].status_code == 401
    assert response.history[0].content == b""


def test_vault_auth_never_reads_the_401_body_sync_either(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    tokens.generate(store, name)
    stop = threading.Event()
    api.answer = _first_401_then(stop)
    got: list[httpx.Response] = []

    def run() -> None:
        with httpx.Client(auth=VaultAuth(store, name), timeout=30) as client:
            got.append(client.get(api.url + "/me"))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIMEOUT + MARGIN)
    stop.set()
    worker.join(30)  # let it finish against the stopped drip before the store closes
    assert got and got[0].status_code == 200, "the 401's body was read before the retry"


def test_a_sync_call_counts_its_401_replay_in_the_same_deadline(
    store: VaultStore, name: str, api: HostileServer
) -> None:
    tokens.generate(store, name)
    stop = threading.Event()
    dripping = drip(0.3, stop)
    seen: list[float] = []

    def answer(handler: BaseHTTPRequestHandler) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            send(handler, b"{}", status=401)
        else:
            dripping(handler)

    api.answer = answer
    with httpx.Client() as client:
        request = client.build_request("GET", api.url + "/me")
        try:
            with pytest.raises(ProviderError) as caught:
                apicall.call(client, request, VaultAuth(store, name), limit=MAX_BODY, timeout=2)
        finally:
            stop.set()
    took = time.monotonic() - seen[0]
    assert len(seen) == 2, "the 401 was not retried"
    assert "did not answer in time (the whole call may take 2 s)" in caught.value.message
    assert took < 2 + MARGIN

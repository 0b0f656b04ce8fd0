"""Exact boundaries mutation testing found unguarded: a ShiftIQ secret's day 90 (one second
before, exactly at, one second past) and GitHub's 60-second iat backdating."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import GH_APP_ID, GH_INSTALLATION
from vault.core import clock, tokens
from vault.core.providers.base import SecretExpired
from vault.core.providers.engine import Engine
from vault.core.store import VaultStore
from vault.sim import Simulator

CREATED = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
DAY_90 = CREATED + timedelta(days=90)
SECRET = "boundary-secret-0001"


class Frozen:
    """A clock that stands still where the test puts it (the simulator reads it too)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def frozen(sim: Simulator) -> Iterator[Frozen]:
    stand = Frozen(DAY_90 - timedelta(days=1))
    clock.set_clock(stand)
    yield stand
    clock.set_clock(None)


@pytest.fixture
def boundary(sim: Simulator, add: AddFn, frozen: Frozen) -> str:
    sim.register_shiftiq_secret("edge", SECRET, CREATED)
    add(
        "edge",
        "secret-exchange",
        {"base_url": sim.url, "partition": "edge", "lifetime": 3600},
        {"client_secret": SECRET},
        secret_created_at=CREATED,
    )
    return "edge"


def test_one_second_before_day_90_the_secret_still_buys_a_token(
    boundary: str, store: VaultStore, sim: Simulator, frozen: Frozen
) -> None:
    frozen.at = DAY_90 - timedelta(seconds=1)
    assert tokens.generate(store, boundary).value
    assert sim.counters["secret-exchange.generate.ok"] == 1


@pytest.mark.parametrize("past", [0, 1], ids=["exactly-day-90", "one-second-past"])
def test_from_day_90_the_vault_refuses_before_asking(
    past: int, boundary: str, store: VaultStore, sim: Simulator, frozen: Frozen
) -> None:
    frozen.at = DAY_90 + timedelta(seconds=past)
    with pytest.raises(SecretExpired) as caught:
        tokens.generate(store, boundary)
    assert "expired on 2031-05-30" in caught.value.message
    # Refused here, not by the provider: nothing was sent.
    assert sim.counters["secret-exchange.generate"] == 0


def test_github_app_backdates_iat_by_exactly_60_seconds(rsa_pair: tuple[str, str]) -> None:
    engine = Engine(
        "github-app",
        {
            "base_url": "https://api.github.com",
            "app_id": GH_APP_ID,
            "installation_id": str(GH_INSTALLATION),
        },
        {"private_key": rsa_pair[0]},
    )
    at = datetime(2031, 3, 1, 12, 0, 0, tzinfo=UTC)
    request = engine.token_request(at)
    assertion = request.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(
        assertion,
        rsa_pair[1],
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iat"] == int(at.timestamp()) - 60
    assert claims["exp"] == claims["iat"] + 600

"""Engine pieces: expiry parsing, RS256 assertions, settings validation, templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.providers.conftest import AddFn
from tests.providers.provider_support import APP_ID, APP_SECRET, ORG_ID, settings_for
from vault.core import tokens
from vault.core.errors import ProviderError, UsageError
from vault.core.providers import PRESETS, Engine, TokenResult, validate_settings
from vault.core.providers.assertion import build_assertion
from vault.core.providers.expiry import BadExpiry, parse_expiry, parse_value
from vault.core.store import VaultStore
from vault.sim import Simulator

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FIELDS = PRESETS["app-token"].settings()["expiry_fields"]


# -- expiry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "source"),
    [
        ({"expires_in": 3600}, T0 + timedelta(hours=1), "expires_in"),
        ({"ExpiresIn": "86400"}, T0 + timedelta(days=1), "expires_in"),
        ({"expires_at": "2026-01-01T05:00:00Z"}, T0 + timedelta(hours=5), "iso8601"),
        ({"expiresAt": "2026-01-01T06:00:00+01:00"}, T0 + timedelta(hours=5), "iso8601"),
        (
            {"expires_at": int((T0 + timedelta(hours=2)).timestamp())},
            T0 + timedelta(hours=2),
            "epoch_s",
        ),
        (
            {"expiresAt": int((T0 + timedelta(hours=3)).timestamp() * 1000)},
            T0 + timedelta(hours=3),
            "epoch_ms",
        ),
        ({"exp": float((T0 + timedelta(hours=4)).timestamp())}, T0 + timedelta(hours=4), "epoch_s"),
    ],
)
def test_expiry_formats(answer: dict[str, object], expected: datetime, source: str) -> None:
    assert parse_expiry(answer, "opaque", T0, fields=FIELDS, fixed_lifetime=None) == (
        expected,
        source,
    )


def test_expires_in_wins_over_jwt_exp_and_fixed() -> None:
    token = jwt.encode({"exp": int((T0 + timedelta(hours=9)).timestamp())}, "k" * 32, "HS256")
    found = parse_expiry({"ExpiresIn": 60}, token, T0, fields=FIELDS, fixed_lifetime=999)
    assert found == (T0 + timedelta(seconds=60), "expires_in")


def test_jwt_exp_then_fixed_lifetime() -> None:
    token = jwt.encode({"exp": int((T0 + timedelta(hours=9)).timestamp())}, "k" * 32, "HS256")
    assert parse_expiry({}, token, T0, fields=FIELDS, fixed_lifetime=90000) == (
        T0 + timedelta(hours=9),
        "jwt_exp",
    )
    assert parse_expiry({}, "opaque", T0, fields=FIELDS, fixed_lifetime=90000) == (
        T0 + timedelta(hours=25),
        "fixed",
    )
    assert parse_expiry({}, "opaque", T0, fields=FIELDS, fixed_lifetime=None) == (None, "unknown")


@pytest.mark.parametrize("junk", ["soon", True, -5, [], {}, "nan", 1e30])
def test_unusable_expiry_values_are_refused_not_skipped(junk: object) -> None:
    # Skipping them would leave "no known expiry", which reads as valid forever.
    with pytest.raises(BadExpiry):
        parse_value("expires_at", junk, T0)


@pytest.mark.parametrize("absent", [None, "", "  "])
def test_absent_expiry_values_are_skipped(absent: object) -> None:
    assert parse_value("expires_at", absent, T0) is None


def test_dotted_expiry_field() -> None:
    answer = {"data": {"expires_in": 10}}
    assert parse_expiry(answer, "x", T0, fields=["data.expires_in"], fixed_lifetime=None)[1] == (
        "expires_in"
    )


# -- assertion ---------------------------------------------------------------------------------


def test_assertion_has_exactly_iss_iat_exp(rsa_pair: tuple[str, str]) -> None:
    private, public = rsa_pair
    token = build_assertion(private_key_pem=private, issuer=APP_ID, at=T0)
    claims = jwt.decode(token, public, algorithms=["RS256"], options={"verify_exp": False})
    assert claims == {"iss": APP_ID, "iat": int(T0.timestamp()), "exp": int(T0.timestamp()) + 600}
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


@pytest.mark.parametrize("placement", ["body", "query", "claim"])
def test_org_id_placement_is_accepted_by_the_simulator_verifier(
    placement: str, sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("jwt-assertion", sim)
    add(
        "u",
        "jwt-assertion",
        {**settings, "org_id_placement": placement},
        {"private_key": rsa_pair[0]},
    )
    token = tokens.generate(store, "u")
    with httpx.Client(timeout=5) as client:
        who = client.get(
            sim.url + "/application/whoami", headers={"Authorization": f"Bearer {token.value}"}
        )
    assert who.json()["org_id"] == ORG_ID


def test_assertion_signed_with_another_key_is_refused_by_the_simulator(
    sim: Simulator, store: VaultStore, add: AddFn, other_rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("jwt-assertion", sim)
    add("u", "jwt-assertion", settings, {"private_key": other_rsa_pair[0]})
    with pytest.raises(ProviderError) as caught:
        tokens.generate(store, "u")
    assert caught.value.status == 401
    assert caught.value.provider_message
    assert "PRIVATE KEY" not in caught.value.message


def test_github_backdated_assertion_is_accepted(
    sim: Simulator, store: VaultStore, add: AddFn, rsa_pair: tuple[str, str]
) -> None:
    settings, _ = settings_for("github-app", sim)
    add("gh", "github-app", settings, {"private_key": rsa_pair[0]})
    token = tokens.generate(store, "gh")
    assert token.value.startswith("ghs_")


# -- validation --------------------------------------------------------------------------------

GOOD = {"base_url": "https://api.uat-isac.happay.in", "app_id": APP_ID}


@pytest.mark.parametrize(
    ("style", "settings", "secrets", "words"),
    [
        ("nope", GOOD, {"app_secret": "x"}, "Unknown provider style 'nope'"),
        ("app-token", {**GOOD, "base_ur": "x"}, {"app_secret": "x"}, "Unknown setting 'base_ur'"),
        ("app-token", {"app_id": APP_ID}, {"app_secret": "x"}, "needs the setting 'base_url'"),
        ("app-token", GOOD, {}, "needs the secret 'app_secret'"),
        ("app-token", {**GOOD, "base_url": "ftp://x"}, {"app_secret": "x"}, "http(s) URL"),
        ("app-token", {**GOOD, "base_url": "http://api.example"}, {"app_secret": "x"}, "https"),
        ("app-token", {**GOOD, "token_url": "auth"}, {"app_secret": "x"}, "path starting with /"),
        ("app-token", {**GOOD, "lifetime": "soon"}, {"app_secret": "x"}, "whole number"),
        ("app-token", {**GOOD, "body_kind": "xml"}, {"app_secret": "x"}, "json, form, none"),
        (
            "app-token",
            {**GOOD, "body": {"k": "{secret.nope}"}},
            {"app_secret": "x"},
            "needs the secret 'nope'",
        ),
        (
            "jwt-assertion",
            GOOD,
            {"private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"},
            "not a readable PEM private key",
        ),
        (
            "secret-exchange",
            {"base_url": "https://x.example", "partition": "p", "lifetime": 31_536_001},
            {"client_secret": "x"},
            "60 to 31,536,000 seconds",
        ),
    ],
)
def test_validate_settings_says_what_is_wrong(
    style: str, settings: dict[str, object], secrets: dict[str, str], words: str
) -> None:
    with pytest.raises(UsageError) as caught:
        validate_settings(style, settings, secrets)
    assert words in caught.value.message
    assert caught.value.message.count("\n") == 0


def test_validate_settings_coerces_command_line_text() -> None:
    got = validate_settings(
        "app-token",
        {**GOOD, "lifetime": "3600", "token_fields": "tok, data.token", "timeout": "2.5"},
        {"app_secret": APP_SECRET},
    )
    assert got["lifetime"] == 3600
    assert got["token_fields"] == ["tok", "data.token"]
    assert got["timeout"] == 2.5


def test_look_alike_provider_by_settings_only(
    sim: Simulator, store: VaultStore, add: AddFn
) -> None:
    """An OAuth endpoint reached through the app-token preset, purely by settings."""
    settings, secrets = settings_for("oauth2-client-credentials", sim)
    add(
        "look",
        "app-token",
        {
            "base_url": sim.url,
            "app_id": "unused",
            "client_id": settings["client_id"],
            "token_url": "/oauth/token",
            "body_kind": "form",
            "body": {"grant_type": "client_credentials"},
            "auth": "basic",
            "basic_password": "{secret.app_secret}",
            "token_fields": ["access_token"],
            "request_headers": {"Authorization": "Bearer {token}"},
        },
        {"app_secret": secrets["client_secret"]},
    )
    token = tokens.generate(store, "look")
    assert token.expiry_source == "expires_in"


def test_secrets_stay_out_of_reprs(rsa_pair: tuple[str, str]) -> None:
    engine = Engine("app-token", GOOD, {"app_secret": APP_SECRET})
    result = TokenResult("tok-secret-value", "Bearer", T0, None, "unknown")
    assert APP_SECRET not in repr(engine)
    assert "tok-secret-value" not in repr(result)
    request = engine.token_request(T0)
    assert APP_SECRET not in repr(request)

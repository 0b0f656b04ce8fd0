"""What the simulator remembers: apps, issued tokens, its clock, counters and faults."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from vault.sim.faults import Fault

STYLES = ("app-token", "jwt-assertion", "github-app", "secret-exchange", "oauth2", "jwt-bearer")
"""The provider styles, also the first part of every counter key."""

COUNTER_KEYS = tuple(
    f"{style}.{endpoint}"
    for style in STYLES
    for endpoint in ("generate", "generate.ok", "whoami", "revoke")
    if endpoint != "revoke" or style in ("github-app", "oauth2", "jwt-bearer")
)
"""Counters that always exist (at zero until something happens), so tests can index them."""


@dataclass(frozen=True)
class AppTokenApp:
    """An app of the Happay / ISAC style."""

    app_id: str
    app_secret: str


@dataclass(frozen=True)
class JwtApp:
    """A Unifize-style app that proves itself with an RS256 assertion."""

    app_id: str
    public_key: RSAPublicKey
    org_id: str


@dataclass(frozen=True)
class GithubApp:
    """A GitHub App and the installations it may mint tokens for."""

    app_id: str
    public_key: RSAPublicKey
    installation_ids: frozenset[int]


@dataclass(frozen=True)
class ShiftiqSecret:
    """A ShiftIQ client secret; it stops generating tokens 90 days after ``created_at``."""

    partition: str
    secret: str
    created_at: datetime


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth 2.0 confidential client (client credentials grant)."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class JwtBearerClient:
    """A service account (RFC 7523 JWT bearer grant, Google style) and the scopes it may ask."""

    client_email: str
    public_key: RSAPublicKey
    scopes: tuple[str, ...]


@dataclass
class IssuedToken:
    """A token the simulator handed out; valid until ``expires_at`` by the server clock."""

    style: str
    value: str
    subject: str
    """The app id, client id or partition the token speaks for."""
    issued_at: datetime
    expires_at: datetime
    details: dict[str, str] = field(default_factory=dict)
    """Whatever whoami reports besides the subject (org id, scope, installation)."""
    revoked: bool = False


def load_public_key(pem: str | bytes) -> RSAPublicKey:
    """Load an RSA public key from PEM text.

    Raises:
        ValueError: the PEM is not an RSA public key.
    """
    data = pem.encode() if isinstance(pem, str) else pem
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the public key must be an RSA key (the assertion is RS256)")
    return key


def _aware(value: datetime) -> datetime:
    # Naive datetimes mean UTC, as everywhere else in the vault (vault.core.clock.parse_utc).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SimState:
    """Thread-safe memory of one simulator; every request handler thread shares it."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._offset = timedelta()
        self._app_token_apps: dict[str, AppTokenApp] = {}
        self._jwt_apps: dict[str, JwtApp] = {}
        self._github_apps: dict[str, GithubApp] = {}
        self._shiftiq_secrets: dict[tuple[str, str], ShiftiqSecret] = {}
        self._oauth_clients: dict[str, OAuthClient] = {}
        self._jwt_bearer_clients: dict[str, JwtBearerClient] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._counters: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self.stopping = threading.Event()
        """Set when the server stops, so slow faults stop sleeping."""
        self.shiftiq_signing_key = secrets.token_bytes(32)
        """HS256 key of the ShiftIQ access-token JWTs; random so no client can forge one."""

    # The clock -----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The server clock: the base clock moved by every ``shift_clock`` so far."""
        with self._lock:
            offset = self._offset
        return _aware(self._clock()) + offset

    def shift_clock(self, seconds: float) -> datetime:
        """Move the server clock (negative moves it back); return the new time."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    # Registration ----------------------------------------------------------------------------

    def register_app_token_app(self, app_id: str, app_secret: str) -> None:
        """Register (or replace) an app-token app."""
        with self._lock:
            self._app_token_apps[app_id] = AppTokenApp(str(app_id), str(app_secret))

    def register_jwt_app(self, app_id: str, public_key_pem: str | bytes, org_id: str) -> None:
        """Register (or replace) a Unifize-style app."""
        app = JwtApp(str(app_id), load_public_key(public_key_pem), str(org_id))
        with self._lock:
            self._jwt_apps[app.app_id] = app

    def register_github_app(
        self, app_id: str, public_key_pem: str | bytes, installation_ids: Iterable[int]
    ) -> None:
        """Register (or replace) a GitHub App with its installations."""
        ids = frozenset(int(i) for i in installation_ids)
        app = GithubApp(str(app_id), load_public_key(public_key_pem), ids)
        with self._lock:
            self._github_apps[app.app_id] = app

    def register_shiftiq_secret(self, partition: str, secret: str, created_at: datetime) -> None:
        """Register (or replace) a ShiftIQ client secret created at ``created_at``."""
        entry = ShiftiqSecret(str(partition), str(secret), _aware(created_at))
        with self._lock:
            self._shiftiq_secrets[(entry.partition, entry.secret)] = entry

    def register_oauth_client(
        self, client_id: str, client_secret: str, scopes: Iterable[str] = ()
    ) -> None:
        """Register (or replace) an OAuth 2.0 client allowed the given scopes."""
        client = OAuthClient(str(client_id), str(client_secret), tuple(str(s) for s in scopes))
        with self._lock:
            self._oauth_clients[client.client_id] = client

    def register_jwt_bearer_client(
        self, client_email: str, public_key_pem: str | bytes, scopes: Iterable[str] = ()
    ) -> None:
        """Register (or replace) a service account by its RSA public key and allowed scopes."""
        client = JwtBearerClient(
            str(client_email), load_public_key(public_key_pem), tuple(str(s) for s in scopes)
        )
        with self._lock:
            self._jwt_bearer_clients[client.client_email] = client

    def app_token_app(self, app_id: str) -> AppTokenApp | None:
        """The app-token app with that id, if registered."""
        with self._lock:
            return self._app_token_apps.get(app_id)

    def jwt_app(self, app_id: str) -> JwtApp | None:
        """The Unifize-style app with that id, if registered."""
        with self._lock:
            return self._jwt_apps.get(app_id)

    def github_app(self, app_id: str) -> GithubApp | None:
        """The GitHub App with that id, if registered."""
        with self._lock:
            return self._github_apps.get(app_id)

    def shiftiq_secret(self, partition: str, secret: str) -> ShiftiqSecret | None:
        """The ShiftIQ secret registered for that partition, if any."""
        with self._lock:
            return self._shiftiq_secrets.get((partition, secret))

    def oauth_client(self, client_id: str) -> OAuthClient | None:
        """The OAuth 2.0 client with that id, if registered."""
        with self._lock:
            return self._oauth_clients.get(client_id)

    def jwt_bearer_client(self, client_email: str) -> JwtBearerClient | None:
        """The service account with that email, if registered."""
        with self._lock:
            return self._jwt_bearer_clients.get(client_email)

    # Tokens ----------------------------------------------------------------------------------

    def issue(
        self,
        style: str,
        value: str,
        subject: str,
        lifetime: timedelta,
        details: dict[str, str] | None = None,
    ) -> IssuedToken:
        """Remember a new token valid for ``lifetime`` from now by the server clock."""
        now = self.now()
        token = IssuedToken(style, value, subject, now, now + lifetime, dict(details or {}))
        with self._lock:
            self._tokens[value] = token
            self._counters[f"{style}.generate.ok"] += 1
        return token

    def valid_token(self, style: str, value: str | None) -> IssuedToken | None:
        """The token if it is of ``style``, not revoked or invalidated, and not expired."""
        if not value:
            return None
        now = self.now()
        with self._lock:
            token = self._tokens.get(value)
        if token is None or token.style != style or token.revoked or now >= token.expires_at:
            return None
        return token

    def revoke(self, value: str) -> bool:
        """Revoke one token; False when it was unknown or already dead."""
        with self._lock:
            token = self._tokens.get(value)
            if token is None or token.revoked:
                return False
            token.revoked = True
            return True

    def invalidate_tokens(self, style: str | None = None) -> int:
        """Kill every issued token of ``style`` (or of every style); return how many."""
        if style is not None and style not in STYLES:
            raise ValueError(f"unknown style {style!r}; expected one of {list(STYLES)}")
        killed = 0
        with self._lock:
            for token in self._tokens.values():
                if not token.revoked and (style is None or token.style == style):
                    token.revoked = True
                    killed += 1
        return killed

    # Counters and faults ---------------------------------------------------------------------

    def count(self, key: str) -> None:
        """Add one to a counter."""
        with self._lock:
            self._counters[key] += 1

    def counters(self) -> dict[str, int]:
        """A snapshot of every counter, the well-known ones present even at zero."""
        with self._lock:
            snapshot = dict.fromkeys(COUNTER_KEYS, 0)
            snapshot.update(self._counters)
        return snapshot

    def reset_counters(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counters.clear()

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault; earlier faults on the same path fire first."""
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first pending fault whose prefix matches ``path``."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

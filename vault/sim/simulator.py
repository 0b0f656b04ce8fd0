"""``Simulator``: the loopback provider simulator as a context manager (docs/simulator.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from types import TracebackType

from vault.core import clock as vault_clock
from vault.core.errors import VaultError
from vault.sim import control
from vault.sim.faults import Fault
from vault.sim.routes import Router
from vault.sim.server import SimHTTPServer, loopback_family
from vault.sim.state import SimState
from vault.sim.styles import ROUTES


class Simulator:
    """Every provider style the vault speaks, served over real HTTP on loopback.

    Args:
        host: a loopback address; anything else is refused.
        port: 0 picks a free ephemeral port.
        verbose: log method, path and status of each request to stderr (never bodies or tokens).
        clock: the base of the server clock (default: the vault's clock, so a frozen
            ``vault.core.clock`` freezes the simulator too); ``shift_clock`` moves it.

    Raises:
        UsageError: the host is not a loopback address.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        clock: Callable[[], datetime] = vault_clock.now,
    ) -> None:
        self._family = loopback_family(host)
        self._address = ("127.0.0.1" if host == "localhost" else host, port)
        self._verbose = verbose
        self._state = SimState(clock)
        self._router = Router((*ROUTES, *control.ROUTES))
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a daemon thread; returns self.

        Raises:
            VaultError: the address cannot be bound (port taken, say).
        """
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        try:
            server = SimHTTPServer(
                self._address, self._family, self._state, self._router, self._verbose
            )
        except OSError as exc:
            host, port = self._address
            raise VaultError(
                f"The simulator cannot listen on {host} port {port}: {exc.strerror or exc}."
            ) from None
        self._server = server
        self._state.stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_until_stopped,
            name=f"tokenvault-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._state.stopping.set()
        server.request_stop()
        if thread is not None:
            thread.join(timeout=5)
        server.drop_connections()
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the ephemeral one when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._server.server_port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets)."""
        host = self._address[0]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # Registration ----------------------------------------------------------------------------

    def register_app_token_app(self, app_id: str, app_secret: str) -> None:
        """Register an app-token (Happay / ISAC) app."""
        self._state.register_app_token_app(app_id, app_secret)

    def register_jwt_app(self, app_id: str, public_key_pem: str | bytes, org_id: str) -> None:
        """Register a Unifize-style app by its RSA public key and Org ID."""
        self._state.register_jwt_app(app_id, public_key_pem, org_id)

    def register_github_app(
        self, app_id: str, public_key_pem: str | bytes, installation_ids: Iterable[int] = ()
    ) -> None:
        """Register a GitHub App by its RSA public key and its installations."""
        self._state.register_github_app(app_id, public_key_pem, installation_ids)

    def register_shiftiq_secret(self, partition: str, secret: str, created_at: datetime) -> None:
        """Register a ShiftIQ client secret; it expires 90 days after ``created_at``."""
        self._state.register_shiftiq_secret(partition, secret, created_at)

    def register_oauth_client(
        self, client_id: str, client_secret: str, scopes: Iterable[str] = ()
    ) -> None:
        """Register an OAuth 2.0 client allowed ``scopes``."""
        self._state.register_oauth_client(client_id, client_secret, scopes)

    def register_jwt_bearer_client(
        self, client_email: str, public_key_pem: str | bytes, scopes: Iterable[str] = ()
    ) -> None:
        """Register a service account (RFC 7523 JWT bearer grant) allowed ``scopes``."""
        self._state.register_jwt_bearer_client(client_email, public_key_pem, scopes)

    # Clock, tokens, faults, counters ---------------------------------------------------------

    def shift_clock(self, seconds: float) -> datetime:
        """Move the server clock so tokens and secrets age; returns the new server time."""
        return self._state.shift_clock(seconds)

    def now(self) -> datetime:
        """The server clock, an aware UTC datetime."""
        return self._state.now()

    def invalidate_tokens(self, style: str | None = None) -> int:
        """Make every issued token of ``style`` (or of all styles) answer 401; returns how many.

        Raises:
            ValueError: unknown style.
        """
        return self._state.invalidate_tokens(style)

    def inject_fault(
        self,
        path_prefix: str,
        kind: str,
        count: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
    ) -> None:
        """Make the next ``count`` requests under ``path_prefix`` fail as ``kind``.

        Raises:
            ValueError: unknown kind, count below 1, or a slow fault without a delay.
        """
        self._state.add_fault(Fault(path_prefix, kind, count, retry_after, delay))

    @property
    def counters(self) -> dict[str, int]:
        """A snapshot of the counters (docs/simulator.md lists the keys)."""
        return self._state.counters()

    def reset_counters(self) -> None:
        """Set every counter back to zero."""
        self._state.reset_counters()

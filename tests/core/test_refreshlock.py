"""The per-credential refresh lock: where it lives, that it excludes, whose token a waiter uses."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

from vault.core import refreshlock
from vault.core.clock import now
from vault.core.model import Credential, RefreshPolicy, Token


def cred_with(value: str | None, left: timedelta = timedelta(hours=1)) -> Credential:
    cred = Credential(name="svc", provider="app-token", policy=RefreshPolicy(auto=True))
    if value is not None:
        at = now()
        cred.token = Token(
            value=value, issued_at=at + left - timedelta(hours=1), expires_at=at + left
        )
    return cred


def test_the_lock_is_a_private_hidden_file_beside_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "team.tvault"
    path = refreshlock.lock_path(vault, "reports/oauth")
    assert path.parent == tmp_path
    assert path.name.startswith(".team.tvault-refresh-") and path.name.endswith(".lock")
    assert "reports" not in path.name  # the name is hashed, whatever characters it holds
    assert refreshlock.lock_path(vault, "other") != path
    with refreshlock.held(vault, "reports/oauth"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_held_lock_excludes_every_other_descriptor(tmp_path: Path) -> None:
    vault = tmp_path / "v.tvault"
    with refreshlock.held(vault, "svc"):
        assert refreshlock.try_acquire(vault, "svc") is None
        other = refreshlock.try_acquire(vault, "another")
        assert other is not None
        refreshlock.release(other)
    fd = refreshlock.try_acquire(vault, "svc")
    assert fd is not None
    refreshlock.release(fd)


def test_a_waiter_uses_only_a_new_good_token() -> None:
    saw_old = refreshlock.seen({"svc": cred_with("OLD-TOKEN-VALUE")}, "svc")
    assert "OLD-TOKEN-VALUE" not in repr(saw_old)
    fresh = cred_with("NEW-TOKEN-VALUE")
    assert refreshlock.replaced(fresh, saw_old) is fresh.token
    # The same token the caller decided to replace: refresh it after all.
    assert refreshlock.replaced(cred_with("OLD-TOKEN-VALUE"), saw_old) is None
    # A different token that is itself expiring (under the policy's 10%) or expired will not do.
    assert refreshlock.replaced(cred_with("NEW", timedelta(minutes=3)), saw_old) is None
    assert refreshlock.replaced(cred_with("NEW", timedelta(minutes=-1)), saw_old) is None
    # No token at all now, or a caller that never saw the credential: ask the provider.
    assert refreshlock.replaced(cred_with(None), saw_old) is None
    assert refreshlock.replaced(fresh, refreshlock.seen({}, "svc")) is None
    # A caller that saw no token uses one someone else just generated.
    saw_none = refreshlock.seen({"svc": cred_with(None)}, "svc")
    assert refreshlock.replaced(fresh, saw_none) is fresh.token

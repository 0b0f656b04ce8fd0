"""The key-derivation cost is checked before Argon2 runs, whoever calls it."""

from __future__ import annotations

import pytest

from vault.core import crypto
from vault.core.crypto import KdfParams
from vault.core.errors import UnsupportedFormat


def test_derive_kek_refuses_an_absurd_cost_before_running_argon2() -> None:
    # 1,000 passes over 8 KiB would finish in milliseconds: only the bounds check, run before
    # Argon2, can turn this into a refusal. (A costly absurd value would prove the same at the
    # price of gigabytes of memory when the check is missing.)
    cheap_but_too_many_passes = KdfParams(memory_kib=8, time_cost=1000, parallelism=1)
    with pytest.raises(UnsupportedFormat, match="passes"):
        crypto.derive_kek("a passphrase", b"s" * 16, cheap_but_too_many_passes)


def test_derive_kek_runs_within_the_bounds() -> None:
    within = KdfParams(memory_kib=8, time_cost=10, parallelism=1)
    key = crypto.derive_kek("a passphrase", b"s" * 16, within)
    assert len(key) == crypto.KEY_BYTES

"""File vectors: the worked example opens; each malformed file fails with its named error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vault.core import errors
from vault.core.store import VaultStore

VECTORS = Path(__file__).parent / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
EXAMPLE_PASSPHRASE = (VECTORS / "example-v1.passphrase").read_text().rstrip("\n")


def test_worked_example_opens_with_its_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example uses the lowest production cost, so it opens without the test switch.
    monkeypatch.delenv("TOKENVAULT_TEST_KDF_FLOOR")
    store = VaultStore.unlock(VECTORS / "example-v1.tvault", EXAMPLE_PASSPHRASE)
    cred = store.data.credentials["happay-uat"]
    assert cred.provider == "app-token"
    assert cred.secrets == {"app_secret": "example-app-secret"}
    assert cred.token is not None and cred.token.value == "BO8SS05DS4Q9K1GRONRBP"
    assert cred.token.expiry_source == "fixed"
    assert [e.kind for e in cred.history] == ["generated"]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_malformed_vector_is_rejected_with_its_error(name: str) -> None:
    expected = MANIFEST[name]
    error_class = getattr(errors, expected["error"])
    with pytest.raises(errors.VaultError) as info:
        VaultStore.unlock(VECTORS / f"{name}.tvault", expected["passphrase"])
    assert type(info.value) is error_class, f"{name}: {type(info.value).__name__}: {info.value}"
    if expected["part"]:
        assert getattr(info.value, "part", None) == expected["part"]
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message

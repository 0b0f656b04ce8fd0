"""Read a Google service-account JSON key file into a jwt-bearer credential's fields.

The file holds a private key, so it is read through the bounded, no-surprises reader (a
regular file, a few KiB at most) and checked strictly; errors name the file and the field,
never a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from vault.core.errors import UsageError
from vault.core.safefile import read_bounded

KEY_FILE_LIMIT = 64 * 1024
"""Google's key files are ~2.3 KiB; anything far larger is not one."""

_REQUIRED = ("type", "client_email", "private_key", "private_key_id", "token_uri")


@dataclass(frozen=True)
class ServiceAccountKey:
    """The fields a jwt-bearer credential takes from a key file."""

    client_email: str
    private_key_id: str
    token_uri: str
    private_key: str = field(repr=False)

    @property
    def base_url(self) -> str:
        """``https://oauth2.googleapis.com`` for ``https://oauth2.googleapis.com/token``."""
        parts = urlsplit(self.token_uri)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token_path(self) -> str:
        return urlsplit(self.token_uri).path or "/"


def read_service_account(path: Path) -> ServiceAccountKey:
    """Parse the key file at ``path``.

    Raises:
        UsageError: unreadable, too large, not JSON, not a service-account key, or a field
            missing or of the wrong type (one sentence naming the file and the field).
    """
    try:
        raw = read_bounded(path, "key file", KEY_FILE_LIMIT, UsageError)
    except FileNotFoundError:
        raise UsageError(f"The key file {path} does not exist.") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"The key file {path} is not JSON.") from None
    if not isinstance(doc, dict):
        raise UsageError(f"The key file {path} is not a JSON object.")
    for key in _REQUIRED:
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise UsageError(f"The key file {path} has no {key!r} field.")
    if doc["type"] != "service_account":
        raise UsageError(
            f"The key file {path} is of type {doc['type'][:40]!r}, not 'service_account'."
        )
    if "PRIVATE KEY" not in doc["private_key"]:
        raise UsageError(f"The key file {path}: 'private_key' is not a PEM key.")
    token_uri = doc["token_uri"].strip()
    if urlsplit(token_uri).scheme not in ("https", "http") or not urlsplit(token_uri).netloc:
        raise UsageError(f"The key file {path}: 'token_uri' is not a URL.")
    return ServiceAccountKey(
        client_email=doc["client_email"].strip(),
        private_key_id=doc["private_key_id"].strip(),
        token_uri=token_uri,
        private_key=doc["private_key"].strip() + "\n",
    )

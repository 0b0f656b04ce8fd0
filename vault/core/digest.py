"""SHA-256 for short inputs (a header checksum, a socket name) without loading OpenSSL.

``hashlib`` loads ``_hashlib`` and with it libcrypto (~2 ms): a quarter of what a quick
command may spend beyond the interpreter's own start. CPython's built-in implementation gives
the same digest and is as fast for a few hundred bytes.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # CPython 3.11
except ImportError:  # pragma: no cover - other versions and builds
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        from hashlib import sha256  # any other build

__all__ = ["sha256"]

"""Masking secrets a provider echoes back, in every form a person could read them.

A provider (or a proxy in front of it) may quote our request in its error: the secret as
sent, URL- or form-encoded, JSON-escaped, base64 (an HTTP Basic header), in another letter
case, or cut short. Exact search misses most of these, so ``scrub`` works on fragments:
every variant of every secret is cut into ``WINDOW``-character windows (lowercased) kept in
one set; an equally wide window slides over the lowercased text, and every run of matching
windows is replaced by one mask. So any fragment of ``WINDOW`` characters or more of any
variant is hidden (a prefix, a middle part, either half of a split echo), in time linear in
the text (one set lookup per character), which matters for a 1 MiB error page.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:  # only typed here: summaries and error texts must not load the network stack
    import httpx

WINDOW = 8
"""Shortest fragment of a secret that is masked wherever it appears; shorter secrets (and
shorter forms of them) are masked where they appear whole."""

MIN_FORM = 4
"""Forms shorter than this are not searched at all: a 1-3 character "secret" would mask
ordinary words all over the message and protects nothing anyway."""

MASK = "••••"
"""What replaces a masked run. No clear characters: a fragment's tail could be pieced
together with another fragment's."""

SENSITIVE_HEADERS = (
    "authorization",
    "proxy-authorization",
    "app-token",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "cookie",
)
"""Request headers whose values are credentials; an echo of them is masked like a secret."""

_SCHEMES = re.compile(r"^(basic|bearer|token|digest|apikey)\s+", re.I)


def _b64_forms(raw: bytes) -> set[str]:
    """base64 and base64url of ``raw`` at all three byte alignments, so that the secret is
    found inside a longer encoded value (``id:secret`` in a Basic header) whatever precedes
    it. Characters that depend on neighbouring bytes are dropped from the shifted forms."""
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        if shift:
            encoded = encoded[4:]  # the first group mixes the padding bytes in
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
        forms.add(encoded.translate(str.maketrans("+/", "-_")).rstrip("="))
    return forms


def variants(secret: str) -> set[str]:
    """The readable forms of ``secret``: raw, URL- and form-encoded (hex case does not
    matter: matching ignores case), JSON-escaped (with and without ``\\uXXXX`` and ``\\/``),
    and base64/base64url. Forms shorter than ``MIN_FORM`` are left out."""
    escaped = json.dumps(secret)[1:-1]
    forms = {
        secret,
        escaped,
        escaped.replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        *(quote_plus(secret, safe=safe) for safe in ("", "/")),  # a space as "+"
        *_b64_forms(secret.encode()),
    }
    return {form for form in forms if len(form) >= MIN_FORM}


def _lower(text: str) -> str:
    """Lowercase keeping every character at its index (``"İ".lower()`` is two characters)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Masker:
    """The fragment index of a set of secrets; build once, ``scrub`` many texts."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.windows: set[str] = set()
        """Every ``WINDOW``-wide slice of every long-enough variant, lowercased."""
        whole: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            for form in variants(secret):
                low = _lower(form)
                if len(low) < WINDOW:
                    whole.add(low)
                else:
                    self.windows.update(low[i : i + WINDOW] for i in range(len(low) - WINDOW + 1))
        # Longest first, so a short secret inside a longer one cannot split its mask.
        self.whole = sorted(whole, key=len, reverse=True)
        """Short forms, masked only where they appear whole."""

    def __bool__(self) -> bool:
        return bool(self.windows or self.whole)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Merged ``(start, end)`` runs of ``text`` to mask, in order."""
        low = _lower(text)
        found: list[tuple[int, int]] = []
        windows = self.windows
        if windows:
            start = end = -1
            for i in range(len(low) - WINDOW + 1):
                if low[i : i + WINDOW] in windows:
                    if i > end:
                        if end > start:
                            found.append((start, end))
                        start = i
                    end = i + WINDOW
            if end > start:
                found.append((start, end))
        for form in self.whole:
            at = low.find(form)
            while at != -1:
                found.append((at, at + len(form)))
                at = low.find(form, at + len(form))
        return _merge(found)

    def scrub(self, text: str) -> str:
        """``text`` with every run that reads as (part of) a secret replaced by ``MASK``."""
        if not text or not self:
            return text
        parts: list[str] = []
        last = 0
        for start, end in self.spans(text):
            parts.append(text[last:start])
            parts.append(MASK)
            last = end
        parts.append(text[last:])
        return "".join(parts)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace any secret a provider echoed back, in any readable form, by ``MASK``."""
    return Masker(secrets).scrub(text)


def header_secrets(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The credential parts of ``headers`` (name, value) whose names are ``SENSITIVE_HEADERS``:
    the value without its scheme word and, for Basic, the decoded ``id:secret`` pair and the
    password on its own."""
    found: list[str] = []
    for name, value in headers:
        if name.lower() not in SENSITIVE_HEADERS or not value:
            continue
        # The scheme word itself ("Bearer ") is no secret and would mask ordinary words.
        bare = _SCHEMES.sub("", value.strip())
        found.append(bare)
        if value.strip().lower().startswith("basic "):
            try:
                pair = base64.b64decode(bare, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                continue
            found.append(pair)
            found.append(pair.partition(":")[2])
    return [value for value in found if value]


def request_secrets(request: httpx.Request | None) -> list[str]:
    """Credential values our request carried in its headers (Basic/Bearer values, API keys)."""
    if request is None:
        return []
    return header_secrets(request.headers.items())


__all__ = [
    "MASK",
    "SENSITIVE_HEADERS",
    "WINDOW",
    "Masker",
    "header_secrets",
    "request_secrets",
    "scrub",
    "variants",
]

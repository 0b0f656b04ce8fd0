"""Which git host a credential answers for: the ``git_host`` setting and git's requests.

``git_host`` holds ``HOST``, ``HOST:PORT`` or ``SCHEME://HOST[:PORT]`` (SCHEME ``https`` or,
for a loopback host only, ``http``); without a scheme it means https, without a port the
scheme's default (https 443, http 80). A request from git matches only when its protocol,
host and port are all equal to the binding's. Matching is exact: no suffix, prefix or
wildcard, so ``github.com.evil.example`` and ``evil-github.com`` never get a github.com token,
and a request that names no protocol gets nothing (git always sends one; a caller that does
not is not git).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from vault.core.errors import UsageError
from vault.core.names import printable

GIT_HOST_SETTING = "git_host"

DEFAULT_PORTS = {"https": 443, "http": 80}
"""The schemes a binding may name and the port each means when none is given."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts plain http may be used with: the token never leaves the machine."""


@dataclass(frozen=True)
class GitTarget:
    """One scheme, host and port: what a binding names and what git asks for."""

    scheme: str
    host: str
    """Lower-cased; an IPv6 address without its brackets."""
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _split_host_port(text: str, scheme: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` -> (host, port); ValueError if not."""
    port_text = ""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError
        ipaddress.IPv6Address(host)  # brackets hold an IPv6 address or nothing
        port_text = rest[1:]
        if rest and not port_text:
            raise ValueError
    else:
        host, sep, port_text = text.partition(":")
        if sep and not port_text:
            raise ValueError
    if not host or not all(ch.isalnum() or ch in "-._:" for ch in host):
        raise ValueError
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError
        return host.lower(), int(port_text)
    return host.lower(), DEFAULT_PORTS[scheme]


def parse_binding(value: str) -> GitTarget:
    """The target a ``git_host`` setting names.

    Raises:
        UsageError: not ``[SCHEME://]HOST[:PORT]``, an unknown scheme, or plain http to a
            host other than loopback.
    """
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "https", text
    scheme = scheme.lower()
    shown = printable(value)
    if scheme not in DEFAULT_PORTS:
        raise UsageError(f"git_host {shown!r} names the scheme {scheme!r}; use https.")
    try:
        host, port = _split_host_port(rest, scheme)
    except ValueError:
        raise UsageError(
            f"git_host {shown!r} is not HOST, HOST:PORT or https://HOST[:PORT] "
            "(no path, no user name)."
        ) from None
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise UsageError(f"git_host {shown!r} uses plain http to a remote host; use https.")
    return GitTarget(scheme, host, port)


def request_target(request: dict[str, str]) -> GitTarget | None:
    """What a git credential request asks for, or None when it names no protocol or host.

    ``request`` is git's ``key=value`` description (``protocol``, ``host`` with ``:PORT``
    when the URL has one).
    """
    scheme = request.get("protocol", "").lower()
    host = request.get("host", "")
    if not scheme or not host:
        return None
    try:
        name, port = _split_host_port(host, scheme) if scheme in DEFAULT_PORTS else ("", 0)
    except ValueError:
        return None
    if not name:
        # A scheme no binding can name (ssh, ftp, ...): still a target, matched by nothing.
        return GitTarget(scheme, host.lower(), 0)
    return GitTarget(scheme, name, port)


def binding(settings: dict[str, object]) -> GitTarget | None:
    """The target a credential's settings bind it to; None when unbound or unreadable.

    A stored value that no longer parses (written before these checks) binds nothing: it
    fails closed rather than matching loosely.
    """
    value = settings.get(GIT_HOST_SETTING)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_binding(value)
    except UsageError:
        return None

"""SSRF protection for URLs the service fetches or calls (inputs, webhooks).

A URL is checked twice: when the request arrives (scheme, and every address its host resolves
to), and again when the connection is made. The second check resolves the name itself and
connects to the very address it checked, so a DNS answer that changes between the two (DNS
rebinding) cannot steer the server onto loopback or a private network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

import httpcore
import httpx

ALLOWED_SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrlError(ValueError):
    """The URL is not http(s), or its host resolves to an address the service must not reach."""


def is_public_address(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and friends reach IPv4 hosts: judge the IPv4 address they carry.
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeUrlError(f"cannot resolve host {host!r}") from exc
    # Drop IPv6 scope ids ("fe80::1%eth0") before parsing.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve `host`; refuse it if ANY of its addresses is not public (unless allowed)."""
    addresses = resolve_host(host, port)
    if not addresses:
        raise UnsafeUrlError(f"host {host!r} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeUrlError(
                    f"{host} resolves to {address}, a loopback, private or reserved address"
                )
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address.

    Raises:
        UnsafeUrlError: with a message fit to show the client.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ALLOWED_SCHEMES or not parsed.hostname:
        raise UnsafeUrlError("the URL must be an http or https URL with a host")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrlError("the URL has an invalid port") from exc
    checked_addresses(parsed.hostname, port, allow_private=allow_private)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses it has just checked."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        last_error: Exception | None = None
        for address in addresses:
            try:
                # TLS still verifies the certificate against `host`: httpcore passes the
                # origin's name as server_hostname, not the address connected to.
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


def guarded_client(*, allow_private: bool, timeout: float, **kwargs) -> httpx.Client:
    """An httpx client whose every connection (redirects included) passes the guard.

    Environment proxies are ignored: a proxy would make the connection on our behalf,
    unchecked.
    """
    transport = httpx.HTTPTransport()
    # httpx builds its pool without a way to pass a network backend; swap it in.
    transport._pool._network_backend = GuardedBackend(allow_private=allow_private)
    return httpx.Client(transport=transport, timeout=timeout, trust_env=False, **kwargs)

"""Where webhooks may go: public addresses only (no server-side request forgery into the
sandbox's own network), checked when a URL is registered and again, pinned, at each send.

A URL is refused when its host resolves to a loopback, link-local, private, shared, reserved,
multicast or unspecified address (IPv4 inside IPv6 included), unless
SANDBOX_ALLOW_PRIVATE_WEBHOOKS is on, as `make run` and the tests set it for receivers on the
same machine. A name that does not resolve when it is registered is accepted: it is checked
when something is sent to it. The sender resolves a name once per attempt, checks every
address, and connects to the checked one while sending the URL's host in the Host header and
in TLS SNI (and verifying the certificate for that host): DNS that answers differently between
the check and the connection (rebinding) cannot move a request inside.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenDestination(ValueError):
    """The URL is not an http(s) URL on a public address; the message says why."""


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` may not receive webhooks, or None if it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return forbidden_reason(embedded)
    for name in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if not address.is_global:  # shared address space (100.64.0.0/10, carrier-grade NAT)
        return "non-public"
    return None


@dataclass(frozen=True)
class Target:
    """A webhook URL resolved for one attempt: connect to `address`, speak to `host`."""

    scheme: str
    host: str  # the URL's host name, for the Host header, SNI and the certificate
    port: int
    address: str  # the checked IP address to connect to
    path: str  # path and query, as sent in the request line
    host_header: str
    username: str | None
    password: str | None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself); OSError if none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # Scope ids (fe80::1%eth0) are not part of the address.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def _parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenDestination(f"{url!r} is not an absolute http(s) URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenDestination(f"{url!r} has an invalid port.") from None
    return parts, port


def _check(host: str, addresses: list[IPAddress]) -> None:
    if settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS:
        return
    for address in addresses:
        reason = forbidden_reason(address)
        if reason:
            # Every address must be public: a name answering with a public and a private one
            # would otherwise reach inside whenever the private one is picked.
            raise ForbiddenDestination(
                f"{host} resolves to {address}, a {reason} address: webhooks are sent to "
                "public addresses only."
            )


def check_url(url: str) -> None:
    """Refuse a webhook URL that is not http(s) or resolves to a non-public address."""
    parts, port = _parts(url)
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError):
        return  # does not resolve (yet): the sender checks again at each send
    _check(parts.hostname, addresses)


def validate_webhook_url(url: str) -> None:
    """`check_url` as a model field validator (the back office's forms run it)."""
    try:
        check_url(url)
    except ForbiddenDestination as error:
        raise ValidationError(str(error), code="forbidden_destination") from None


def target(url: str) -> Target:
    """Resolve `url` once for an attempt and pin the checked address.

    Raises ForbiddenDestination (permanent) or OSError when the name does not resolve now."""
    parts, port = _parts(url)
    addresses = resolve(parts.hostname, port)
    _check(parts.hostname, addresses)
    host = parts.hostname
    default_port = port == (443 if parts.scheme == "https" else 80)
    named = f"[{host}]" if ":" in host else host
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port,
        address=str(addresses[0]),
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        host_header=named if default_port else f"{named}:{port}",
        username=parts.username,
        password=parts.password,
    )

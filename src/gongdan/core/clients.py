"""Who sent a request: the client's own address, read through the reverse proxies
the site trusts (``GONGDAN_FORWARDED_ALLOW_IPS``).

Behind nginx or Caddy every request arrives from the proxy, so ``REMOTE_ADDR`` names
the proxy and the portal would count every phone's reports as one client's. A
trusted proxy appends the address it received the request from to
``X-Forwarded-For``; reading that list from the right, past the trusted proxies,
the first address is the client's — written by a proxy the site trusts, so a
client cannot choose it. From an untrusted peer the header is ignored.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.cache
def trusted_proxies(entries: tuple[str, ...]) -> tuple[bool, tuple[Network, ...]]:
    """(any peer trusted, the trusted networks) from the setting's entries: addresses,
    networks (``10.0.0.0/8``) or ``*`` (checked when the settings load)."""
    if "*" in entries:
        return True, ()
    return False, tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, ``1.2.3.4:port`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client behind ``request``: the peer's, or, where the peer is
    a trusted proxy, the nearest address before it in ``X-Forwarded-For`` that is not
    one (a malformed entry ends the walk at the last address read)."""
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded:
        return peer
    any_peer, networks = trusted_proxies(tuple(settings.FORWARDED_ALLOW_IPS))

    def trusted(address: Address | None) -> bool:
        return address is not None and (any_peer or any(address in n for n in networks))

    current, chain = peer, forwarded.split(",")
    while chain and trusted(_address(current)):
        before = _address(chain.pop())
        if before is None:
            break
        current = str(before)
    return current

"""The laptop's address on the room's network, so phones can reach a server listening on all interfaces."""

from __future__ import annotations

import ipaddress

import ifaddr

# interfaces that are never the room's Wi-Fi or cable
_VIRTUAL = ("lo", "docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "tun", "tap", "wg", "zt")


def lan_address() -> str | None:
    """A private IPv4 address of a real interface, or None when the machine has none."""
    candidates: list[tuple[int, str]] = []
    for adapter in ifaddr.get_adapters():
        name = adapter.nice_name.lower()
        if name.startswith(_VIRTUAL):
            continue
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue  # IPv6 addresses come as tuples; phones type IPv4 more easily
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local:
                continue
            # home and venue routers mostly hand out 192.168.x.x, then 10.x, then 172.16–31.x
            rank = 0 if address in ipaddress.IPv4Network("192.168.0.0/16") else 1 if address.is_private else 2
            candidates.append((rank, ip.ip))
    return min(candidates)[1] if candidates else None


def public_url(host: str, port: int) -> str:
    """The base URL to hand out for a server bound to `host`:`port`."""
    if host in ("0.0.0.0", "::", ""):
        host = lan_address() or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"

"""Checking the secrets in links: admin token, console and screen keys."""

from __future__ import annotations

import hmac


def same_secret(given: object, expected: str) -> bool:
    """True when `given` is the expected secret; compared in constant time, so timing tells nothing."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())

"""Fair share of the live layer: a whole room shares one Wi-Fi address, so never per IP.

`RateLimiter` caps new contributions per participant. `TokenBuckets` gives every kind of event a
budget per connection and per participant, and `Turns` handles one connection's events one at a
time with a bounded backlog: one phone sending thousands of events without waiting for answers
is refused (`rate_limited`) instead of making the whole room wait behind it (docs/protocol.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import Flask
from flask_babel import force_locale

from kit.core.i18n import lazy_gettext as _l


class RateLimiter:
    """At most `limit` events per `window` seconds for each key (a sliding window, in memory)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def forget(self, key: Hashable) -> None:
        self._events.pop(key, None)


Budget = tuple[float, float]

# what the live layer answers without running a handler (translated in kit/translations)
REFUSALS = {
    "rate_limited": _l("You are sending a lot very quickly. Please wait a few seconds."),
    # a message nested too deep to be read (kit.core.live_packets)
    "invalid_input": _l("The message was not understood. Please reload the page."),
}


def read_budgets(defaults: Mapping[str, Any], chosen: Mapping[str, Any] | None) -> dict[str, Budget]:
    """The budgets of the settings, `{"vote": [burst, per_second], …}`: a class left out keeps its default."""
    budgets = {name: (float(value[0]), float(value[1])) for name, value in defaults.items()}
    for name, value in (chosen or {}).items():
        burst, rate = value
        budgets[name] = (float(burst), float(rate))
    return budgets


class TokenBuckets:
    """A bucket per (owner, kind of event): `burst` events at once, then `rate` more a second.

    Owners are connections (forgotten when they leave) and participants (kept, pruned once full
    again: a bucket back at its burst says nothing more than no bucket at all).
    """

    PRUNE_ABOVE = 20_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._owners: dict[Hashable, dict[str, list[float]]] = {}

    def take(self, owner: Hashable, kind: str, budget: Budget) -> bool:
        burst, rate = budget
        now = self.clock()
        buckets = self._owners.get(owner)
        if buckets is None:
            if len(self._owners) > self.PRUNE_ABOVE:
                self._prune(now)
            buckets = self._owners[owner] = {}
        bucket = buckets.get(kind)
        tokens = burst if bucket is None else min(burst, bucket[0] + (now - bucket[1]) * rate)
        if tokens < 1:
            buckets[kind] = [tokens, now]
            return False
        buckets[kind] = [tokens - 1, now]
        return True

    def forget(self, owner: Hashable) -> None:
        self._owners.pop(owner, None)

    def _prune(self, now: float) -> None:
        # an owner idle for a minute has refilled every budget worth the name
        for owner in [o for o, buckets in self._owners.items() if all(now - b[1] > 60 for b in buckets.values())]:
            del self._owners[owner]


class _Lane:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = 0


class Turns:
    """One event at a time per connection, with at most `backlog` more waiting their turn.

    Socket.IO starts a task per event (`async_handlers`); each waits here for the events of its
    connection before it, so a connection never holds more than one handler's worth of the
    server, and a burst beyond the backlog is refused at once. The lock is the standard
    library's, which eventlet and gevent make cooperative when `kit serve` patches it.
    """

    def __init__(self, backlog: int = 8) -> None:
        self.backlog = backlog
        # events admitted on every connection together, running or waiting their turn
        self.total = 0
        self._guard = threading.Lock()
        self._lanes: dict[Hashable, _Lane] = {}

    def enter(self, key: Hashable, backlog: int | None = None) -> bool:
        """Wait for this connection's turn; False (at once) when `backlog` events already wait."""
        backlog = self.backlog if backlog is None else backlog
        with self._guard:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
            if lane.waiting > backlog:
                return False
            lane.waiting += 1
            self.total += 1
        lane.lock.acquire()
        return True

    def leave(self, key: Hashable) -> None:
        with self._guard:
            lane = self._lanes[key]
            lane.waiting -= 1
            self.total -= 1
            if lane.waiting == 0:
                del self._lanes[key]
        lane.lock.release()

    def waiting(self, key: Hashable) -> int:
        lane = self._lanes.get(key)
        return lane.waiting if lane else 0


class FairShare:
    """The budgets and turns of one application's live layer (see docs/protocol.md, "Fair share")."""

    def __init__(
        self,
        budgets: Mapping[str, Budget],
        unjoined: Budget,
        backlog: int,
        close_after: int = 0,
        saturated_at: int = 0,
    ) -> None:
        self.budgets = dict(budgets)
        self.saturated_at = saturated_at
        self.unjoined = unjoined
        self.backlog = backlog
        self.close_after = close_after
        self.buckets = TokenBuckets()
        self.turns = Turns(backlog)
        self._refusals: dict[tuple[str, str], dict[str, Any]] = {}

    def allow(self, sid: str, participant_id: int | None, kind: str, joined: bool) -> bool:
        """Take one event of `kind` from the connection's budget, its participant's, and, before
        joining, the smallest budget of all; False when any is spent."""
        budget = self.budgets.get(kind) or self.budgets["other"]
        if not joined and not self.buckets.take(("connection", sid), "unjoined", self.unjoined):
            return False
        if not self.buckets.take(("connection", sid), kind, budget):
            return False
        return participant_id is None or self.buckets.take(("participant", participant_id), kind, budget)

    def saturated(self) -> bool:
        """Whether so many events are admitted and not yet done that phones' new work must wait
        (the screen's and the console's still pass, and pings are read in time)."""
        return 0 < self.saturated_at <= self.turns.total

    def refused(self, sid: str) -> bool:
        """Count a refusal; True once the connection has been refused `close_after` times within
        about ten seconds (a bucket of its own that refills over ten seconds)."""
        if self.close_after <= 0:
            return False
        return not self.buckets.take(("connection", sid), "refused", (self.close_after, self.close_after / 10))

    def forget(self, sid: str) -> None:
        self.buckets.forget(("connection", sid))

    def refusal(self, app: Flask, lang: str, code: str = "rate_limited") -> dict[str, Any]:
        """An error ack in `lang`, translated once: a flood is answered without a context."""
        ack = self._refusals.get((code, lang))
        if ack is None:
            with app.app_context(), force_locale(lang):
                message = str(REFUSALS[code])
            ack = self._refusals[(code, lang)] = {"ok": False, "error": {"code": code, "message": message}}
        return {"ok": False, "error": dict(ack["error"])}

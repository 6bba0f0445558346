"""Who is connected now, per meeting.

A person with two tabs counts once. One process knows its own phones (`Presence`); several
processes sharing a message queue on Redis share what each holds there (`SharedPresence`), so
the console and the screen show the whole room whichever process they are on.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter
from typing import Any

from kit.core.extensions import socketio

log = logging.getLogger(__name__)


class Presence:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sockets: dict[int, Counter[int]] = {}
        # the most people connected at once, since this process started
        self.peaks: dict[int, int] = {}

    def arrive(self, meeting_id: int, participant_id: int) -> int:
        """Count one more connection of this person; return how many people are connected now."""
        with self.lock:
            people = self.sockets.setdefault(meeting_id, Counter())
            people[participant_id] += 1
            self.peaks[meeting_id] = max(self.peaks.get(meeting_id, 0), len(people))
            return len(people)

    def leave(self, meeting_id: int, participant_id: int) -> None:
        with self.lock:
            people = self.sockets.get(meeting_id)
            if people is None:
                return
            people[participant_id] -= 1
            if people[participant_id] <= 0:
                del people[participant_id]

    def forget(self, meeting_id: int, participant_id: int) -> None:
        """A person removed from the meeting is no longer counted, whatever their tabs still do."""
        with self.lock:
            people = self.sockets.get(meeting_id)
            if people is not None:
                people.pop(participant_id, None)

    def connected(self, meeting_id: int) -> set[int]:
        with self.lock:
            return set(self.sockets.get(meeting_id, ()))

    def peak(self, meeting_id: int) -> int:
        with self.lock:
            return self.peaks.get(meeting_id, 0)


# raise a stored peak to a new figure, never lower it, in one step
_RAISE_PEAK = """
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local seen = tonumber(ARGV[1])
if seen > stored then redis.call('SET', KEYS[1], seen) stored = seen end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return stored
"""

# a meeting's list of processes and its peak are forgotten a day after anyone last arrived
MEETING_KEYS_TTL = 24 * 3600


class SharedPresence(Presence):
    """Presence across the processes of one installation, kept in the message queue's Redis.

    Each process writes the set of people it holds per meeting under a key of its own that
    expires unless refreshed (every `ttl` / 3 s while it holds anyone), so a process that dies
    stops counting within `ttl` seconds. Connected people are the union of those sets; the
    peak is kept in Redis too; both are forgotten a day after the meeting's last arrival. The
    local counts still decide when this process's set changes.
    """

    def __init__(self, url: str, channel: str, ttl: int = 30) -> None:
        import redis  # the `redis` extra, needed anyway by the message queue

        super().__init__()
        self.redis: Any = redis.Redis.from_url(url)
        self.prefix = f"{channel}:presence"
        self.process = uuid.uuid4().hex[:12]
        self.ttl = ttl
        self.refresher: threading.Thread | None = None
        self.raise_peak = self.redis.register_script(_RAISE_PEAK)

    def _keys(self, meeting_id: int) -> tuple[str, str, str]:
        base = f"{self.prefix}:{meeting_id}"
        return f"{base}:{self.process}", f"{base}:processes", f"{base}:peak"

    def arrive(self, meeting_id: int, participant_id: int) -> int:
        super().arrive(meeting_id, participant_id)
        mine, processes, peak = self._keys(meeting_id)
        pipe = self.redis.pipeline()
        pipe.sadd(mine, participant_id)
        pipe.expire(mine, self.ttl)
        pipe.sadd(processes, self.process)
        pipe.expire(processes, MEETING_KEYS_TTL)
        pipe.execute()
        count = len(self.connected(meeting_id))
        self.raise_peak(keys=[peak], args=[count, MEETING_KEYS_TTL])
        self._keep_alive()
        return count

    def leave(self, meeting_id: int, participant_id: int) -> None:
        super().leave(meeting_id, participant_id)
        if participant_id not in super().connected(meeting_id):
            self.redis.srem(self._keys(meeting_id)[0], participant_id)

    def forget(self, meeting_id: int, participant_id: int) -> None:
        super().forget(meeting_id, participant_id)
        self.redis.srem(self._keys(meeting_id)[0], participant_id)

    def connected(self, meeting_id: int) -> set[int]:
        _mine, processes, _peak = self._keys(meeting_id)
        base = f"{self.prefix}:{meeting_id}"
        members = [m.decode() for m in self.redis.smembers(processes)]
        keys = [f"{base}:{m}" for m in members]
        if not keys:
            return set()
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.exists(key)
        alive = pipe.execute()
        gone = [m for m, exists in zip(members, alive, strict=True) if not exists]
        if gone:
            self.redis.srem(processes, *gone)
        live = [key for key, exists in zip(keys, alive, strict=True) if exists]
        return {int(p) for p in self.redis.sunion(live)} if live else set()

    def peak(self, meeting_id: int) -> int:
        stored = self.redis.get(self._keys(meeting_id)[2])
        return int(stored or 0)

    def _keep_alive(self) -> None:
        """Refresh this process's keys while it holds anyone (started on the first arrival)."""
        with self.lock:
            if self.refresher is not None:
                return
            self.refresher = socketio.start_background_task(self._refresh)

    def _refresh(self) -> None:
        while True:
            socketio.sleep(self.ttl / 3)
            with self.lock:
                held = [meeting_id for meeting_id, people in self.sockets.items() if people]
            try:
                pipe = self.redis.pipeline()
                for meeting_id in held:
                    mine, processes, _peak = self._keys(meeting_id)
                    pipe.sadd(processes, self.process)
                    pipe.expire(mine, self.ttl)
                pipe.execute()
            except Exception:  # Redis away for a moment: try again at the next round
                log.exception("refreshing presence failed")

"""Who is connected now, per meeting: the phones this process holds.

A person with two tabs counts once. With several processes behind a proxy, each one knows its own
phones only, and the figure shown is this process's (see docs/deployment.md).
"""

from __future__ import annotations

import threading
from collections import Counter


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

    def connected(self, meeting_id: int) -> set[int]:
        with self.lock:
            return set(self.sockets.get(meeting_id, ()))

    def peak(self, meeting_id: int) -> int:
        with self.lock:
            return self.peaks.get(meeting_id, 0)

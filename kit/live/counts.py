"""Counts for every view, coalesced: at most one message per meeting per interval, however busy."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from kit.db import get_session
from kit.extensions import socketio
from kit.models import Meeting

log = logging.getLogger(__name__)


class CountBroadcaster:
    """Remembers which meetings changed; a background task sends their counts, then stops when idle."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.dirty: set[int] = set()
        self.running = False
        self.lock = threading.Lock()

    def mark(self, meeting_id: int) -> None:
        with self.lock:
            self.dirty.add(meeting_id)
            if self.running:
                return
            self.running = True
        socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            socketio.sleep(self.app.config["COUNTS_INTERVAL"])
            try:
                self.flush()
            except Exception:  # a failed send must not stop later ones
                log.exception("sending counts failed")
            with self.lock:
                if not self.dirty:
                    self.running = False
                    return

    def flush(self) -> None:
        """Send the counts of every meeting marked since the last flush."""
        from kit import meetings
        from kit.live.state import VIEWS, room

        with self.lock:
            ids, self.dirty = self.dirty, set()
        if not ids:
            return
        with self.app.app_context():
            db = get_session()
            for meeting_id in sorted(ids):
                meeting = db.get(Meeting, meeting_id)
                if meeting is None:
                    continue
                payload = {
                    "version": meeting.version,
                    "step_id": meeting.current_step_id,
                    **meetings.counts(db, meeting),
                }
                for view in VIEWS:
                    socketio.emit("counts", payload, namespace=f"/{view}", to=room(meeting_id))

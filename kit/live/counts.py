"""Counts, votes and live results for every view, coalesced: at most one message of each kind per
meeting per interval, however busy the room."""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import Flask
from sqlalchemy.orm import Session

from kit.activities import activity_class
from kit.core import queries
from kit.core.db import get_session
from kit.core.extensions import server_context, socketio
from kit.core.models import Meeting
from kit.live.state import VIEWS, connected_people, listening_languages, people_event, room, state
from kit.meeting import lifecycle

log = logging.getLogger(__name__)

# connections sent one message at a time, and the pause after each slice: each connection's
# writes are done by its own task, so the pause lets one slice's writes go out before the next
# slice is queued, and a contribution arriving meanwhile waits for one slice, not the room
SLICE = 100
SLICE_PAUSE = 0.02
# phones sent counts per interval at most: a bigger room's phones get them less often, so the
# counts' traffic stays the same whatever the room's size (1,000 phones: every 4 intervals)
PHONES_PER_INTERVAL = 250
# people the console's list is drawn again for per interval at most: drawing it costs as much as
# the room is big, and what a join storm draws stays in the process's memory (a list of 1,000
# drawn every 4 intervals kept 2 to 3 KB more per phone than every 10, measured); the count in
# the list's heading keeps the counts' pace, a name shows within 10 s in a room of 1,000
PEOPLE_PER_INTERVAL = 100


class CountBroadcaster:
    """Remembers which meetings changed; a background task sends their counts, then stops when idle."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.dirty: set[int] = set()
        self.results: set[int] = set()
        # meetings whose console lists people who came or left since the last flush
        self.people: set[int] = set()
        # meetings whose phones have counts still to get (a big room's phones wait their turn)
        self.phones_waiting: set[int] = set()
        self.phones_sent_at: dict[int, float] = {}
        # when each meeting's screen and console were last drawn again (results, people): those
        # redraws keep to COUNTS_INTERVAL while the counts themselves go out every tick
        self.redrawn_at: dict[int, float] = {}
        self.people_sent_at: dict[int, float] = {}
        # how many phones each meeting had connected at its last counts: the pace of its people list
        self.room_size: dict[int, int] = {}
        self.clock = time.monotonic
        self.running = False
        self.lock = threading.Lock()
        # held for a whole flush: a flush asked for while the background one is sending waits for
        # it to finish, so on return everything marked before the call has been sent, in order
        self.sending = threading.Lock()

    def mark(self, meeting_id: int, results: bool = False, people: bool = False) -> None:
        """Send this meeting's counts soon; with `results`, its screen and console again; with
        `people`, the console's list of who is here (a phone came or left)."""
        with self.lock:
            self.dirty.add(meeting_id)
            if results:
                self.results.add(meeting_id)
            if people:
                self.people.add(meeting_id)
            if self.running:
                return
            self.running = True
        socketio.start_background_task(self._run)

    def tick(self) -> float:
        """How often the background task looks for changes: the screen's and the console's pace
        (SCREEN_COUNTS_INTERVAL), so a vote shows on the screen a fraction of a second after it
        is stored; phones, results and the console's people list keep to COUNTS_INTERVAL."""
        config = self.app.config
        return float(min(config["SCREEN_COUNTS_INTERVAL"], config["COUNTS_INTERVAL"]))

    def _run(self) -> None:
        while True:
            socketio.sleep(self.tick())
            try:
                self.flush(due_only=True)
            except Exception:  # a failed send must not stop later ones
                log.exception("sending counts failed")
            with self.lock:
                if not (self.dirty or self.phones_waiting or self.results or self.people):
                    self.running = False
                    return

    def emit_spread(self, event: str, payload: dict[str, object], namespace: str, to: str) -> None:
        """Send one message to a room in slices, letting other events run between them.

        Sending to 1,000 phones at once holds the event loop for tens of milliseconds, and a
        contribution arriving then waits (profiled: the p99 of the contribution flow); sliced,
        1,000 phones are sent their counts over about 0.2 s, in ten short bursts. Without a
        message queue this process holds the whole room and can slice it; with one, the queue's
        listener sends to each process's share of the room, as one message."""
        server = socketio.server
        if self.app.config.get("MESSAGE_QUEUE") or server is None:
            socketio.emit(event, payload, namespace=namespace, to=to)
            return
        sids = [sid for sid, _eio_sid in server.manager.get_participants(namespace, to)]
        for start in range(0, len(sids), SLICE):
            if start:
                socketio.sleep(SLICE_PAUSE)
            socketio.emit(event, payload, namespace=namespace, to=sids[start : start + SLICE])

    def flush(self, due_only: bool = False) -> None:
        """Send the counts (and results) of every meeting marked since the last flush. The
        background task passes `due_only`: redraws (results, people) wait for their interval."""
        with self.sending:
            now = self.clock()
            with self.lock:
                ids, self.dirty = self.dirty, set()
                changed = set(ids)
                redraw = {m for m in self.results if not due_only or self._due(self.redrawn_at, m, now)}
                people = {m for m in self.people if not due_only or self._people_due(m, now)}
                self.results -= redraw
                self.people -= people
                ids |= self.phones_waiting | redraw | people
                self.phones_waiting = set()
            for meeting_id in redraw:
                self.redrawn_at[meeting_id] = now
            for meeting_id in people:
                self.people_sent_at[meeting_id] = now
            if ids:
                self._send(ids, changed | redraw | people, redraw, people, due_only)

    def _due(self, sent_at: dict[int, float], meeting_id: int, now: float) -> bool:
        return now - sent_at.get(meeting_id, -math.inf) >= self.app.config["COUNTS_INTERVAL"]

    def _people_due(self, meeting_id: int, now: float) -> bool:
        """Whether the console's list of people is drawn again now: every COUNTS_INTERVAL up to
        PEOPLE_PER_INTERVAL people connected, every two intervals up to twice that, and so on."""
        every = self.app.config["COUNTS_INTERVAL"] * max(
            1, math.ceil(self.room_size.get(meeting_id, 0) / PEOPLE_PER_INTERVAL)
        )
        return now - self.people_sent_at.get(meeting_id, -math.inf) >= every

    def phones_due(self, meeting_id: int, connected: int, due_only: bool = False) -> bool:
        """Whether this meeting's phones get their counts now: every COUNTS_INTERVAL in a room of
        up to PHONES_PER_INTERVAL phones, every two intervals up to twice that, and so on (the
        screen and the console get them every tick, whatever the room's size). A flush asked for
        (not `due_only`) sends a small room's phones their counts at once."""
        interval = self.app.config["COUNTS_INTERVAL"]
        every = interval * max(1, math.ceil(connected / PHONES_PER_INTERVAL))
        now = self.clock()
        with self.lock:
            waited = now - self.phones_sent_at.get(meeting_id, -math.inf)
            if (due_only or every > interval) and waited < every:
                self.phones_waiting.add(meeting_id)
                return False
            self.phones_sent_at[meeting_id] = now
            return True

    def _send(self, ids: set[int], changed: set[int], redraw: set[int], people: set[int], due_only: bool) -> None:
        """Counts to the views of each meeting in `ids`: the screen and the console when something
        `changed`, phones when their turn is due (a meeting only waiting for its phones' turn costs
        one look at who is connected per tick, and sends nothing before the turn). Each meeting's
        counts are read in one statement (lifecycle.tally): a busy room's screen is sent them ten
        times a second, and the server does nothing else meanwhile."""
        with self.app.app_context():
            db = get_session()
            for meeting_id in sorted(ids):
                tallied = lifecycle.tally(db, meeting_id)
                if tallied is None:
                    continue
                head = tallied.head
                connected = len(connected_people(db, head))
                self.room_size[meeting_id] = connected
                phones = self.phones_due(meeting_id, connected, due_only)
                if meeting_id not in changed and not phones:
                    continue
                payload: dict[str, object] = {
                    "version": head.version,
                    "step_id": head.current_step_id,
                    "step_version": head.step_version,
                    **tallied.counts,
                    "connected": connected,
                    "peak": self.app.extensions["kit.presence"].peak(meeting_id),
                }
                if head.current_step_id is not None and tallied.activity and activity_class(tallied.activity).votable:
                    payload["votes"] = {str(k): v for k, v in queries.tallies(db, head.current_step_id).items()}
                for view in VIEWS:
                    if phones if view == "phone" else meeting_id in changed:
                        self.emit_spread("counts", payload, f"/{view}", room(head))
                if meeting_id in redraw:
                    self._draw_again(db, meeting_id, tallied.counts)
                elif meeting_id in people:
                    self._people_again(db, meeting_id)

    def _draw_again(self, db: Session, meeting_id: int, counted: dict[str, int]) -> None:
        """The screen and the console drawn again (live results), each in the languages read."""
        # drawing needs a request context for url_for; this one is the server's own
        with server_context(self.app):
            meeting = db.get(Meeting, meeting_id)
            if meeting is None:
                return
            for view in ("screen", "console"):
                for lang in listening_languages(meeting, view):
                    payload = state(db, meeting, view, lang, counted)
                    socketio.emit("state", payload, namespace=f"/{view}", to=room(meeting, lang))

    def _people_again(self, db: Session, meeting_id: int) -> None:
        """The console's list of people, once per interval and language however many phones came:
        the list alone, not the whole console."""
        with server_context(self.app):
            meeting = db.get(Meeting, meeting_id)
            if meeting is None:
                return
            for lang in listening_languages(meeting, "console"):
                socketio.emit("people", people_event(db, meeting, lang), namespace="/console", to=room(meeting, lang))

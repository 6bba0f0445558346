"""CPU spent inside kit's own event handlers, per event, in one process.

The harness (`benchmarks.run`) measures a real server from outside, with everything the
machine does around it; this measures only what kit's code costs per event: Flask-SocketIO's
test client calls the handlers in this thread, and `time.thread_time` counts this thread's
CPU alone, so neighbours' load on a shared machine weighs much less than on wall time.

    python -m benchmarks.handlers --phones 200 --contributions 600 --repeat 3

prints the per-event CPU (first quartile of each run, median of the runs) of connecting (guest
snapshot), joining, contributing (a board card, screen and console connected in French) and voting.
With `--garbage`, one more run lists what its contributions and votes left in cycles for the
garbage collector, by type: each object is work for the collector's pauses, which a busy room
waits on, where reference counting would have freed it at once (how werkzeug's matcher's closures
were found, docs/performance.md). Under py-spy, leave out the test clients' own delivery (each
message encoded and decoded again): the frames named `_mock_send`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kit import create_app
from kit.core.db import get_session
from kit.core.extensions import socketio
from kit.meeting import lifecycle
from kit.meeting.templates import MeetingTemplate, StepTemplate

ROOT = Path(__file__).resolve().parent.parent
# needs the votes go to, round-robin
NEEDS = 10


def template() -> MeetingTemplate:
    steps = (
        StepTemplate("board", "Besoins", "De quoi avez-vous besoin ?", {}),
        StepTemplate("needs", "Besoins à voter", "Quels besoins ?", {}),
    )
    return MeetingTemplate("bench", ROOT / "sessions" / "bench.toml", "Rencontre", "", "fr", steps)


def timed(results: list[float], call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call, add its CPU time in this thread (ms) to `results`, return what it returned."""
    began = time.thread_time()
    answer = call(*args, **kwargs)
    results.append((time.thread_time() - began) * 1000)
    return answer


def once(phones: int, contributions: int, garbage: Counter[str] | None = None) -> dict[str, float]:
    """One room's events, timed; with `garbage`, the types of what its contributions and votes
    left in cycles are counted there (the collector is off meanwhile, so the times are not kept)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"INSTANCE_PATH": folder, "ASYNC_MODE": "threading", "PUBLIC_URL": "http://kit.test", "COUNTS_INTERVAL": 1}
        )
        with app.app_context():
            db = get_session()
            meeting = lifecycle.create_meeting(db, template())
            lifecycle.start(db, meeting)
            code, key, screen_key = meeting.code, meeting.facilitator_key, meeting.screen_key
            step_ids = [s.id for s in meeting.steps]
        screen = socketio.test_client(app, namespace="/screen", auth={"meeting": code, "key": screen_key})
        console = socketio.test_client(app, namespace="/console", auth={"meeting": code, "key": key})
        clients = []
        connect_ms: list[float] = []
        join_ms: list[float] = []
        for i in range(phones):
            phone = timed(connect_ms, socketio.test_client, app, namespace="/phone", auth={"meeting": code})
            timed(join_ms, phone.emit, "join", {"name": f"P{i}"}, namespace="/phone", callback=True)
            phone.get_received("/phone")
            clients.append(phone)
        if garbage is not None:
            gc.collect()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
        contribute_ms: list[float] = []
        for n in range(contributions):
            phone = clients[n % phones]
            data = {"step_id": step_ids[0], "client_id": f"c{n}", "data": {"text": f"Idée numéro {n}"}}
            timed(contribute_ms, phone.emit, "contribute", data, namespace="/phone", callback=True)
            if n % 50 == 0:
                screen.get_received("/screen")
                console.get_received("/console")
                for client in clients:
                    client.get_received("/phone")
        console.emit("next", {}, namespace="/console", callback=True)
        with app.app_context():
            targets = []
            for n in range(NEEDS):
                ack = clients[n].emit(
                    "contribute",
                    {"step_id": step_ids[1], "client_id": f"n{n}", "data": {"text": f"Besoin {n}"}},
                    namespace="/phone",
                    callback=True,
                )
                targets.append(ack["id"])
        vote_ms: list[float] = []
        for n in range(min(contributions, phones * len(targets))):
            phone = clients[n % phones]
            payload = {"contribution_id": targets[n // phones], "vote": True}
            timed(vote_ms, phone.emit, "vote", payload, namespace="/phone", callback=True)
        if garbage is not None:
            gc.collect()
            garbage.update(type(thing).__qualname__ for thing in gc.garbage)
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        screen.disconnect(namespace="/screen")
        console.disconnect(namespace="/console")
        for client in clients:
            client.disconnect(namespace="/phone")
        return {
            "connect": typical(connect_ms),
            "join": typical(join_ms),
            "contribute": typical(contribute_ms),
            "vote": typical(vote_ms),
        }


def typical(values: list[float]) -> float:
    """The first quartile: what an event costs when nothing else took the core meanwhile (on a
    shared machine the upper half measures the neighbours)."""
    return statistics.quantiles(values, n=4)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--contributions", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--garbage", action="store_true", help="then list what contributions and votes leave in cycles")
    args = parser.parse_args()
    gc.freeze()
    runs = [once(args.phones, args.contributions) for _ in range(args.repeat)]
    print(f"CPU per event in kit's handlers, ms: first quartile, median of {args.repeat} runs ({args.phones} phones)")
    for event in runs[0]:
        values = [run[event] for run in runs]
        print(f"  {event:<11} {statistics.median(values):7.2f}   runs: " + ", ".join(f"{v:.2f}" for v in values))
    if args.garbage:
        left: Counter[str] = Counter()
        once(args.phones, args.contributions, left)
        events = args.contributions + min(args.contributions, args.phones * NEEDS)  # the contributions, then the votes
        print(f"Left in cycles for the garbage collector: {sum(left.values()) / events:.1f} objects per event")
        for name, number in left.most_common(10):
            print(f"  {number / events:6.2f}  {name}")


if __name__ == "__main__":
    main()

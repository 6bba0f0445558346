"""CPU of kit's own handlers, in one process, without the network: where a contribution's time goes.

A meeting's screen and console are connected as Socket.IO test clients, `--phones` phones join, and
each sends contributions to the needs step in turn. What is printed is the CPU per contribution
(median of `--rounds` rounds, each `--count` contributions) of the whole handler: the sender's read,
the insert, the commit, both cards drawn and handed to python-socketio. With `--join`, the same for a
phone's join. With `--garbage`, what one more round leaves in cycles for the garbage collector,
by type (whose pauses a busy room waits on). Run it under py-spy for the split:

    py-spy record --format raw -o /tmp/contribute.txt -- python -m benchmarks.profile_contribute

The test clients' own delivery (each message encoded and decoded again) is in the figure, and in a
profile under the frames named `_mock_send`: leave those out. It is a tool to compare two versions
of kit on one machine, interleaved; `benchmarks.run` measures the served figures.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kit import create_app
from kit.core.db import get_session
from kit.core.extensions import socketio
from kit.meeting import lifecycle
from kit.meeting.templates import load_template

ROOT = Path(__file__).resolve().parent.parent
TEXT = (
    "Nous cherchons un lieu pour accueillir les permanences numériques du mardi matin, "
    "avec un accès à internet fiable et une salle où l'on peut parler sans gêner les autres usagers."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--count", type=int, default=400, help="contributions per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--join", action="store_true", help="time joins instead of contributions")
    parser.add_argument(
        "--garbage", action="store_true", help="after the rounds, list the cyclic garbage one more round leaves"
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kit-profile-") as folder:
        profile(options, folder)


def profile(options: argparse.Namespace, folder: str) -> None:
    app = create_app(
        {
            "INSTANCE_PATH": folder,
            "ASYNC_MODE": "threading",
            "RATE_LIMIT": 10**9,
            "LIVE_BUDGETS": {"contribute": [10**9, 10**9], "join": [10**9, 10**9], "other": [10**9, 10**9]},
            "LIVE_UNJOINED_BUDGET": [10**9, 10**9],
            "LIVE_SATURATED_AT": 0,
            "COUNTS_INTERVAL": 3600,
            "SCREEN_COUNTS_INTERVAL": 3600,
        }
    )
    with app.app_context():
        meeting = lifecycle.create_meeting(get_session(), load_template(ROOT / "benchmarks" / "meeting.toml"))
        code, facilitator_key, screen_key = meeting.code, meeting.facilitator_key, meeting.screen_key
        needs = next(step.id for step in meeting.steps if step.activity == "needs")

    def client(view: str, auth: dict[str, Any]) -> Any:
        return socketio.test_client(app, namespace=f"/{view}", auth=auth, flask_test_client=app.test_client())

    console = client("console", {"meeting": code, "key": facilitator_key})
    screen = client("screen", {"meeting": code, "key": screen_key})
    assert console.emit("start", callback=True, namespace="/console")["ok"]
    phones = [client("phone", {"meeting": code}) for _ in range(options.phones)]
    for n, phone in enumerate(phones):
        assert phone.emit("join", {"name": f"Personne {n}"}, callback=True, namespace="/phone")["ok"]
    with app.app_context():
        lifecycle.go_to_step(get_session(), lifecycle.get_meeting(get_session(), code), needs)

    sent = 0

    def send(count: int) -> None:
        nonlocal sent
        for n in range(count):
            if options.join:
                phone = client("phone", {"meeting": code})
                assert phone.emit("join", {"name": f"Arrivée {sent}"}, callback=True, namespace="/phone")["ok"]
                phone.disconnect(namespace="/phone")
            else:
                payload = {"client_id": f"c{sent}", "step_id": needs, "data": {"text": f"{TEXT} ({sent})"}}
                assert phones[n % len(phones)].emit("contribute", payload, callback=True, namespace="/phone")["ok"]
            sent += 1
        for phone in phones:
            phone.get_received("/phone")
        screen.get_received("/screen")
        console.get_received("/console")

    per_event: list[float] = []
    for _round in range(options.rounds):
        started = time.process_time()
        send(options.count)
        per_event.append((time.process_time() - started) / options.count * 1000)
    kind = "join" if options.join else "contribution"
    print(f"CPU per {kind}: median {statistics.median(per_event):.3f} ms over {options.rounds} rounds", end="")
    print(f" ({', '.join(f'{figure:.3f}' for figure in per_event)})")
    if options.garbage:
        show_garbage(send, options.count, kind)


def show_garbage(send: Callable[[int], None], count: int, kind: str) -> None:
    """What `count` more events leave for the cycle collector, by type: each object is a pause of the
    server later (docs/performance.md), where reference counting would have freed it at once."""
    gc.collect()
    gc.disable()
    try:
        send(count)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    kinds = Counter(type(thing).__qualname__ for thing in garbage)
    print(f"cyclic garbage per {kind}: {len(garbage) / count:.1f} objects")
    for name, number in kinds.most_common(15):
        print(f"  {number / count:6.1f}  {name}")
    functions = Counter(thing.__qualname__ for thing in garbage if callable(thing) and hasattr(thing, "__qualname__"))
    for name, number in functions.most_common(8):
        print(f"  {number / count:6.1f}  function {name}")


if __name__ == "__main__":
    main()

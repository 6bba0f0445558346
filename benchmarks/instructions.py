"""Instructions per contribution (or vote, join, return, counts' tick) through kit's live layer,
counted by callgrind: a measure that does not move with the machine's speed or its neighbours' load.

On a shared machine, the CPU a run measures moves by more than a change of a few percent (bare +
SQLite took 0.52 to 0.74 ms a contribution from one run to the next, docs/performance.md), so
two codes are compared here by the instructions they execute. One process sets up a room (a
board, the screen and the console connected, 50 phones joined through Flask-SocketIO's test
clients), then sends N contributions of about a hundred characters; callgrind counts the whole
process twice, with N1 and N2 contributions, and the difference over N2 - N1 is what one
contribution costs: the set-up cancels out. With `--event vote`, the room is on a needs step
with ten needs, and each of the N events is a phone supporting one more of them, with the step
and its version as the phone's page sends them. With `--event join`, each event is one more
phone connecting (its snapshot sent) and joining with a name. With `--event return`, each phone
has sent a card and a need first, and each event is one of them coming back (the room's Wi-Fi
dropped): it disconnects and connects again with its token, and gets its snapshot. With
`--event tick`, each event is one tick of the counts in a busy room: the room, on a needs step,
changed, and the screen and the console are sent its counts and tallies.

    python -m benchmarks.instructions                    # this checkout
    python -m benchmarks.instructions --against 9662656  # that commit first, then this checkout
    python -m benchmarks.instructions --against 9662656 --against 380fed2   # each, then this checkout
    python -m benchmarks.instructions --event vote --against HEAD           # votes, before and after

`--against` checks each commit out into a temporary folder (git worktree) with this checkout's
compiled catalogues, which are built at install and not committed. Each code is counted with
each hash seed (`--seeds`): the seed moves a count by a few percent, the mean of two is steadier.
Needs valgrind (Debian's package). About a minute and a half per code and seed on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHONES = 50
NEEDS = 10
TEXT = "Idée numéro {n} : un atelier sur l'accès aux droits, avec des exemples concrets"
EVENTS = ("contribute", "vote", "join", "return", "tick")


def send(contributions: int, event: str = "contribute") -> None:
    """The measured process: a room set up, then `contributions` board cards sent, or as many
    votes (`event` "vote"), phones joining ("join"), phones coming back ("return") or counts'
    ticks ("tick")."""
    from benchmarks.handlers import template
    from kit import create_app
    from kit.core.db import get_session
    from kit.core.extensions import socketio
    from kit.meeting import lifecycle

    with tempfile.TemporaryDirectory() as folder:
        settings = {"INSTANCE_PATH": folder, "ASYNC_MODE": "threading", "PUBLIC_URL": "http://kit.test"}
        # counts go out on a clock (every 0.1 s to the screen): none in the count, which would
        # otherwise grow with the time callgrind takes, and with the machine's other work
        intervals = {"COUNTS_INTERVAL": 1000, "SCREEN_COUNTS_INTERVAL": 1000}
        app = create_app({**settings, **intervals, "RATE_LIMIT": 1_000_000})
        with app.app_context():
            db = get_session()
            meeting = lifecycle.create_meeting(db, template())
            lifecycle.start(db, meeting)
            code, board = meeting.code, meeting.steps[0].id
            screen_auth = {"meeting": code, "key": meeting.screen_key}
            console_auth = {"meeting": code, "key": meeting.facilitator_key}
        screen = socketio.test_client(app, namespace="/screen", auth=screen_auth)
        console = socketio.test_client(app, namespace="/console", auth=console_auth)
        phones = []
        tokens = []
        for number in range(PHONES):
            phone = socketio.test_client(app, namespace="/phone", auth={"meeting": code})
            ack = phone.emit("join", {"name": f"Participante {number}"}, namespace="/phone", callback=True)
            phones.append(phone)
            tokens.append(ack["token"])
        if event == "vote":
            vote(app, phones, contributions, screen, console)
            return
        if event == "tick":
            tick(app, phones, contributions, screen, console)
            return
        if event == "return":
            come_back(app, code, phones, tokens, contributions)
            return
        if event == "join":
            for n in range(contributions):
                phone = socketio.test_client(app, namespace="/phone", auth={"meeting": code})
                ack = phone.emit("join", {"name": f"Participante {PHONES + n}"}, namespace="/phone", callback=True)
                if not ack.get("ok"):
                    raise SystemExit(f"join {n} refused: {ack}")
                phone.get_received("/phone")
                if n % 20 == 0:
                    screen.get_received("/screen")
                    console.get_received("/console")
            return
        for n in range(contributions):
            payload = {"step_id": board, "client_id": f"c{n}", "data": {"text": TEXT.format(n=n)}}
            ack = phones[n % PHONES].emit("contribute", payload, namespace="/phone", callback=True)
            if not ack.get("ok"):
                raise SystemExit(f"contribution {n} refused: {ack}")
            if n % 20 == 0:  # what the clients were sent, dropped as a browser would read it
                screen.get_received("/screen")
                console.get_received("/console")
                for phone in phones:
                    phone.get_received("/phone")


def needs_step(app: Any, phones: list[Any]) -> tuple[int, int, int, list[int]]:
    """The room moved to its needs step, and ten needs sent by the first ten phones: the meeting's
    id, the step's id and version (what a phone's page sends with a vote), the needs' ids."""
    from kit.core.db import get_session
    from kit.core.models import Meeting
    from kit.meeting import lifecycle

    with app.app_context():
        db = get_session()
        meeting = db.query(Meeting).one()
        step = lifecycle.go_to_step(db, meeting, meeting.steps[1].id)
        meeting_id, step_id, version = meeting.id, step.id, meeting.step_version
    needs = []
    for n in range(NEEDS):
        payload = {"step_id": step_id, "client_id": f"n{n}", "data": {"text": TEXT.format(n=n)}}
        needs.append(phones[n].emit("contribute", payload, namespace="/phone", callback=True)["id"])
    return meeting_id, step_id, version, needs


def vote(app: Any, phones: list[Any], votes: int, screen: Any, console: Any) -> None:
    """`votes` votes, each one more need supported by one more phone (50 phones, 10 needs: up to
    500 votes, each of which changes something), sent as the phone's page sends them."""
    if votes > PHONES * NEEDS:
        raise SystemExit(f"at most {PHONES * NEEDS} votes")
    _meeting_id, step_id, version, needs = needs_step(app, phones)
    for n in range(votes):
        ballot = {"contribution_id": needs[n // PHONES], "vote": True, "step_id": step_id, "step_version": version}
        ack = phones[n % PHONES].emit("vote", ballot, namespace="/phone", callback=True)
        if not (ack.get("ok") and ack.get("changed")):
            raise SystemExit(f"vote {n} not counted: {ack}")
        if n % 20 == 0:
            screen.get_received("/screen")
            console.get_received("/console")
            for phone in phones:
                phone.get_received("/phone")


def tick(app: Any, phones: list[Any], ticks: int, screen: Any, console: Any) -> None:
    """On a needs step with ten needs, each supported once: `ticks` times, the meeting changes and
    its counts are sent as the background task sends them every tick of a busy room (the screen
    and the console get them; the phones wait their turn, COUNTS_INTERVAL being long here)."""
    meeting_id, step_id, version, needs = needs_step(app, phones)
    for n, need in enumerate(needs):
        ballot = {"contribution_id": need, "vote": True, "step_id": step_id, "step_version": version}
        phones[n + 1].emit("vote", ballot, namespace="/phone", callback=True)
    counts = app.extensions["kit.counts"]
    for n in range(ticks):
        counts.mark(meeting_id)
        counts.flush(due_only=True)
        if n % 20 == 0:
            screen.get_received("/screen")
            console.get_received("/console")


def come_back(app: Any, code: str, phones: list[Any], tokens: list[str], returns: int) -> None:
    """Each phone sends a card, then a need; then `returns` times, one phone disconnects and
    connects again with its token (round-robin)."""
    from kit.core.db import get_session
    from kit.core.extensions import socketio
    from kit.core.models import Meeting
    from kit.meeting import lifecycle

    for position in (0, 1):
        with app.app_context():
            db = get_session()
            meeting = db.query(Meeting).one()
            step_id = meeting.steps[position].id
            if position:
                lifecycle.go_to_step(db, meeting, step_id)
        for n, phone in enumerate(phones):
            payload = {"step_id": step_id, "client_id": f"s{position}-{n}", "data": {"text": TEXT.format(n=n)}}
            if not phone.emit("contribute", payload, namespace="/phone", callback=True).get("ok"):
                raise SystemExit(f"contribution {n} refused")
    for phone in phones:
        phone.get_received("/phone")
    for n in range(returns):
        which = n % PHONES
        phones[which].disconnect(namespace="/phone")
        auth = {"meeting": code, "token": tokens[which]}
        phones[which] = socketio.test_client(app, namespace="/phone", auth=auth)
        [snapshot] = [e["args"][0] for e in phones[which].get_received("/phone") if e["name"] == "snapshot"]
        if len(snapshot["mine"]) != 2:
            raise SystemExit(f"phone {which} came back without its own: {snapshot['mine']}")


def counted(tree: Path, seed: str, contributions: int, event: str = "contribute") -> int:
    """Instructions callgrind counts for the whole process, run from `tree`."""
    # this file run by path, so that an older commit without it is measured too; its `kit` is the tree's
    script = f"import runpy, sys; sys.argv = ['instructions', '--send', '{contributions}', '--event', '{event}']; "
    script += f"runpy.run_path({str(Path(__file__).resolve())!r}, run_name='__main__')"
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script]
    environment = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": seed}
    done = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed in {tree}:\n{done.stderr[-3000:]}")
    return int(found.group(1))


@contextmanager
def checked_out(revision: str) -> Iterator[Path]:
    """`revision` in a temporary git worktree, with this checkout's compiled catalogues."""
    folder = Path(tempfile.mkdtemp(prefix="kit-instructions-"))
    tree = folder / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), revision], cwd=ROOT, check=True)
    try:
        for catalogue in (ROOT / "kit" / "translations").glob("*/LC_MESSAGES/*.mo"):
            target = tree / catalogue.relative_to(ROOT)
            if target.parent.is_dir():
                shutil.copy2(catalogue, target)
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def compare(
    trees: dict[str, Path], seeds: list[str], low: int, high: int, event: str = "contribute"
) -> dict[str, list[float]]:
    """Millions of instructions per event, for each code and seed."""
    jobs = [(name, seed, n) for seed in seeds for name in trees for n in (low, high)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        work = pool.map(lambda job: counted(trees[job[0]], job[1], job[2], event), jobs)
        totals = dict(zip(jobs, work, strict=True))
    return {
        name: [(totals[(name, seed, high)] - totals[(name, seed, low)]) / (high - low) / 1e6 for seed in seeds]
        for name in trees
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--against", action="append", default=[], help="a commit to count first, in a temporary checkout (repeatable)"
    )
    parser.add_argument("--seeds", default="0,1", help="hash seeds, comma-separated")
    parser.add_argument("--contributions", default="20,220", help="N1,N2: the two counts whose difference is kept")
    parser.add_argument("--event", choices=EVENTS, default="contribute", help="what is counted, one event at a time")
    parser.add_argument("--send", type=int, help=argparse.SUPPRESS)  # the measured process itself
    args = parser.parse_args()
    if args.send is not None:
        send(args.send, args.event)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install -y valgrind")
    low, high = (int(n) for n in args.contributions.split(","))
    seeds = args.seeds.split(",")
    with ExitStack() as stack:
        trees = {revision: stack.enter_context(checked_out(revision)) for revision in args.against}
        trees["this checkout"] = ROOT
        per_code = compare(trees, seeds, low, high, args.event)
    first = statistics.mean(next(iter(per_code.values())))
    print(f"Instructions per {args.event} event (millions), {high - low} events, seeds {', '.join(seeds)}")
    for name, values in per_code.items():
        mean = statistics.mean(values)
        each = ", ".join(f"{value:.2f}" for value in values)
        print(f"  {name:<16} {mean:6.2f}   ({mean / first - 1:+.1%})   each seed: {each}")


if __name__ == "__main__":
    main()

"""Benchmark kit against bare references on the same clients, in the same run.

    python -m benchmarks.run --phones 100,500,1000 --rates 50,500 --vote-rates 50

For each target and room size: a server process starts, one screen and one console connect
(in this process), phones in worker processes join during a window (join storm), send
contributions at each rate (contribution flow), vote at each vote rate on a needs step (vote
flow), then the console changes step several times (fan-out). Then the minutes of a
1,000-contribution meeting are timed. Results go to benchmarks/results/ as JSON, a Markdown
table and PNG plots. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import socketio

from benchmarks.cluster import Cluster, ClusterUsage
from benchmarks.load import worker_main
from benchmarks.servers import LABELS, ROOT, Server, Usage, available

RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_TARGETS = "kit-eventlet,kit-gevent,kit-threading,bare,bare-sqlite,node"


@dataclass
class Options:
    phones: list[int] = field(default_factory=lambda: [100, 500, 1000])
    rates: list[int] = field(default_factory=lambda: [50, 500])
    vote_rates: list[int] = field(default_factory=lambda: [50])
    duration: float = 10.0
    join_window: float = 5.0
    workers: int = 2
    fanouts: int = 3
    targets: list[str] = field(default_factory=lambda: DEFAULT_TARGETS.split(","))
    minutes: bool = True
    measure_usage: bool = True
    profile: Path | None = None
    profile_rate: int = 100
    kit_env: dict[str, str] = field(default_factory=dict)
    # for the kit-4procs target: a PostgreSQL server (a throw-away database is made on it) and a Redis
    postgres: str | None = None
    redis: str | None = None
    # events a second one joined phone sends without waiting, during a second flow at the first rate
    # (kit only; 0: no flood stage): the screen's p99 during the flood against the flow without
    flood: int = 0


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


class Screen:
    """The projected screen: records when each benchmark contribution arrives, and when each
    contribution's vote count first reached 1, 2, 3… in the `counts` it was sent."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.seen: dict[str, list[float]] = {}
        self.latency: dict[str, float] = {}
        # contribution id (a string, as in `counts`) → when its count first reached 1, 2, …
        self.vote_levels: dict[str, list[float]] = {}
        # contribution id → the count in the last `counts` that carried it
        self.vote_counts: dict[str, int] = {}
        self.sio.on("contribution", self._on_contribution, namespace="/screen")
        self.sio.on("counts", self._on_counts, namespace="/screen")

    async def _on_contribution(self, data: Any) -> None:
        now = time.time()
        try:
            _, client_id, sent = data["item"]["data"]["text"].split(" ")
        except (KeyError, TypeError, ValueError):
            return
        self.seen.setdefault(client_id, []).append(now)
        self.latency.setdefault(client_id, now - float(sent))

    async def _on_counts(self, data: Any) -> None:
        now = time.time()
        votes = data.get("votes") if isinstance(data, dict) else None
        if not isinstance(votes, dict):
            return
        for key, count in votes.items():
            if not isinstance(count, int):
                continue
            levels = self.vote_levels.setdefault(str(key), [])
            while len(levels) < count:
                levels.append(now)
            self.vote_counts[str(key)] = count


class Workers:
    """Worker processes holding the phones; commands go to all of them and their answers come back."""

    def __init__(self, phones: int, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.count = max(1, min(count, phones))
        self.pipes = []
        self.processes = []
        for worker in range(self.count):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker_main, args=(child, list(range(worker, phones, self.count))), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    async def ask(self, command: str, args: dict[str, Any] | None = None, timeout: float = 180) -> list[Any]:
        loop = asyncio.get_running_loop()
        for worker, pipe in enumerate(self.pipes):
            pipe.send((command, {**(args or {}), "worker": worker, "workers": self.count}))

        async def answer(pipe: Any) -> Any:
            if not await loop.run_in_executor(None, pipe.poll, timeout):
                raise TimeoutError(f"a worker did not answer {command!r} in {timeout} s")
            return pipe.recv()

        return list(await asyncio.gather(*(answer(pipe) for pipe in self.pipes)))

    async def close(self) -> None:
        try:
            await self.ask("close", timeout=30)
        finally:
            for process in self.processes:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()


async def measure(server: Server, phones: int, options: Options, result: dict[str, Any]) -> dict[str, Any]:
    """One target, one room size: join storm, memory, contribution flows, fan-out."""
    usage: Usage | None = None
    if isinstance(server, Cluster) and options.measure_usage:
        usage = ClusterUsage([process.pid for process in server.processes])
    elif server.process and options.measure_usage:
        usage = Usage(server.process.pid)
    # filled as the case goes: a stage that fails keeps what the earlier ones measured
    result.update({"target": server.target, "phones": phones})
    screen = Screen()
    console = socketio.AsyncClient(reconnection=False)
    await screen.sio.connect(server.url, namespaces=["/screen"], auth=server.screen_auth(), transports=["websocket"])
    await console.connect(server.url, namespaces=["/console"], auth=server.console_auth(), transports=["websocket"])
    server.stage = "start"
    step_id = 1
    if server.is_kit:
        assert (await console.call("start", namespace="/console", timeout=30))["ok"]
        step_id = (await console.call("next", namespace="/console", timeout=30))["current_step_id"]
    workers = Workers(phones, options.workers)
    try:
        await asyncio.sleep(1.0)
        rss_before = usage.rss() if usage else None

        # 1. join storm
        server.stage = "join storm"
        cpu_before = usage.cpu() if usage else None
        start_at = time.time() + 1.0
        answers = await workers.ask(
            "join",
            {
                "urls": server.urls,
                "code": server.code,
                "start_at": start_at,
                "window": options.join_window,
                "total": phones,
            },
            timeout=options.join_window + 60,
        )
        joins = [entry for answer in answers for entry in answer]
        joined_per_worker = [sum(1 for entry in answer if entry["ok"]) for answer in answers]
        latencies = [entry["latency"] for entry in joins if entry["ok"]]
        result["join"] = {
            "ok": len(latencies),
            "failed": len(joins) - len(latencies),
            "errors": dict(Counter(entry["error"] for entry in joins if not entry["ok"]).most_common(3)),
            "p50_ms": ms(percentile(latencies, 50)),
            "p95_ms": ms(percentile(latencies, 95)),
            "p99_ms": ms(percentile(latencies, 99)),
        }
        cpu_after = usage.cpu() if usage else None
        if cpu_before is not None and cpu_after is not None:
            result["join"]["cpu_ms_per_join"] = round((cpu_after - cpu_before) * 1000 / max(1, len(joins)), 2)

        # 2. memory per connected phone
        await asyncio.sleep(1.5)
        rss_after = usage.rss() if usage else None
        if rss_before is not None and rss_after is not None:
            result["rss_mb"] = round(rss_after / 2**20, 1)
            result["rss_per_phone_kb"] = round((rss_after - rss_before) / 1024 / max(1, len(latencies)), 1)

        # 3. contribution flows, each checked against the store at once: a later flow that
        # overwhelms the server (and drops the screen) does not lose what an earlier one showed
        result["flows"] = []
        for rate in options.rates:
            server.stage = f"flow at {rate}/s"
            entry = await flow(server, screen, workers, usage, rate, step_id, options)
            result["flows"].append(entry)
            server.stage = f"reading back the flow at {rate}/s"
            acked = entry.pop("_acked")
            try:
                stored = await screen.sio.call("sync", namespace="/screen", timeout=60)
            except Exception as error:  # noqa: BLE001 - reported in the table, the case goes on
                entry["check_error"] = f"{type(error).__name__}: {error}"[:200]
                continue
            stored_ids = Counter(
                item["data"]["text"].split(" ")[1]
                for item in stored["snapshot"]["items"]
                if str(item.get("data", {}).get("text", "")).startswith("bench ")
            )
            entry["stored"] = sum(1 for client_id in acked if stored_ids.get(client_id, 0) >= 1)
            entry["stored_twice"] = sum(1 for client_id in acked if stored_ids.get(client_id, 0) > 1)
            entry["consistent"] = entry["acked"] == entry["stored"] == entry["shown"] and not (
                entry["shown_twice"] or entry["stored_twice"] or entry["lost"]
            )

        # 3b. the first rate again while one phone floods votes and syncs without waiting
        if server.is_kit and options.flood and options.rates:
            server.stage = "flow during a flood"
            result["flood"] = await flood_case(server, screen, workers, usage, step_id, options, result["flows"][0])

        # 4. vote flows, on the needs step that follows the contributions' board
        server.stage = "moving to the vote step"
        ack = await console.call("next", namespace="/console", timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"moving to the vote step: {ack}")
        # a step just opened: its version is the meeting's (docs/protocol.md, "Where the meeting is")
        vote_step = {"step_id": ack["current_step_id"], "step_version": ack["version"]}
        await asyncio.sleep(0.5)
        result["votes"] = []
        for rate in options.vote_rates:
            server.stage = f"vote flow at {rate}/s"
            entry = await vote_flow(server, screen, workers, usage, rate, vote_step, joined_per_worker, options)
            result["votes"].append(entry)
            server.stage = f"reading back the vote flow at {rate}/s"
            expected = entry.pop("_expected")
            try:
                stored = await screen.sio.call("sync", namespace="/screen", timeout=60)
            except Exception as error:  # noqa: BLE001 - reported in the table, the case goes on
                entry["check_error"] = f"{type(error).__name__}: {error}"[:200]
                continue
            tallies = stored["snapshot"].get("votes") or {}
            counts = {key: int(tallies.get(key, 0)) for key in expected}
            entry["stored"] = sum(counts.values())
            entry["stored_missing"] = sum(max(0, expected[key] - counts[key]) for key in expected)
            entry["stored_extra"] = sum(max(0, counts[key] - expected[key]) for key in expected)
            entry["consistent"] = (
                entry["counted"] == entry["stored"] == entry["shown"]
                and not (entry["lost"] or entry["extra"] or entry["stored_missing"] or entry["stored_extra"])
                and not entry["unchanged"]
            )

        # 5. fan-out of a step change
        server.stage = "fan-out"
        fanouts = []
        for _ in range(options.fanouts):
            began = time.time()
            ack = await console.call("next", namespace="/console", timeout=30)
            if not ack.get("ok"):
                break
            version = ack["version"]
            deadline = time.monotonic() + 15
            while True:
                received = [t for answer in await workers.ask("states", {"version": version}) for t in answer]
                got = [t for t in received if t is not None]
                if len(got) >= len(latencies) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.25)
            fanouts.append({"last_ms": ms(max(got) - began) if got else None, "received": len(got)})
            await asyncio.sleep(0.5)
        lasts = [entry["last_ms"] for entry in fanouts if entry["last_ms"] is not None]
        result["fanout"] = {
            "median_last_ms": round(statistics.median(lasts), 1) if lasts else None,
            "received_min": min((entry["received"] for entry in fanouts), default=0),
            "runs": fanouts,
        }
    finally:
        await workers.close()
        await screen.sio.disconnect()
        await console.disconnect()
    return result


def timings(latencies: list[float], ack_latencies: list[float], lags: list[float]) -> dict[str, float | None]:
    """A flow's latencies to the screen and to the ack, and how late the clients were to send."""
    return {
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "ack_p50_ms": ms(percentile(ack_latencies, 50)),
        "client_lag_p99_ms": ms(percentile(lags, 99)),
    }


def cpu_per(cpu_before: float | None, cpu_after: float | None, count: int) -> float | None:
    """The server's CPU time (ms) over a flow, per message sent."""
    if cpu_before is None or cpu_after is None:
        return None
    return round((cpu_after - cpu_before) * 1000 / max(1, count), 3)


def flood_main(url: str, code: str, per_second: int, pipe: Any) -> None:
    """A process of its own (its answers would otherwise weigh on the screen's client): one phone
    joins, says so, then sends votes and syncs without waiting until told to stop."""
    asyncio.run(_flood(url, code, per_second, pipe))


async def _flood(url: str, code: str, per_second: int, pipe: Any) -> None:
    answers: Counter[str] = Counter()

    def answered(ack: Any) -> None:
        answers["ok" if isinstance(ack, dict) and ack.get("ok") else str((ack or {}).get("error", {}).get("code"))] += 1

    auth: dict[str, Any] = {"meeting": code}
    flooder = socketio.AsyncClient(reconnection=False)
    await flooder.connect(url, namespaces=["/phone"], auth=auth, transports=["websocket"])
    joined = await flooder.call("join", {"name": "flood"}, namespace="/phone", timeout=30)
    auth["token"] = joined.get("token")
    pipe.send(bool(joined.get("ok")))
    sent = 0
    while not pipe.poll():
        try:
            for n in range(max(1, per_second // 10)):
                event, payload = ("sync", None) if n % 4 == 3 else ("vote", {"contribution_id": 1, "vote": True})
                await flooder.emit(event, payload, namespace="/phone", callback=answered)
                sent += 1
        except socketio.exceptions.BadNamespaceError:
            # closed by the server for flooding: come straight back, as a hostile client would
            answers["closed"] += 1
            await flooder.disconnect()
            flooder = socketio.AsyncClient(reconnection=False)
            try:
                await flooder.connect(url, namespaces=["/phone"], auth=auth, transports=["websocket"])
            except socketio.exceptions.ConnectionError:
                # refused or not answered while the server is saturated: try again at the next turn
                answers["connect_refused"] += 1
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    pipe.send({"sent": sent, "answers": dict(answers.most_common(5))})
    await flooder.disconnect()


async def flood_case(
    server: Server,
    screen: Screen,
    workers: Workers,
    usage: Usage | None,
    step_id: int,
    options: Options,
    without: dict[str, Any],
) -> dict[str, Any]:
    """The first flow's rate again while one joined phone sends `options.flood` votes and syncs a
    second without waiting for answers (docs/protocol.md, "Fair share"): the screen's p99 with the
    flood beside the same flow without it, and whether the others' contributions all arrived."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    pipe, child = context.Pipe()
    process = context.Process(target=flood_main, args=(server.url, server.code, options.flood, child), daemon=True)
    process.start()
    try:
        if not await loop.run_in_executor(None, pipe.poll, 60):
            raise TimeoutError("the flooding phone did not join in 60 s")
        joined = pipe.recv()
        entry = await flow(server, screen, workers, usage, without["rate"], step_id, options, prefix="flood")
        pipe.send("stop")
        flooded = await loop.run_in_executor(None, pipe.recv) if await loop.run_in_executor(None, pipe.poll, 60) else {}
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    entry.pop("_acked")
    return {
        "rate": without["rate"],
        "flood_per_s": options.flood,
        "flood_joined": joined,
        "flood_sent": flooded.get("sent"),
        "flood_answers": flooded.get("answers", {}),
        "acked": entry["acked"],
        "sent": entry["sent"],
        "lost": entry["lost"],
        "shown_twice": entry["shown_twice"],
        "p99_ms": entry["p99_ms"],
        "without_p99_ms": without.get("p99_ms"),
    }


async def flow(
    server: Server,
    screen: Screen,
    workers: Workers,
    usage: Usage | None,
    rate: int,
    step_id: int,
    options: Options,
    prefix: str | None = None,
) -> dict[str, Any]:
    prefix = prefix or f"r{rate}"
    cpu_before = usage.cpu() if usage else None
    answers = await workers.ask(
        "flow",
        {
            "rate": rate,
            "duration": options.duration,
            "start_at": time.time() + 0.5,
            "step_id": step_id,
            "prefix": prefix,
        },
        timeout=options.duration + 120,
    )
    cpu_after = usage.cpu() if usage else None
    records = [record for answer in answers for record in answer["records"]]
    lags = [lag for answer in answers for lag in answer["lags"]]
    acked = {record["client_id"] for record in records if record["ok"]}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not acked <= screen.seen.keys():
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # a late duplicate would show now
    mine = {client_id: times for client_id, times in screen.seen.items() if client_id.startswith(prefix + "-")}
    latencies = [screen.latency[client_id] for client_id in mine]
    ack_latencies = [record["acked"] - record["sent"] for record in records if record["ok"]]
    return {
        "rate": rate,
        "sent": len(records),
        "acked": len(acked),
        "refused": dict(Counter(record["error"] for record in records if not record["ok"]).most_common(3)),
        "shown": len(mine.keys() & acked),
        "shown_unacked": len(mine.keys() - acked),
        "shown_twice": sum(1 for times in mine.values() if len(times) > 1),
        "lost": len(acked - mine.keys()),
        **timings(latencies, ack_latencies, lags),
        "cpu_ms_per_message": cpu_per(cpu_before, cpu_after, len(records)),
        "_acked": acked,
    }


async def vote_flow(
    server: Server,
    screen: Screen,
    workers: Workers,
    usage: Usage | None,
    rate: int,
    step: dict[str, int],
    joined_per_worker: list[int],
    options: Options,
) -> dict[str, Any]:
    """Votes at `rate` per second on needs of their own, each timed until the screen's counts carry it.

    Every vote is `true` from a phone that has not voted for that need yet, so each need's count
    only grows: the k-th vote sent for a need counts as shown when the screen is first sent a count
    of at least k for it (when the server applies two votes for one need in another order than they
    were sent, their latencies are swapped, not lost)."""
    prefix = f"v{rate}"
    total = int(rate * options.duration)
    # enough needs that no phone has to vote twice for one: a worker's phones share its votes
    rounds = [
        -(-len(range(worker, total, workers.count)) // joined) if joined else 0
        for worker, joined in enumerate(joined_per_worker)
    ]
    count = min(1000, max(10, *rounds))
    answers = await workers.ask(
        "needs", {"count": count, "prefix": prefix, "step_id": step["step_id"]}, timeout=options.duration + 120
    )
    needs = [record for answer in answers for record in answer]
    ids = [record["id"] for record in needs if record["ok"] and isinstance(record.get("id"), int)]
    if len(ids) < len(needs) or not ids:
        refused = Counter(record["error"] for record in needs if not record["ok"]).most_common(3)
        raise RuntimeError(f"{len(ids)} of {count} needs to vote for were stored: {refused}")
    await asyncio.sleep(1.0)  # the new needs reach every view (phones list them) before the clock starts
    cpu_before = usage.cpu() if usage else None
    answers = await workers.ask(
        "votes",
        {"rate": rate, "duration": options.duration, "start_at": time.time() + 0.5, "ids": ids, **step},
        timeout=options.duration + 120,
    )
    cpu_after = usage.cpu() if usage else None
    records = [record for answer in answers for record in answer["records"]]
    lags = [lag for answer in answers for lag in answer["lags"]]
    counted = [record for record in records if record["ok"] and record["changed"]]
    expected = Counter(str(record["contribution_id"]) for record in counted)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
        len(screen.vote_levels.get(key, [])) < number for key, number in expected.items()
    ):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # a vote counted twice would show now
    latencies = []
    by_need: dict[str, list[float]] = {}
    for record in counted:
        by_need.setdefault(str(record["contribution_id"]), []).append(record["sent"])
    for key, sends in by_need.items():
        levels = screen.vote_levels.get(key, [])
        latencies += [shown - sent for shown, sent in zip(levels, sorted(sends), strict=False)]
    shown = {key: screen.vote_counts.get(key, 0) for key in (str(i) for i in ids)}
    ack_latencies = [record["acked"] - record["sent"] for record in records if record["ok"]]
    return {
        "rate": rate,
        "needs": len(ids),
        "sent": len(records),
        "not_sent": sum(answer["not_sent"] for answer in answers),
        "acked": sum(1 for record in records if record["ok"]),
        "counted": len(counted),
        "unchanged": sum(1 for record in records if record["ok"] and not record["changed"]),
        "refused": dict(Counter(record["error"] for record in records if not record["ok"]).most_common(3)),
        "shown": sum(shown.values()),
        "lost": sum(max(0, expected.get(key, 0) - number) for key, number in shown.items()),
        "extra": sum(max(0, number - expected.get(key, 0)) for key, number in shown.items()),
        **timings(latencies, ack_latencies, lags),
        "cpu_ms_per_vote": cpu_per(cpu_before, cpu_after, len(records)),
        "_expected": {key: expected.get(key, 0) for key in shown},
    }


def run_case(target: str, phones: int, options: Options, workdir: Path) -> dict[str, Any]:
    env = dict(options.kit_env) if target.startswith("kit-") else {}
    server: Server
    if target == "kit-4procs":
        assert options.postgres and options.redis
        folder = workdir / f"{target}-{phones}"
        server = Cluster(target, folder, env=env, postgres=options.postgres, redis=options.redis)
    else:
        server = Server(target, workdir / f"{target}-{phones}", env=env)
    try:
        server.start()
    except Exception as error:
        server.stop()
        return {"target": target, "phones": phones, "error": f"{type(error).__name__} during start: {error}"[:500]}
    profiler = None
    partial: dict[str, Any] = {}
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if options.profile and server.process and py_spy and target != "node":
        # sampled stacks of the server for the whole case, folded (flamegraph.pl or speedscope read them)
        options.profile.mkdir(parents=True, exist_ok=True)
        output = options.profile / f"{target}-{phones}.folded"
        profiler = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(server.process.pid),
                "--format",
                "raw",
                "--rate",
                str(options.profile_rate),
                "--nonblocking",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        return asyncio.run(asyncio.wait_for(measure(server, phones, options, partial), 900))
    except Exception as error:
        for entry in partial.get("flows", []):
            entry.pop("_acked", None)  # not checked against the store: the case stopped first
        for entry in partial.get("votes", []):
            entry.pop("_expected", None)
        return {
            **partial,
            "target": target,
            "phones": phones,
            "error": f"{type(error).__name__} during {server.stage}: {error}"[:500],
            "server_log": server.log_tail()[-800:],
        }
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            try:
                profiler.wait(timeout=30)
            except subprocess.TimeoutExpired:
                profiler.kill()
        server.stop()


def minutes_timing(workdir: Path) -> dict[str, Any]:
    """Time the minutes of a meeting with 1,000 contributions, in a process of its own."""
    env = {**os.environ, "KIT_INSTANCE_PATH": str(workdir / "minutes-instance"), "KIT_RATE_LIMIT": "1000000"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.minutes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        return {"error": done.stderr[-800:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", default="100,500,1000", help="room sizes, comma-separated")
    parser.add_argument("--rates", default="50,500", help="contributions per second, comma-separated")
    parser.add_argument("--vote-rates", default="50", help="votes per second, comma-separated (empty: none)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each contribution and vote flow")
    parser.add_argument("--join-window", type=float, default=5, help="the phones of a room join within this many s")
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the phones")
    parser.add_argument("--fanouts", type=int, default=3, help="step changes timed per room")
    parser.add_argument("--targets", default=DEFAULT_TARGETS, help=f"comma-separated, from {DEFAULT_TARGETS}")
    parser.add_argument("--no-minutes", action="store_true", help="skip timing the minutes")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the table, JSON and plots go")
    parser.add_argument("--name", help="file name stem (default: DATE-NcoresCPU)")
    parser.add_argument(
        "--kit-env",
        action="append",
        default=[],
        metavar="KIT_NAME=VALUE",
        help="a setting for the kit servers, e.g. KIT_COUNTS_INTERVAL=5 (repeatable)",
    )
    parser.add_argument("--profile", type=Path, help="record each Python server with py-spy into this folder")
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second (with --profile)")
    parser.add_argument(
        "--flood", type=int, default=500, help="events/s one phone floods during a second flow (kit only; 0: none)"
    )
    parser.add_argument(
        "--postgres",
        help="for --targets kit-4procs: a PostgreSQL URL (postgresql://user@host/db); a throw-away database is made",
    )
    parser.add_argument("--redis", help="for --targets kit-4procs: a Redis URL for the message queue (never flushed)")
    args = parser.parse_args(argv)
    options = Options(
        phones=[int(n) for n in args.phones.split(",")],
        rates=[int(n) for n in args.rates.split(",")],
        vote_rates=[int(n) for n in args.vote_rates.split(",") if n.strip()],
        duration=args.duration,
        join_window=args.join_window,
        workers=args.workers,
        fanouts=args.fanouts,
        targets=args.targets.split(","),
        minutes=not args.no_minutes,
        profile=args.profile,
        profile_rate=args.profile_rate,
        kit_env=dict(pair.split("=", 1) for pair in args.kit_env),
        postgres=args.postgres,
        redis=args.redis,
        flood=args.flood,
    )
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="kit-bench-"))
    cases: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    try:
        for target in options.targets:
            reason = available(target)
            if target == "kit-4procs" and not (options.postgres and options.redis):
                reason = "give --postgres and --redis"
            if reason:
                skipped[target] = reason
                print(f"skip {target}: {reason}", flush=True)
        targets = [target for target in options.targets if target not in skipped]
        # room size outermost: a target and its references run minutes apart at most, so a
        # neighbour's load on a shared machine weighs on both sides of each ratio alike
        for phones in options.phones:
            for target in targets:
                print(f"{LABELS[target]}, {phones} phones …", flush=True)
                case = run_case(target, phones, options, workdir)
                print(json.dumps(case), flush=True)
                cases.append(case)
        minutes = minutes_timing(workdir) if options.minutes else None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from benchmarks.report import write_report

    report = {
        "command": " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "options": {**asdict(options), "profile": str(options.profile) if options.profile else None},
        "wall_seconds": round(time.time() - started, 1),
        "skipped": skipped,
        "cases": cases,
        "minutes": minutes,
    }
    name = args.name or f"{time.strftime('%Y-%m-%d', time.gmtime(started))}-{os.cpu_count()}cores"
    paths = write_report(report, args.out, name)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

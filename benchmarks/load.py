"""Simulated phones in worker processes, driven by the harness through a pipe.

Each worker runs one asyncio loop with its share of the phones (python-socketio AsyncClient, one
websocket each). Times are wall-clock (`time.time()`), shared by every process on the machine, so
a send in a worker and a receipt on the screen in the harness can be subtracted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from typing import Any

import socketio

PHONE = "/phone"


class SimPhone:
    def __init__(self, number: int) -> None:
        self.number = number
        self.sio = socketio.AsyncClient(reconnection=False)
        self.states: dict[int, float] = {}
        self.sio.on("state", self._on_state, namespace=PHONE)

    async def _on_state(self, data: Any) -> None:
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, int):
            self.states.setdefault(version, time.time())

    async def join(self, url: str, code: str) -> dict[str, Any]:
        began = time.time()
        try:
            await self.sio.connect(
                url, namespaces=[PHONE], auth={"meeting": code}, transports=["websocket"], wait_timeout=30
            )
            ack = await self.sio.call("join", {"name": f"Personne {self.number}"}, namespace=PHONE, timeout=30)
        except Exception as error:  # noqa: BLE001 - any failure is a failed join, counted and reported
            return {"ok": False, "error": type(error).__name__, "latency": time.time() - began}
        ok = isinstance(ack, dict) and ack.get("ok") is True
        return {"ok": ok, "error": None if ok else str(ack)[:200], "latency": time.time() - began}

    async def contribute(self, client_id: str, step_id: int) -> dict[str, Any]:
        sent = time.time()
        text = f"bench {client_id} {sent!r}"
        try:
            ack = await self.sio.call(
                "contribute",
                {"client_id": client_id, "step_id": step_id, "data": {"text": text}},
                namespace=PHONE,
                timeout=30,
            )
        except Exception as error:  # noqa: BLE001
            return {"client_id": client_id, "sent": sent, "ok": False, "error": type(error).__name__}
        ok = isinstance(ack, dict) and ack.get("ok") is True
        error = None if ok else (ack.get("error", {}).get("code") if isinstance(ack, dict) else str(ack))
        number = ack.get("id") if ok else None
        return {"client_id": client_id, "sent": sent, "acked": time.time(), "ok": ok, "error": error, "id": number}

    async def vote(self, contribution_id: int, step: dict[str, Any]) -> dict[str, Any]:
        """Support a contribution (always `true`: each phone votes once for each, so counts only grow)."""
        sent = time.time()
        payload = {"contribution_id": contribution_id, "vote": True, **step}
        try:
            ack = await self.sio.call("vote", payload, namespace=PHONE, timeout=30)
        except Exception as error:  # noqa: BLE001
            return {"contribution_id": contribution_id, "sent": sent, "ok": False, "error": type(error).__name__}
        ok = isinstance(ack, dict) and ack.get("ok") is True
        code = None if ok else (ack.get("error", {}).get("code") if isinstance(ack, dict) else str(ack))
        return {
            "contribution_id": contribution_id,
            "sent": sent,
            "acked": time.time(),
            "ok": ok,
            "changed": ok and ack.get("changed") is True,
            "error": code,
        }

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.sio.disconnect(), 5)
        except Exception:  # noqa: BLE001
            pass


async def _join_all(phones: list[SimPhone], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Each phone joins at its own moment of the window (phones of all workers interleave)."""

    async def one(phone: SimPhone) -> dict[str, Any]:
        delay = args["start_at"] + phone.number * args["window"] / max(args["total"], 1) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        urls = args["urls"]
        return await phone.join(urls[phone.number % len(urls)], args["code"])

    return list(await asyncio.gather(*(one(phone) for phone in phones)))


async def on_schedule(args: dict[str, Any], lags: list[float]) -> AsyncIterator[tuple[int, int]]:
    """This worker's turns of a flow of `rate` sends per second for `duration` seconds, shared
    round-robin by `workers`: (its turn, the send's number), each when it is due; how late each
    one came goes into `lags`."""
    total = int(args["rate"] * args["duration"])
    for turn, number in enumerate(range(args["worker"], total, args["workers"])):
        when = args["start_at"] + number / args["rate"]
        delay = when - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(time.time() - when)
        yield turn, number


async def finished(tasks: list[asyncio.Task[Any]], args: dict[str, Any]) -> list[Any]:
    """What a flow's sends answered, once all are answered (or timed out)."""
    return list(await asyncio.wait_for(asyncio.gather(*tasks), args["duration"] + 60)) if tasks else []


async def _flow(phones: list[SimPhone], args: dict[str, Any]) -> dict[str, Any]:
    """Send this worker's share of `rate` contributions per second for `duration` seconds."""
    joined = [phone for phone in phones if phone.sio.connected]
    if not joined:
        return {"records": [], "lags": []}
    tasks = []
    lags: list[float] = []
    async for turn, number in on_schedule(args, lags):
        phone = joined[turn % len(joined)]
        tasks.append(asyncio.create_task(phone.contribute(f"{args['prefix']}-{number}", args["step_id"])))
    return {"records": await finished(tasks, args), "lags": lags}


async def _needs(phones: list[SimPhone], args: dict[str, Any]) -> list[dict[str, Any]]:
    """This worker's share of `count` contributions to vote for, sent at once by its joined phones."""
    joined = [phone for phone in phones if phone.sio.connected]
    mine = range(args["worker"], args["count"], args["workers"])
    if not joined:
        return []
    return list(
        await asyncio.gather(
            *(
                joined[turn % len(joined)].contribute(f"{args['prefix']}-{number}", args["step_id"])
                for turn, number in enumerate(mine)
            )
        )
    )


async def _votes(phones: list[SimPhone], args: dict[str, Any]) -> dict[str, Any]:
    """Send this worker's share of `rate` votes per second for `duration` seconds, round-robin over
    its phones; a phone's m-th vote goes to the (m + its number)-th contribution, so no phone votes
    twice for the same one while m < len(ids), and votes in flight spread over the contributions."""
    joined = [phone for phone in phones if phone.sio.connected]
    ids = args["ids"]
    if not joined or not ids:
        return {"records": [], "lags": [], "not_sent": 0}
    step = {"step_id": args["step_id"], "step_version": args["step_version"]}
    tasks = []
    lags: list[float] = []
    not_sent = 0
    async for turn, _number in on_schedule(args, lags):
        phone = joined[turn % len(joined)]
        round_ = turn // len(joined)
        if round_ >= len(ids):
            not_sent += 1  # this phone has voted for every contribution already
            continue
        tasks.append(asyncio.create_task(phone.vote(ids[(round_ + phone.number) % len(ids)], step)))
    return {"records": await finished(tasks, args), "lags": lags, "not_sent": not_sent}


async def _worker(conn: Connection, numbers: list[int]) -> None:
    loop = asyncio.get_running_loop()
    phones = [SimPhone(number) for number in numbers]
    while True:
        command, args = await loop.run_in_executor(None, conn.recv)
        if command == "join":
            result: Any = await _join_all(phones, args)
        elif command == "flow":
            result = await _flow(phones, args)
        elif command == "needs":
            result = await _needs(phones, args)
        elif command == "votes":
            result = await _votes(phones, args)
        elif command == "states":
            # when each phone received the state of this version (None: not received)
            result = [phone.states.get(args["version"]) for phone in phones]
        elif command == "close":
            await asyncio.gather(*(phone.close() for phone in phones))
            conn.send(None)
            return
        else:
            result = None
        conn.send(result)


def worker_main(conn: Connection, numbers: list[int]) -> None:
    """Entry point of a worker process: the phones with these numbers (0 … N-1, interleaved)."""
    asyncio.run(_worker(conn, numbers))

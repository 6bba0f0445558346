"""Faults in a full room: the laptop's server killed under load, and every phone's Wi-Fi blipping at once.

Two hundred phones (python-socketio asyncio clients, one thread) join a real `kit serve` and
send cards with acks and retries, like the browser's outbox. Runs on SQLite, and on PostgreSQL
when KIT_TEST_POSTGRES_URL names a server.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import text

from kit.core.db import make_engine
from tests.server import AsyncPhone, KitServer, MeetingLinks, postgres_or_skip

pytestmark = pytest.mark.e2e

PHONES = 200
PER_PHONE = 4
KILLS = 3
JOINING_AT_ONCE = 50


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with postgres_or_skip() as url:
        yield url


@pytest.fixture
def server(tmp_path: Path, database_url: str | None) -> Iterator[KitServer]:
    server = KitServer(tmp_path / "instance", database_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Screen:
    """The projected screen on an asyncio client: remembers every card it was ever shown."""

    def __init__(self, url: str, links: MeetingLinks) -> None:
        self.url = url
        self.auth = {"meeting": links.code, "key": links.screen_key}
        self.shown: set[int] = set()
        self.snapshots: list[dict[str, Any]] = []
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0)
        self.sio.on("snapshot", self._snapshot, namespace="/screen")
        self.sio.on("contribution", self._contribution, namespace="/screen")

    def _snapshot(self, data: dict[str, Any]) -> None:
        self.snapshots.append(data)
        self.shown |= {item["id"] for item in data.get("items", [])}

    def _contribution(self, data: dict[str, Any]) -> None:
        self.shown.add(data["item"]["id"])

    async def open(self) -> None:
        await self.sio.connect(self.url, namespaces=["/screen"], auth=self.auth, transports=["websocket"])

    async def sync(self) -> dict[str, Any]:
        ack = await self.sio.call("sync", namespace="/screen", timeout=10)
        assert ack["ok"], ack
        return ack["snapshot"]


async def open_meeting(server: KitServer) -> tuple[MeetingLinks, int]:
    """A meeting started and moved to its board step, from the console."""
    links = await asyncio.to_thread(server.new_meeting, "Rencontre sous charge")
    console = socketio.AsyncClient(reconnection=False)
    await console.connect(
        server.url,
        namespaces=["/console"],
        auth={"meeting": links.code, "key": links.console_key},
        transports=["websocket"],
    )
    try:
        assert (await console.call("start", namespace="/console", timeout=10))["ok"]
        moved = await console.call("next", namespace="/console", timeout=10)
        assert moved["ok"], moved
        return links, moved["current_step_id"]
    finally:
        await console.disconnect()


async def join_all(server: KitServer, links: MeetingLinks) -> list[AsyncPhone]:
    phones = [AsyncPhone(server.url, links.code, f"Personne {n}") for n in range(PHONES)]
    gate = asyncio.Semaphore(JOINING_AT_ONCE)

    async def join(phone: AsyncPhone) -> None:
        async with gate:
            await phone.join()

    await asyncio.gather(*(join(phone) for phone in phones))
    return phones


async def eventually(condition: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stored_cards(server: KitServer, code: str) -> list[tuple[int, str, str]]:
    """(id, participant token, client id) of every contribution of the meeting, read from the database."""
    url = server.env.get("KIT_DATABASE_URL") or f"sqlite:///{server.instance / 'kit.sqlite3'}"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT c.id, p.token, c.client_id FROM contribution c "
                    "JOIN participant p ON p.id = c.participant_id "
                    "JOIN meeting m ON m.id = c.meeting_id WHERE m.code = :code"
                ),
                {"code": code},
            )
            return [(row[0], row[1], row[2]) for row in rows]
    finally:
        engine.dispose()


def test_a_full_room_loses_and_doubles_nothing_when_the_server_is_killed_three_times(server: KitServer) -> None:
    summary = asyncio.run(asyncio.wait_for(crash_under_load(server), timeout=170))
    print(f"\ncrash under load: {summary}")


async def crash_under_load(server: KitServer) -> dict[str, int]:
    links, board = await open_meeting(server)
    screen = Screen(server.url, links)
    await screen.open()
    phones = await join_all(server, links)
    loop = asyncio.get_running_loop()
    # generous bounds: a loaded CI machine is slower, a healthy run takes a fraction of this
    deadline = loop.time() + 140
    total = PHONES * PER_PHONE
    rng = random.Random()

    async def talk(n: int, phone: AsyncPhone) -> None:
        for i in range(PER_PHONE):
            await asyncio.sleep(rng.uniform(0, 0.4))
            await phone.send_until_acked(f"p{n}-{i}", board, f"idée {i} de la personne {n}", deadline)

    def acked() -> int:
        return sum(len(phone.acked) for phone in phones)

    kills = 0

    async def kill_at_random_moments() -> None:
        nonlocal kills
        # each kill lands at a random moment while cards are still arriving
        for share in sorted(rng.uniform(0.1, 0.8) for _ in range(KILLS)):
            await eventually(lambda share=share: acked() >= share * total, 120, f"{share:.0%} of the cards acked")
            await asyncio.sleep(rng.uniform(0, 0.2))
            await asyncio.to_thread(server.kill)
            kills += 1
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            await asyncio.to_thread(server.start)

    try:
        await asyncio.gather(kill_at_random_moments(), *(talk(n, phone) for n, phone in enumerate(phones)))
        assert kills == KILLS

        # every acknowledged card is stored exactly once, and nothing else is
        acked_ids = {phone.auth["token"]: phone.acked for phone in phones}
        stored = await asyncio.to_thread(stored_cards, server, links.code)
        assert len(stored) == len({(token, cid) for _, token, cid in stored}) == total
        assert {(token, cid): card_id for card_id, token, cid in stored} == {
            (token, cid): card_id for token, sent in acked_ids.items() for cid, card_id in sent.items()
        }

        # the screen showed only acknowledged cards, and now shows each of them once
        every_ack = {card_id for phone in phones for card_id in phone.acked.values()}
        await eventually(lambda: screen.sio.connected and "/screen" in screen.sio.namespaces, 15, "the screen back")
        snapshot = await screen.sync()
        shown_now = [item["id"] for item in snapshot["items"]]
        assert sorted(shown_now) == sorted(every_ack)
        assert screen.shown <= every_ack, "the screen showed a card nobody had an ack for"

        # every phone came back as the same person, with its own cards and the meeting's current state
        await eventually(lambda: all(phone.connected for phone in phones), 20, "every phone reconnected")
        resynced = await asyncio.gather(*(phone.call("sync", timeout=10) for phone in phones))
        for phone, ack in zip(phones, resynced, strict=True):
            assert ack["ok"], ack
            mine = ack["snapshot"]
            assert mine["me"]["name"] == phone.name
            assert sorted(m["client_id"] for m in mine["mine"]) == sorted(phone.acked)
            assert mine["step"]["id"] == board and mine["version"] == snapshot["version"]
            assert len(phone.snapshots) >= 2, f"{phone.name} got no snapshot after a restart"
        return {"kills": kills, "phones": len(phones), "cards checked": len(stored)}
    finally:
        await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)
        await screen.sio.disconnect()


def test_every_phone_dropping_and_reconnecting_at_once_gets_a_correct_snapshot(server: KitServer) -> None:
    summary = asyncio.run(asyncio.wait_for(reconnect_storm(server), timeout=120))
    print(f"\nreconnect storm: {summary}")


async def reconnect_storm(server: KitServer) -> dict[str, int]:
    links, board = await open_meeting(server)
    screen = Screen(server.url, links)
    await screen.open()
    phones = await join_all(server, links)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.gather(
            *(
                phone.send_until_acked(f"avant-{n}", board, f"avant {n}", loop.time() + 45)
                for n, phone in enumerate(phones)
            )
        )
        # the Wi-Fi blips: every phone drops, then all come back in the same instant
        await asyncio.gather(*(phone.close() for phone in phones))
        for phone in phones:
            phone.snapshots.clear()
        await asyncio.gather(*(phone.connect() for phone in phones))
        assert server.process is not None and server.process.poll() is None, "the server fell over"
        assert requests.get(server.url + "/", timeout=5).status_code == 200

        await eventually(lambda: all(phone.snapshots for phone in phones), 20, "a snapshot on every phone")
        expected = await screen.sync()
        for phone in phones:
            [snapshot] = phone.snapshots
            assert snapshot["me"]["name"] == phone.name
            assert snapshot["step"]["id"] == board
            assert [m["client_id"] for m in snapshot["mine"]] == list(phone.acked)
            assert snapshot["counts"]["participants"] == PHONES
            assert snapshot["version"] == expected["version"]

        # and the room carries on: every phone sends once more, the screen has everything once
        await asyncio.gather(
            *(
                phone.send_until_acked(f"apres-{n}", board, f"après {n}", loop.time() + 45)
                for n, phone in enumerate(phones)
            )
        )
        shown = [item["id"] for item in (await screen.sync())["items"]]
        assert sorted(shown) == sorted(i for phone in phones for i in phone.acked.values())
        assert len(shown) == 2 * PHONES
        return {"phones": len(phones), "snapshots checked": len(phones), "cards checked": len(shown)}
    finally:
        await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)
        await screen.sio.disconnect()

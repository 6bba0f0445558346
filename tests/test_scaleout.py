"""Two `kit serve` processes serving one meeting: PostgreSQL holds the data, Redis carries broadcasts.

The screen is on one process, phones on both (websocket transport, as behind a proxy with sticky
sessions); every contribution must reach the screen exactly once, and a step change made on the
other process must reach the screen and every phone. Needs KIT_TEST_POSTGRES_URL and
KIT_TEST_REDIS_URL (CI sets both).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.conftest import postgres_url
from tests.server import KitServer, LiveClient, Phone, wait_for
from tests.server import postgres_database as server_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONES_PER_PROCESS = 3
PER_PHONE = 8


def redis_url() -> str | None:
    return os.environ.get("KIT_TEST_REDIS_URL")


@pytest.fixture
def postgres_database():
    base = postgres_url()
    if not base or not redis_url():
        pytest.skip("set KIT_TEST_POSTGRES_URL and KIT_TEST_REDIS_URL to run two kit processes on PostgreSQL and Redis")
    with server_database(base) as url:
        yield url


def test_two_processes_show_every_contribution_once(tmp_path, postgres_database):
    import redis  # the `redis` extra: Flask-SocketIO's message queue needs it

    queue = redis_url()
    assert queue is not None
    redis.Redis.from_url(queue).ping()
    instance = tmp_path / "instance"  # shared: the same secrets in both processes
    servers = [KitServer(instance, postgres_database) for _ in range(2)]
    for server in servers:
        server.env["KIT_MESSAGE_QUEUE"] = queue
    clients: list[LiveClient] = []
    try:
        for server in servers:
            server.start()
        first, second = servers
        links = first.new_meeting("Deux")
        code, console_key, screen_key = links.code, links.console_key, links.screen_key

        screen = LiveClient(first.url, "screen", {"meeting": code, "key": screen_key})
        console = LiveClient(second.url, "console", {"meeting": code, "key": console_key})
        phones = [
            Phone(server.url, code, f"Personne {n} sur {p}")
            for p, server in enumerate(servers)
            for n in range(PHONES_PER_PROCESS)
        ]
        clients += [screen, console, *phones]

        # a step change made on the second process reaches the screen and the phones of both
        assert console.call("start")["ok"]
        moved = console.call("next")
        assert moved["ok"]
        board, version = moved["current_step_id"], moved["version"]

        def has_state(client: LiveClient) -> bool:
            with client.lock:
                return any(event == "state" and data["version"] >= version for event, data in client.received)

        wait_for(lambda: all(has_state(client) for client in [screen, *phones]), timeout=20)

        # who is connected is the whole room, whichever process holds which phone (Redis presence)
        def connected_seen(client: LiveClient) -> int:
            with client.lock:
                return max((data["connected"] for event, data in client.received if event == "counts"), default=0)

        everyone = len(phones)
        wait_for(lambda: connected_seen(console) == everyone, timeout=20, what="the console counting every phone")
        wait_for(lambda: connected_seen(screen) == everyone, timeout=20, what="the screen counting every phone")

        # phones on both processes send at once; texts carry this run's mark (Redis channels are shared)
        mark = uuid.uuid4().hex[:8]
        deadline = time.monotonic() + 60

        def talk(n: int, phone: Phone) -> None:
            for i in range(PER_PHONE):
                phone.send_until_acked(f"{mark}-{n}-{i}", board, f"{mark} idée {i} de {n}", deadline)

        threads = [threading.Thread(target=talk, args=(n, phone)) for n, phone in enumerate(phones)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=70)
        acked = sorted(i for phone in phones for i in phone.acked.values())
        assert len(acked) == len(set(acked)) == len(phones) * PER_PHONE

        def shown() -> Counter[int]:
            with screen.lock:
                return Counter(
                    data["item"]["id"]
                    for event, data in screen.received
                    if event == "contribution" and data["item"]["data"]["text"].startswith(mark)
                )

        wait_for(lambda: set(shown()) >= set(acked), timeout=20)
        time.sleep(1.0)  # a duplicate delivered through the queue would have arrived by now
        seen = shown()
        assert sorted(seen) == acked, "the screen shows exactly the acknowledged contributions"
        assert max(seen.values()) == 1, f"shown more than once: {[i for i, n in seen.items() if n > 1]}"

        # and what is stored agrees: a fresh screen on the other process gets the same items
        fresh = LiveClient(second.url, "screen", {"meeting": code, "key": screen_key})
        clients.append(fresh)
        wait_for(lambda: fresh.snapshots, timeout=20)
        stored = sorted(item["id"] for item in fresh.snapshots[-1]["items"])
        assert stored == acked
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()


def test_two_installations_sharing_one_redis_never_hear_each_other(tmp_path):
    """Each installation broadcasts on a channel of its own (derived from its secret key): a meeting
    of one never reaches the other, even when both meetings have the same code."""
    queue = redis_url()
    if not queue:
        pytest.skip("set KIT_TEST_REDIS_URL to run two kit installations on one Redis")
    import sqlite3

    import redis

    redis.Redis.from_url(queue).ping()
    servers = [KitServer(tmp_path / name / "instance") for name in ("une", "autre")]
    clients: list[LiveClient] = []
    try:
        links = [server.new_meeting(f"Rencontre {n}") for n, server in enumerate(servers)]
        # the same code in both installations, as two random codes could be
        code = links[0].code
        with sqlite3.connect(tmp_path / "autre" / "instance" / "kit.sqlite3") as database:
            database.execute("UPDATE meeting SET code = ?", (code,))
        for server in servers:
            server.env["KIT_MESSAGE_QUEUE"] = queue
            server.start()
        screens = [
            LiveClient(server.url, "screen", {"meeting": code, "key": link.screen_key})
            for server, link in zip(servers, links, strict=True)
        ]
        consoles = [
            LiveClient(server.url, "console", {"meeting": code, "key": link.console_key})
            for server, link in zip(servers, links, strict=True)
        ]
        clients += [*screens, *consoles]
        for console in consoles:
            assert console.call("start")["ok"]
        board = consoles[1].call("next")["current_step_id"]
        phone = Phone(servers[1].url, code, "Personne")
        clients.append(phone)
        mark = uuid.uuid4().hex[:8]
        phone.send_until_acked(f"{mark}-1", board, f"{mark} une idée", time.monotonic() + 30)

        def shown(screen: LiveClient) -> int:
            with screen.lock:
                return sum(
                    1
                    for event, data in screen.received
                    if event == "contribution" and str(data["item"]["data"].get("text", "")).startswith(mark)
                )

        wait_for(lambda: shown(screens[1]) == 1, timeout=20, what="the contribution on its own screen")
        time.sleep(1.0)  # what leaked through a shared channel would have arrived by now
        assert shown(screens[0]) == 0, "another installation's contribution reached this screen"
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()


def test_shared_presence_keys_are_forgotten_after_the_meeting(tmp_path):
    """Each process's set expires within seconds of it dying; the meeting's list of processes and
    its peak a day after the last arrival, so a Redis serving kit for years does not fill up."""
    if not redis_url():
        pytest.skip("set KIT_TEST_REDIS_URL to check presence in Redis")
    from kit import create_app
    from kit.live.presence import MEETING_KEYS_TTL, SharedPresence

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "ASYNC_MODE": "threading",
            "MESSAGE_QUEUE": redis_url(),
            "MESSAGE_QUEUE_CHANNEL": f"kit-test-{uuid.uuid4().hex[:8]}",
        }
    )
    presence = app.extensions["kit.presence"]
    assert isinstance(presence, SharedPresence)
    try:
        assert presence.arrive(7, 1) == 1 and presence.arrive(7, 2) == 2
        mine, processes, peak = presence._keys(7)
        assert presence.peak(7) == 2 and presence.connected(7) == {1, 2}
        assert 0 < presence.redis.ttl(mine) <= 30
        for key in (processes, peak):
            assert MEETING_KEYS_TTL - 60 < presence.redis.ttl(key) <= MEETING_KEYS_TTL
        presence.leave(7, 2)
        assert presence.connected(7) == {1} and presence.peak(7) == 2
    finally:
        presence.redis.delete(*presence._keys(7))

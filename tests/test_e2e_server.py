"""A whole short meeting against a real `kit serve` process, killed with SIGKILL halfway through.

Runs on SQLite, and on PostgreSQL when KIT_TEST_POSTGRES_URL names a server (CI sets it).
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.conftest import ROOT
from tests.server import KitServer, LiveClient, Phone, postgres_or_skip, wait_for

pytestmark = pytest.mark.e2e

PHONES = 3
PER_PHONE = 12


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield None
        return
    with postgres_or_skip() as url:
        yield url


def parse_links(printed: str) -> dict[str, str]:
    return {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in printed.strip().splitlines())}


def test_a_meeting_survives_a_killed_server_without_losing_or_doubling_anything(tmp_path, database_url):
    server = KitServer(tmp_path / "instance", database_url)
    server.start()
    clients: list[LiveClient] = []
    try:
        links = parse_links(
            server.kit(
                "meeting", "new", str(ROOT / "tests" / "fixtures" / "board-meeting.toml"), "--title", "Rencontre e2e"
            )
        )
        code = links["code"].replace("-", "")
        console_key = links["console"].split("key=")[1]
        screen_key = links["screen"].split("key=")[1]
        console = LiveClient(server.url, "console", {"meeting": code, "key": console_key})
        screen = LiveClient(server.url, "screen", {"meeting": code, "key": screen_key})
        phones = [Phone(server.url, code, f"Personne {n}") for n in range(PHONES)]
        clients += [console, screen, *phones]

        assert console.call("start")["ok"]
        board = console.call("next")["current_step_id"]

        deadline = time.monotonic() + 90
        sent_enough = threading.Event()

        def talk(phone: Phone, n: int) -> None:
            for i in range(PER_PHONE):
                phone.send_until_acked(f"p{n}-{i}", board, f"idée {i} de la personne {n}", deadline)
                if sum(len(p.acked) for p in phones) >= PHONES * PER_PHONE // 3:
                    sent_enough.set()
                time.sleep(0.02)

        threads = [threading.Thread(target=talk, args=(phone, n)) for n, phone in enumerate(phones)]
        for thread in threads:
            thread.start()
        assert sent_enough.wait(30)
        server.kill()  # mid-meeting, with contributions in flight
        time.sleep(0.5)
        server.start()
        for thread in threads:
            thread.join(timeout=95)
        assert all(len(p.acked) == PER_PHONE for p in phones)

        # a screen opened now sees every acknowledged contribution exactly once, still on the board step
        fresh = LiveClient(server.url, "screen", {"meeting": code, "key": screen_key})
        clients.append(fresh)
        wait_for(lambda: fresh.snapshots)
        snapshot = fresh.snapshots[-1]
        assert snapshot["step"]["id"] == board, "the meeting resumes where it was"
        shown = [item["id"] for item in snapshot["items"]]
        acked = [i for phone in phones for i in phone.acked.values()]
        assert sorted(shown) == sorted(acked)
        assert len(set(shown)) == len(shown) == PHONES * PER_PHONE

        # each phone resumed as the same person, with its own contributions
        for phone in phones:
            wait_for(lambda phone=phone: len(phone.snapshots) >= 2)
            mine = phone.call("sync")["snapshot"]["mine"]
            assert sorted(m["client_id"] for m in mine) == sorted(phone.acked)

        # the old screen and console reconnected by themselves
        wait_for(lambda: len(screen.snapshots) >= 2 and len(console.snapshots) >= 2)

        assert console.call("close")["ok"]
        assert console.call("publish")["ok"]
        token = console.call("sync")["snapshot"]["html"].split("/minutes/")[1].split('"')[0]
        data = requests.get(f"{server.url}/minutes/{token}.json", timeout=5).json()
        texts = [c["data"]["text"] for step in data["steps"] for c in step["contributions"]]
        assert sorted(texts) == sorted(f"idée {i} de la personne {n}" for n in range(PHONES) for i in range(PER_PHONE))
        assert requests.get(f"{server.url}/minutes/{token}", timeout=5).status_code == 200
    finally:
        for client in clients:
            client.close()
        server.stop()

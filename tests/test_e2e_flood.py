"""One phone cannot stop the room: floods against a real `kit serve` process.

A joined phone sends thousands of events without waiting for answers while ten others contribute;
a phone that has not joined floods `sync` with nothing but the code shown on the screen. The
others' contributions all reach the screen, once each, and the screen keeps answering.
Correctness only here; how long the screen waits during a flood is measured by the benchmark.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import socketio

from tests.server import KitServer, LiveClient, Phone, wait_for

pytestmark = pytest.mark.e2e

OTHERS = 10
PER_PHONE = 4
FLOOD_VOTES = 3000
FLOOD_SYNCS = 1000

IDEAS = [
    "Créer un annuaire partagé des lieux où l'on peut imprimer gratuitement une attestation de la CAF",
    "Organiser un atelier « premiers pas sur le smartphone » à la médiathèque, un mardi sur deux",
    "Former les bénévoles de l'épicerie solidaire à l'accompagnement aux démarches de l'ANTS",
    "Mutualiser les tablettes de prêt entre la maison France services et le centre social",
]


class Flooder:
    """Sends without waiting; counts the answers it gets back."""

    def __init__(self, client: LiveClient) -> None:
        self.client = client
        self.answers: Counter[str] = Counter()
        self.lock = threading.Lock()

    def answer(self, ack: object) -> None:
        with self.lock:
            code = "ok" if isinstance(ack, dict) and ack.get("ok") else str((ack or {}).get("error", {}).get("code"))  # type: ignore[union-attr]
            self.answers[code] += 1

    def closed(self) -> bool:
        """The server closed the flooding connection (python-socketio then forgets the namespace)."""
        return self.client.namespace not in self.client.sio.namespaces

    def flood(self, event: str, payload: object, times: int) -> None:
        for _ in range(times):
            try:
                self.client.sio.emit(event, payload, namespace=self.client.namespace, callback=self.answer)
            except socketio.exceptions.BadNamespaceError:
                return  # closed by the server


def shown_on(screen: LiveClient) -> list[int]:
    with screen.lock:
        return [data["item"]["id"] for event, data in screen.received if event == "contribution"]


def test_a_flooding_phone_does_not_keep_ten_others_off_the_screen(tmp_path):
    server = KitServer(tmp_path / "instance")
    links = server.new_meeting("Rencontre du réseau des conseillers numériques du Pays de Brocéliande")
    server.start()
    clients: list[LiveClient] = []
    try:
        console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
        screen = LiveClient(server.url, "screen", {"meeting": links.code, "key": links.screen_key})
        clients += [console, screen]
        assert console.call("start")["ok"]
        board = console.call("next")["current_step_id"]
        others = [Phone(server.url, links.code, f"Conseillère n°{n} — Médiathèque de Paimpont") for n in range(OTHERS)]
        bad = Phone(server.url, links.code, "Téléphone qui envoie sans attendre")
        clients += [*others, bad]
        target = bad.send_until_acked("bad-0", board, "Une seule idée, puis beaucoup de bruit", time.monotonic() + 30)

        flooder = Flooder(bad)
        flood = threading.Thread(
            target=lambda: (
                flooder.flood("vote", {"contribution_id": target, "vote": True}, FLOOD_VOTES),
                flooder.flood("sync", None, FLOOD_SYNCS),
            )
        )
        deadline = time.monotonic() + 180

        def talk(phone: Phone, n: int) -> None:
            for i in range(PER_PHONE):
                phone.send_until_acked(f"p{n}-{i}", board, f"{IDEAS[i]} (proposition {n}.{i})", deadline)

        talkers = [threading.Thread(target=talk, args=(phone, n)) for n, phone in enumerate(others)]
        flood.start()
        for thread in talkers:
            thread.start()
        for thread in [flood, *talkers]:
            thread.join(timeout=200)
        acked = sorted(i for phone in others for i in phone.acked.values())
        assert len(acked) == OTHERS * PER_PHONE

        # every one of the others' contributions reached the screen live, none lost, none doubled
        wait_for(lambda: set(acked) <= set(shown_on(screen)), timeout=60, what="the others' ideas on the screen")
        shown = Counter(shown_on(screen))
        assert all(shown[i] == 1 for i in acked), "a contribution shown twice"
        assert set(shown) == {*acked, target}

        # the flood was refused, then its connection closed (LIVE_CLOSE_AFTER refusals in a row);
        # the screen and the console stayed
        wait_for(lambda: flooder.closed(), timeout=60, what="the flooding connection closed")
        assert flooder.answers["rate_limited"] >= 150
        assert sum(flooder.answers.values()) < FLOOD_VOTES + FLOOD_SYNCS, "the rest was dropped unanswered"
        assert screen.sio.connected and console.sio.connected
        assert screen.call("sync", timeout=30)["ok"]
        snapshot = console.call("sync", timeout=30)["snapshot"]
        assert sorted(item["id"] for item in snapshot["items"]) == sorted({*acked, target})
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_a_phone_that_has_not_joined_cannot_stall_the_screen_with_syncs(tmp_path):
    server = KitServer(tmp_path / "instance")
    links = server.new_meeting("Atelier « diagnostic du territoire » de la communauté de communes")
    server.start()
    clients: list[LiveClient] = []
    try:
        console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
        screen = LiveClient(server.url, "screen", {"meeting": links.code, "key": links.screen_key})
        clients += [console, screen]
        assert console.call("start")["ok"]
        board = console.call("next")["current_step_id"]
        awa = Phone(server.url, links.code, "Awa Diallo, Espace public numérique de Redon")
        # the code on the screen is all a stranger needs to connect
        stranger = LiveClient(server.url, "phone", {"meeting": links.code})
        clients += [awa, stranger]

        flooder = Flooder(stranger)
        flood = threading.Thread(target=flooder.flood, args=("sync", None, 600))
        flood.start()
        sent = awa.send_until_acked("awa-1", board, IDEAS[0], time.monotonic() + 120)
        flood.join(timeout=120)
        wait_for(lambda: sent in shown_on(screen), timeout=60, what="Awa's idea on the screen")
        wait_for(lambda: flooder.closed(), timeout=60, what="the flooding connection closed")
        assert flooder.answers["ok"] <= 10
        assert flooder.answers["rate_limited"] >= 150
        assert screen.call("sync", timeout=30)["ok"]
    finally:
        for client in clients:
            client.close()
        server.stop()

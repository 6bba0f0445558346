"""`kit restore` refuses while `kit serve` runs on the database, and works once it has stopped."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.server import KitServer, LiveClient, Phone

pytestmark = pytest.mark.e2e


def kit(server: KitServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kit", *args], env=server.env, capture_output=True, text=True, timeout=60
    )


def test_restore_is_refused_while_kit_serves_and_the_meeting_goes_on(tmp_path):
    server = KitServer(tmp_path / "instance")
    links = server.new_meeting("Rencontre des médiateurs numériques du Val d'Ille-Aubigné")
    server.start()
    clients: list[LiveClient] = []
    try:
        console = LiveClient(server.url, "console", {"meeting": links.code, "key": links.console_key})
        clients.append(console)
        assert console.call("start")["ok"]
        board = console.call("next")["current_step_id"]
        backup = tmp_path / "sauvegarde-avant-la-rencontre.sqlite3"
        assert kit(server, "backup", str(backup)).returncode == 0, "a backup is fine while kit runs"

        refused = kit(server, "restore", str(backup))
        assert refused.returncode == 1
        assert "kit est en marche sur cette base de données" in refused.stderr
        assert "Traceback" not in refused.stderr

        # nothing was replaced: the meeting goes on where it was
        phone = Phone(server.url, links.code, "Gwenaëlle Le Bihan, PIMMS de Rennes")
        clients.append(phone)
        phone.send_until_acked("g-1", board, "Un atelier sur les arnaques par SMS, avec des exemples réels", 1e12)
        assert requests.get(server.url + "/", timeout=10).status_code == 200
    finally:
        for client in clients:
            client.close()
        server.stop()

    restored = kit(server, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "Restauré" in restored.stdout

"""The Python references: a bare python-socketio server (eventlet) speaking kit's protocol shapes.

`--store none` only re-broadcasts (kit's floor in Python); `--store sqlite` also inserts each
contribution and each vote into a SQLite file, in WAL mode with synchronous=NORMAL like kit (the
floor with storage). Same namespaces, events and acks as kit for what the harness uses: /phone
`join`, `contribute` and `vote`, /screen `contribution`, `counts` and `sync`, /console `next` and
`state`. Unlike kit, which coalesces counts, each vote sends its need's new count to the screen at once.

    python -m benchmarks.reference_server --port 8100 --store sqlite --database /tmp/ref.sqlite3
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import itertools  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import uuid  # noqa: E402
from typing import Any  # noqa: E402

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

CODE = "BENCH1"
SCREEN_KEY = "screen"
CONSOLE_KEY = "console"


def build(store: str, database: str | None) -> socketio.WSGIApp:
    sio = socketio.Server(async_mode="eventlet", ping_interval=10, ping_timeout=20, max_http_buffer_size=64 * 1024)
    state: dict[str, Any] = {"version": 1, "step_id": 1}
    shown: list[dict[str, Any]] = []
    ids = itertools.count(1)
    db: sqlite3.Connection | None = None
    if store == "sqlite":
        assert database
        db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS contribution (id INTEGER PRIMARY KEY, participant TEXT NOT NULL,"
            " client_id TEXT NOT NULL, step_id INTEGER NOT NULL, text TEXT NOT NULL, UNIQUE (participant, client_id))"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS vote (id INTEGER PRIMARY KEY, contribution_id INTEGER NOT NULL,"
            " participant TEXT NOT NULL, UNIQUE (contribution_id, participant))"
        )
    # without a store: contribution id → who supports it
    supporters: dict[int, set[str]] = {}
    participants: dict[str, str] = {}

    def refuse_unless(auth: Any, key: str | None = None) -> None:
        if not isinstance(auth, dict) or auth.get("meeting") != CODE or (key and auth.get("key") != key):
            raise socketio.exceptions.ConnectionRefusedError({"code": "forbidden", "message": "no"})

    @sio.on("connect", namespace="/phone")
    def phone_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        refuse_unless(auth)
        participants[sid] = auth.get("token") or ""
        sio.enter_room(sid, "meeting", namespace="/phone")
        sio.emit(
            "snapshot", {"version": state["version"], "step": {"id": state["step_id"]}}, to=sid, namespace="/phone"
        )

    @sio.on("join", namespace="/phone")
    def join(sid: str, data: Any = None) -> dict[str, Any]:
        token = uuid.uuid4().hex
        participants[sid] = token
        return {"ok": True, "token": token, "snapshot": {"version": state["version"]}}

    @sio.on("contribute", namespace="/phone")
    def contribute(sid: str, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        text = str(data["data"].get("text", ""))
        client_id = str(data.get("client_id", ""))
        if db is not None:
            try:
                cursor = db.execute(
                    "INSERT INTO contribution (participant, client_id, step_id, text) VALUES (?, ?, ?, ?)",
                    (participants.get(sid, ""), client_id, state["step_id"], text),
                )
                number = int(cursor.lastrowid or 0)
            except sqlite3.IntegrityError:  # a resend: the same ack, no second broadcast
                return {"ok": True, "client_id": client_id}
        else:
            number = next(ids)
        state["version"] += 1
        item = {"id": number, "key": f"c{number}", "step_id": state["step_id"], "data": {"text": text}}
        shown.append(item)
        sio.emit(
            "contribution",
            {"version": state["version"], "step_id": state["step_id"], "key": item["key"], "item": item},
            to="meeting",
            namespace="/screen",
        )
        return {"ok": True, "id": number, "client_id": client_id, "step_id": state["step_id"]}

    @sio.on("vote", namespace="/phone")
    def vote(sid: str, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("contribution_id"), int):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        if not isinstance(data.get("vote"), bool):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        number, wanted, who = data["contribution_id"], data["vote"], participants.get(sid, "")
        if db is not None:
            if wanted:
                sql = "INSERT OR IGNORE INTO vote (contribution_id, participant) VALUES (?, ?)"
            else:
                sql = "DELETE FROM vote WHERE contribution_id = ? AND participant = ?"
            changed = db.execute(sql, (number, who)).rowcount > 0
            count = db.execute("SELECT COUNT(*) FROM vote WHERE contribution_id = ?", (number,)).fetchone()[0]
        else:
            people = supporters.setdefault(number, set())
            changed = (who in people) != wanted
            if wanted:
                people.add(who)
            else:
                people.discard(who)
            count = len(people)
        if changed:
            state["version"] += 1
            sio.emit(
                "counts",
                {"version": state["version"], "step_id": state["step_id"], "votes": {str(number): count}},
                to="meeting",
                namespace="/screen",
            )
        return {"ok": True, "contribution_id": number, "vote": wanted, "changed": changed}

    @sio.on("connect", namespace="/screen")
    def screen_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        refuse_unless(auth, SCREEN_KEY)
        sio.enter_room(sid, "meeting", namespace="/screen")

    @sio.on("sync", namespace="/screen")
    def screen_sync(sid: str, data: Any = None) -> dict[str, Any]:
        items = shown
        votes = {str(number): len(people) for number, people in supporters.items() if people}
        if db is not None:
            rows = db.execute("SELECT id, step_id, text FROM contribution ORDER BY id").fetchall()
            items = [{"id": i, "key": f"c{i}", "step_id": s, "data": {"text": t}} for i, s, t in rows]
            counted = db.execute("SELECT contribution_id, COUNT(*) FROM vote GROUP BY contribution_id").fetchall()
            votes = {str(number): count for number, count in counted}
        return {"ok": True, "snapshot": {"version": state["version"], "items": items, "votes": votes}}

    @sio.on("connect", namespace="/console")
    def console_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        refuse_unless(auth, CONSOLE_KEY)

    @sio.on("next", namespace="/console")
    def next_step(sid: str, data: Any = None) -> dict[str, Any]:
        state["version"] += 1
        state["step_id"] += 1
        payload = {"version": state["version"], "step": {"id": state["step_id"]}}
        for view in ("phone", "screen"):
            sio.emit("state", payload, to="meeting", namespace=f"/{view}")
        return {"ok": True, "version": state["version"], "current_step_id": state["step_id"]}

    return socketio.WSGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", choices=["none", "sqlite"], default="none")
    parser.add_argument("--database")
    args = parser.parse_args()
    app = build(args.store, args.database)
    # the same listening settings kit serve uses (kit/cli.py)
    listener = eventlet.listen(("127.0.0.1", args.port), backlog=1024)
    # writes leave at once, as `kit serve` has them (kit.web.serving.send_at_once), so the ratios
    # compare the work done, not a TCP setting; accepted connections inherit it from the listener
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print("ready", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=20000)


if __name__ == "__main__":
    main()

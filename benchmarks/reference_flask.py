"""The stack's floor: kit's framework doing a contribution's messages, with none of kit's own code.

The bare references (reference_server.py) are python-socketio alone on a sqlite3 connection.
kit is built on what the design asks for: Flask-SocketIO, whose every event runs in a Flask
request context, and SQLAlchemy sessions, one per event. This server does what kit must do with
a contribution through that same stack, and nothing more: check the payload, insert the row
through a SQLAlchemy session and commit, then send the same three messages (the ack, the
screen's item, the console's item). No meeting rules, no rendering, no version read back.
What separates kit from it is kit's own code; what separates it from bare + SQLite is the stack.

    python -m benchmarks.reference_flask --port 8100 --database /tmp/ref.sqlite3
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402
from typing import Any  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room  # noqa: E402
from sqlalchemy import (  # noqa: E402
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

CODE = "BENCH1"
SCREEN_KEY = "screen"
CONSOLE_KEY = "console"

metadata = MetaData()
contribution = Table(
    "contribution",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("step_id", Integer, nullable=False),
    Column("text", Text, nullable=False),
    UniqueConstraint("participant", "client_id"),
)
vote = Table(
    "vote",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contribution_id", Integer, nullable=False),
    Column("participant", String(64), nullable=False),
    UniqueConstraint("contribution_id", "participant"),
)


def build(database: str) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="eventlet", ping_interval=10, ping_timeout=20, max_http_buffer_size=64 * 1024)
    engine = create_engine(f"sqlite:///{database}", connect_args={"check_same_thread": False, "timeout": 15})

    @event.listens_for(engine, "connect")
    def pragmas(connection: Any, _record: Any) -> None:
        # as kit's SQLite: WAL, NORMAL sync
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")

    metadata.create_all(engine)
    sessions = sessionmaker(engine)
    state: dict[str, Any] = {"version": 1, "step_id": 1}
    participants: dict[str, str] = {}

    def refuse_unless(auth: Any, key: str | None = None) -> None:
        if not isinstance(auth, dict) or auth.get("meeting") != CODE or (key and auth.get("key") != key):
            raise ConnectionRefusedError({"code": "forbidden", "message": "no"})

    def sid() -> str:
        return request.sid  # type: ignore[attr-defined,no-any-return]

    @socketio.on("connect", namespace="/phone")
    def phone_connect(auth: Any = None) -> None:
        refuse_unless(auth)
        participants[sid()] = auth.get("token") or ""
        join_room("meeting")
        emit("snapshot", {"version": state["version"], "step": {"id": state["step_id"]}})

    @socketio.on("join", namespace="/phone")
    def join(data: Any = None) -> dict[str, Any]:
        token = uuid.uuid4().hex
        participants[sid()] = token
        return {"ok": True, "token": token, "snapshot": {"version": state["version"]}}

    @socketio.on("contribute", namespace="/phone")
    def contribute(data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        text = str(data["data"].get("text", ""))
        client_id = str(data.get("client_id", ""))
        db: Session = sessions()
        try:
            values = {"participant": participants.get(sid(), ""), "client_id": client_id, "text": text}
            statement = insert(contribution).returning(contribution.c.id)
            number = db.execute(statement, {**values, "step_id": state["step_id"]}).scalar_one()
            db.commit()
        except IntegrityError:  # a resend: the same ack, no second broadcast
            db.rollback()
            return {"ok": True, "client_id": client_id}
        finally:
            db.close()
        state["version"] += 1
        item = {"id": number, "key": f"c{number}", "step_id": state["step_id"], "data": {"text": text}}
        payload = {"version": state["version"], "step_id": state["step_id"], "key": item["key"], "item": item}
        # what kit sends for a card: the screen's and the console's
        socketio.emit("contribution", payload, to="meeting", namespace="/screen")
        socketio.emit("contribution", payload, to="meeting", namespace="/console")
        return {"ok": True, "id": number, "client_id": client_id, "step_id": state["step_id"]}

    @socketio.on("vote", namespace="/phone")
    def cast(data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("contribution_id"), int):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        if not isinstance(data.get("vote"), bool):
            return {"ok": False, "error": {"code": "bad_request", "message": "no"}}
        number, wanted, who = data["contribution_id"], data["vote"], participants.get(sid(), "")
        db: Session = sessions()
        try:
            if wanted:
                statement: Any = insert(vote).prefix_with("OR IGNORE").values(contribution_id=number, participant=who)
            else:
                statement = delete(vote).where(vote.c.contribution_id == number, vote.c.participant == who)
            changed = db.connection().execute(statement).rowcount > 0
            count = db.execute(select(func.count()).where(vote.c.contribution_id == number)).scalar_one()
            db.commit()
        finally:
            db.close()
        if changed:
            state["version"] += 1
            payload = {"version": state["version"], "step_id": state["step_id"], "votes": {str(number): count}}
            socketio.emit("counts", payload, to="meeting", namespace="/screen")
        return {"ok": True, "contribution_id": number, "vote": wanted, "changed": changed}

    @socketio.on("connect", namespace="/screen")
    def screen_connect(auth: Any = None) -> None:
        refuse_unless(auth, SCREEN_KEY)
        join_room("meeting")

    @socketio.on("sync", namespace="/screen")
    def screen_sync(data: Any = None) -> dict[str, Any]:
        db: Session = sessions()
        try:
            rows = db.execute(select(contribution.c.id, contribution.c.step_id, contribution.c.text)).all()
            counted = db.execute(select(vote.c.contribution_id, func.count()).group_by(vote.c.contribution_id)).all()
        finally:
            db.close()
        items = [{"id": i, "key": f"c{i}", "step_id": s, "data": {"text": t}} for i, s, t in rows]
        votes = {str(number): count for number, count in counted}
        return {"ok": True, "snapshot": {"version": state["version"], "items": items, "votes": votes}}

    @socketio.on("connect", namespace="/console")
    def console_connect(auth: Any = None) -> None:
        refuse_unless(auth, CONSOLE_KEY)
        join_room("meeting")

    @socketio.on("next", namespace="/console")
    def next_step(data: Any = None) -> dict[str, Any]:
        state["version"] += 1
        state["step_id"] += 1
        payload = {"version": state["version"], "step": {"id": state["step_id"]}}
        for view in ("phone", "screen"):
            socketio.emit("state", payload, to="meeting", namespace=f"/{view}")
        return {"ok": True, "version": state["version"], "current_step_id": state["step_id"]}

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    app, _socketio = build(args.database)
    # the same listening settings kit serve and the bare references use
    listener = eventlet.listen(("127.0.0.1", args.port), backlog=1024)
    # writes leave at once, as `kit serve` has them (kit.web.serving.send_at_once), so the ratios
    # compare the work done, not a TCP setting; accepted connections inherit it from the listener
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print("ready", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=20000)


if __name__ == "__main__":
    main()

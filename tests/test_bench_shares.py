"""benchmarks.shares: py-spy's samples counted for the library of the function running, the
case's joins and steps left out; the figure a closing note on CPU per contribution quotes."""

from __future__ import annotations

from pathlib import Path

from benchmarks.shares import KIT, OTHER, SQLITE, library_of, shares

FLOW = "GreenThread.main (eventlet/greenthread.py:272);Server._handle_event_internal (socketio/server.py:612)"
HANDLER = f"{FLOW};PhoneNamespace.on_contribute (kit/live/namespaces.py:615)"
CONTRIBUTE = f"{HANDLER};contribute (kit/meeting/lifecycle.py:470)"


def test_each_sample_counts_for_the_library_of_the_function_running(tmp_path: Path) -> None:
    folded = tmp_path / "kit-eventlet-1000.folded"
    lines = [
        # a card drawn: Jinja's template code is kit's own
        f"{HANDLER};draw_card (kit/live/state.py:320);root (activities/board/_item.html:4) 7",
        # the statement's own call into SQLite, then SQLAlchemy's work around it
        f"{CONTRIBUTE};DefaultDialect.do_execute (sqlalchemy/engine/default.py:924) 5",
        f"{CONTRIBUTE};Session.commit (sqlalchemy/orm/session.py:1405) 11",
        f"{HANDLER};own_item (kit/live/state.py:293) 2",
        # the websocket writer, on no handler's behalf
        "GreenThread.main (eventlet/greenthread.py:272);RFC6455WebSocket.send (eventlet/websocket.py:814) 13",
        "BaseHub.run (eventlet/hubs/hub.py:355);<genexpr> (threading.py:12) 1",
        # a phone connecting: not the flows'
        f"{FLOW};PhoneNamespace.on_connect (kit/live/namespaces.py:176);get_head (kit/meeting/lifecycle.py:198) 40",
        f"{FLOW};PhoneNamespace.on_join (kit/live/namespaces.py:582);Session.commit (sqlalchemy/orm/session.py:1405) 9",
    ]
    folded.write_text("\n".join(lines) + "\n")
    by_library, kept, left_out = shares(folded)
    assert (kept, left_out) == (39, 49)
    assert by_library == {KIT: 9, SQLITE: 5, "SQLAlchemy": 11, "eventlet": 13, OTHER: 1}
    everything, kept_all, none_left = shares(folded, everything=True)
    assert (kept_all, none_left) == (88, 0) and everything[KIT] == 49


def test_a_frame_without_a_known_library_is_the_rest() -> None:
    assert library_of("loads (json/__init__.py:346)") == "JSON"
    assert library_of("Random.choice (random.py:378)") == OTHER
    assert library_of("<native code>") == OTHER
    assert library_of("root (live/_console_people.html:9)") == KIT

"""Each shipped template runs from start to close through the live layer, and its minutes hold every
visible contribution exactly once, under its step (and its topic or section), and none of the hidden."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kit.meeting import lifecycle
from kit.meeting.templates import load_template
from tests.sample_data import contribution_for, marked

ROOT = Path(__file__).resolve().parent.parent
# the shipped templates, and one step of every activity
TEMPLATES = [*sorted((ROOT / "sessions").glob("*.toml")), ROOT / "tests" / "fixtures" / "every-activity.toml"]


def section_of(minutes: str, title: str) -> str:
    """The minutes' text under the step titled `title`, up to the next step."""
    start = minutes.index(f"## {title}\n")
    following = re.search(r"^## ", minutes[start + 3 :], re.MULTILINE)
    return minutes[start : start + 3 + following.start()] if following else minutes[start:]


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_a_template_runs_from_start_to_minutes(db, live_clients, path):
    meeting = lifecycle.create_meeting(db, load_template(path))
    console = live_clients("console", {"meeting": meeting.code, "key": meeting.facilitator_key})
    screen = live_clients("screen", {"meeting": meeting.code, "key": meeting.screen_key})
    phones = []
    for n in range(3):
        phone = live_clients("phone", {"meeting": meeting.code})
        assert phone.emit("join", {"name": f"Personne {n}"}, callback=True, namespace="/phone")["ok"]
        phones.append(phone)
    assert console.emit("start", callback=True, namespace="/console")["ok"]

    shown: dict[str, list[str]] = {}
    hidden: list[str] = []
    for number, step in enumerate(meeting.steps):
        if number:
            assert console.emit("next", callback=True, namespace="/console")["ok"]
        acks = []
        for n, phone in enumerate(phones):
            marker = f"M{number}x{n}"
            data = contribution_for(step, marker, f"Personne {n}")
            ack = phone.emit(
                "contribute", {"client_id": marker, "step_id": step.id, "data": data}, callback=True, namespace="/phone"
            )
            assert ack["ok"], (step.activity, ack)
            acks.append((marker, ack["id"]))
        # the facilitator's part of each activity
        for _marker, contribution_id in acks:
            if step.activity == "news":
                console.emit("act", {"action": "accept", "id": contribution_id}, callback=True, namespace="/console")
            if step.activity == "roadmap":
                console.emit("act", {"action": "validate", "id": contribution_id}, callback=True, namespace="/console")
        if step.activity == "roadmap":
            ack = phones[0].emit(
                "contribute",
                {"client_id": "sign", "step_id": step.id, "data": {"kind": "signature"}},
                callback=True,
                namespace="/phone",
            )
            assert ack["ok"], ack
        # one contribution per step is hidden, except a check-in (the person did come)
        if step.activity != "checkin":
            marker, contribution_id = acks[2]
            ack = console.emit(
                "moderate", {"action": "hide", "id": contribution_id}, callback=True, namespace="/console"
            )
            assert ack["ok"], ack
            hidden.append(marker)
            acks = acks[:2]
        if marked(step):
            # a check-in shows in the list of who came, at the top of the minutes
            where = "Présents (3)" if step.activity == "checkin" else step.title
            shown[where] = [marker for marker, _id in acks]

    assert console.emit("close", callback=True, namespace="/console")["ok"]
    states = [e["args"][0] for e in screen.get_received("/screen") if e["name"] == "state"]
    # a coalesced redraw may arrive late; views keep the newest version, and so does this check
    newest = max(states, key=lambda state: state["version"])
    assert newest["meeting"]["status"] == "closed", "the screen followed the meeting to its end"
    db.expire_all()
    minutes = db.get(type(meeting), meeting.id).minutes_md
    for title, markers in shown.items():
        section = section_of(minutes, title)
        for marker in markers:
            assert minutes.count(marker) == 1, (title, marker)
            assert marker in section, (title, marker)
    for marker in hidden:
        assert marker not in minutes, marker
    if "roadmap" in {step.activity for step in meeting.steps}:
        assert "Personne 0" in section_of(minutes, next(s.title for s in meeting.steps if s.activity == "roadmap"))

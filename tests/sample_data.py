"""What a phone sends to a step of each activity, for tests that walk a whole meeting."""

from __future__ import annotations

from kit.activities import activity_for
from kit.models import Step
from tests.server import LiveClient, Phone


def contribution_for(step: Step, marker: str, name: str) -> dict:
    """What a phone sends to this step, with `marker` where the minutes will show it."""
    activity = activity_for(step)
    kind = step.activity
    if kind == "checkin":
        return {"name": name, "structure": "CCAS", "territory": marker}
    if kind == "news":
        return {"type": "study", "title": marker, "link": "https://example.org/etude"}
    if kind == "practice":
        return {"title": marker, "what": "Un atelier"}
    if kind == "tools":
        return {"name": marker, "link": "https://example.org"}
    if kind == "topics":
        return {"topic": len(activity.topics) - 1, "text": marker}
    if kind == "roadmap":
        return {"kind": "item", "section": activity.chosen[-1], "text": marker}
    if kind in ("poll", "animation"):
        answers: dict = {}
        marked = False
        for index, question in enumerate(activity.questions):
            if question["type"] == "rating":
                answers[f"q{index}"] = "4"
            elif question["type"] == "single":
                answers[f"q{index}"] = "0"
            elif question["type"] == "multiple":
                answers[f"q{index}"] = ["0", "1"]
            elif not marked:
                answers[f"q{index}"] = marker
                marked = True
        return answers
    return {"text": marker}


def marked(step: Step) -> bool:
    """Whether the marker of this step's contributions can be read in the minutes."""
    if step.activity not in ("poll", "animation"):
        return True
    return any(q["type"] in ("open", "words") for q in activity_for(step).questions)


def facilitate(
    console: LiveClient, phones: list[Phone], step: Step, step_id: int, sent: list[int], *, sign: bool = True
) -> None:
    """The facilitator's part, so each view shows the activity at work (votes, a focus, a signature)."""
    if step.activity == "news":
        console.call("act", {"action": "accept", "id": sent[0]})
    elif step.activity in ("needs", "speaker"):
        phones[1].call("vote", {"contribution_id": sent[0], "vote": True})
        if step.activity == "needs":
            console.call("act", {"action": "answer_now", "id": sent[0], "minutes": 3})
    elif step.activity == "roadmap":
        console.call("act", {"action": "validate", "id": sent[0]})
        if sign:
            phones[0].call("contribute", {"client_id": "sign", "step_id": step_id, "data": {"kind": "signature"}})

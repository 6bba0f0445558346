"""What a phone sends to a step of each activity, for tests that walk a whole meeting."""

from __future__ import annotations

from kit.activities import activity_for
from kit.models import Step


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

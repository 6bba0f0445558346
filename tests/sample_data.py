"""What a phone sends to a step of each activity, for tests that walk a whole meeting."""

from __future__ import annotations

from kit.activities import activity_for
from kit.core.models import Step
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
    if kind == "diagnosis":
        return {"question": "gap", "text": marker, "commune": "Vitré", "service": activity.services[0], "public": ""}
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
    elif step.activity == "diagnosis":
        # the room answers the six questions for a few communes, so the table has something to show
        answers = [
            ("who", "Conseillère numérique du CCAS", "Vitré", 0),
            ("where", "Médiathèque de Châteaugiron", "Châteaugiron", 1),
            ("what", "Ateliers tablette pour les seniors", "Châteaugiron", 1),
            ("how", "Sur rendez-vous, 45 minutes", "Vitré", 0),
            ("for_whom", "Allocataires du RSA", "La Guerche-de-Bretagne", 0),
            ("what_for", "Gagner en autonomie pour les démarches", "", None),
            ("gap", "Aucune permanence le samedi", "La Guerche-de-Bretagne", 0),
            ("where", "Espace France Services", "La Guerche-de-Bretagne", 7),
        ]
        for n, (question, text, commune, service) in enumerate(answers):
            data = {"question": question, "text": text, "commune": commune, "service": ""}
            if service is not None:
                data["service"] = activity_for(step).services[service]  # type: ignore[attr-defined]
            phones[n % 2].call("contribute", {"client_id": f"diag-{step_id}-{n}", "step_id": step_id, "data": data})
    elif step.activity == "roadmap":
        console.call("act", {"action": "validate", "id": sent[0]})
        if sign:
            phones[0].call("contribute", {"client_id": "sign", "step_id": step_id, "data": {"kind": "signature"}})

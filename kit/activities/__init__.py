"""The activity registry: each step of a meeting runs one activity type.

An activity is one module in this package, its templates under
``kit/templates/activities/<name>/``, and one line in ``ACTIVITIES`` below. The base class
:class:`Activity` (in ``base.py``) documents every hook; nothing outside this package knows any
activity by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kit.activities.animation import AnimationTest
from kit.activities.base import Activity
from kit.activities.board import Board
from kit.activities.checkin import CheckIn
from kit.activities.diagnosis import Diagnosis
from kit.activities.needs import Needs
from kit.activities.news import News
from kit.activities.poll import Poll
from kit.activities.practice import PracticeSharing
from kit.activities.roadmap import Roadmap
from kit.activities.speaker import SpeakerQuestions
from kit.activities.tools import ToolShowcase
from kit.activities.topics import TopicCards
from kit.core.errors import KitError
from kit.core.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from kit.core.models import Step

__all__ = ["ACTIVITIES", "Activity", "UnknownActivity", "activity_class", "activity_for"]

#: type name → activity class; adding an activity is one line here
ACTIVITIES: dict[str, type[Activity]] = {
    activity.name: activity
    for activity in (
        CheckIn,
        News,
        Needs,
        PracticeSharing,
        ToolShowcase,
        AnimationTest,
        SpeakerQuestions,
        TopicCards,
        Roadmap,
        Poll,
        Board,
        Diagnosis,
    )
}


class UnknownActivity(KitError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "unknown_activity",
            _l('Unknown activity "%(name)s" (known: %(known)s).', name=name, known=", ".join(sorted(ACTIVITIES))),
        )


def activity_class(name: str) -> type[Activity]:
    """The class registered for a type name; a clear error for an unknown one."""
    try:
        return ACTIVITIES[name]
    except KeyError:
        raise UnknownActivity(name) from None


def activity_for(step: Step) -> Activity:
    return activity_class(step.activity)(step)

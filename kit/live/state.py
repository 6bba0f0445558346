"""What each kind of view shows: the same for every viewer of that kind and language.

A snapshot (on connect) and a change of step or status send this state whole; a new
contribution sends just its item. Phones never receive other people's contributions one by
one: they get counts, coalesced (see counts.py), so the traffic grows with the room, not its square.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from kit.activities import ACTIVITIES, Activity, activity_for
from kit.core import queries
from kit.core.errors import NotFound
from kit.core.extensions import socketio
from kit.core.i18n import LANGUAGES, content_lang_for, template_translations
from kit.core.i18n import lazy_gettext as _l
from kit.core.models import Contribution, Meeting, Participant, Step, utcnow
from kit.meeting import decisions, lifecycle, pacing, votes
from kit.meeting.lifecycle import MeetingHead
from kit.publishing import links, mailing, public_kit

VIEWS = ("screen", "console", "phone")
MEETING_GONE = _l("This meeting no longer exists.")


def room(meeting: Meeting | MeetingHead, lang: str | None = None) -> str:
    """A meeting's room (all its viewers of a namespace), or those reading `lang`.

    Named by the meeting's code, unique across databases, so two servers sharing a message
    queue — or two apps in one test run — never mix their rooms."""
    return f"meeting:{meeting.code}" if lang is None else f"meeting:{meeting.code}:{lang}"


def participant_room(meeting: Meeting | MeetingHead, participant_id: int) -> str:
    """The phones of one participant (every tab, on whichever process): for what is theirs alone."""
    return f"{room(meeting)}:participant:{participant_id}"


def listening_languages(meeting: Meeting, view: str) -> tuple[str, ...]:
    """The languages in which someone may be viewing `view` of this meeting: a message rendered
    in another language would reach nobody.

    Without a message queue this process holds every connection, so its rooms say who listens;
    with one, viewers may be on other processes, and every language is rendered."""
    if current_app.config.get("MESSAGE_QUEUE"):
        return LANGUAGES
    server = socketio.server
    rooms = server.manager.rooms.get(f"/{view}", {}) if server is not None else {}
    return tuple(lang for lang in LANGUAGES if rooms.get(room(meeting, lang)))


class PhoneStates:
    """The phone view's shared state, rendered once per meeting version and language.

    Everything a phone's state shows changes the meeting's version when it changes (a step, a
    status, a contribution, a vote, a moderation — see lifecycle.bump_version), and nothing in it
    depends on who is connected; so a join storm renders the phone page once, not twice per phone.
    The version is read from the database on each event, which keeps this right across processes.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}
        self.counted: dict[int, tuple[int, float, dict[str, int]]] = {}

    def counts(self, db: Session, meeting: Meeting | MeetingHead, max_age: float) -> dict[str, int]:
        """The meeting's counts for a phone's snapshot, counted at most once per `max_age` seconds.

        A join storm asked for them twice per phone (two COUNT queries each time). A count is
        kept while the version stays and for `max_age` at most, and counts the participants this
        process adds (`count_join`); a join on another process shows after `max_age` at worst.
        Every arrival also marks the counts to be sent to all, exact, at the next interval
        (CountBroadcaster)."""
        now = time.monotonic()
        with self.lock:
            entry = self.counted.get(meeting.id)
        if entry is not None and entry[0] == meeting.version and now - entry[1] < max_age:
            return dict(entry[2])
        counted = lifecycle.counts(db, meeting)
        with self.lock:
            self.counted[meeting.id] = (meeting.version, now, counted)
        return dict(counted)

    def count_join(self, meeting_id: int) -> None:
        """Someone joined through this process: the kept count goes up by one, without asking
        the database again (a join storm asked twice per phone)."""
        with self.lock:
            entry = self.counted.get(meeting_id)
            if entry is not None:
                version, at, counted = entry
                self.counted[meeting_id] = (version, at, {**counted, "participants": counted["participants"] + 1})

    def get(self, meeting: Meeting | MeetingHead, lang: str) -> dict[str, Any] | None:
        with self.lock:
            entry = self.entries.get((meeting.id, lang))
        return entry[1] if entry is not None and entry[0] == meeting.version else None

    def put(self, meeting: Meeting, lang: str, shared: dict[str, Any]) -> None:
        with self.lock:
            self.entries[(meeting.id, lang)] = (meeting.version, shared)


def meeting_info(meeting: Meeting) -> dict[str, Any]:
    return {
        "code": meeting.code,
        "title": meeting.title,
        "status": meeting.status,
        "current_step_id": meeting.current_step_id,
        "step_version": meeting.step_version,
        "anonymous_allowed": meeting.anonymous_allowed,
        "joining_locked": meeting.joining_locked,
        "screen_picked_only": meeting.screen_picked_only,
        "steps": [
            {"id": s.id, "position": s.position, "title": s.title, "activity": s.activity} for s in meeting.steps
        ],
    }


def step_info(step: Step | None, version: int = 0) -> dict[str, Any] | None:
    """The current step; `version` is the meeting's `step_version`, which messages about it carry."""
    if step is None:
        return None
    return {
        "id": step.id,
        "version": version,
        "position": step.position,
        "title": step.title,
        "prompt": step.prompt,
        "activity": step.activity,
    }


def shows_items(activity: Activity | None, view: str) -> bool:
    """Whether `view` lists the step's contributions (phones only where they vote for them)."""
    return activity is not None and (view != "phone" or activity.phone_sees_items)


def state(
    db: Session, meeting: Meeting | MeetingHead, view: str, lang: str, counted: dict[str, int] | None = None
) -> dict[str, Any]:
    """The whole of what `view` shows now, in `lang`; `counted` saves the count queries when the
    caller renders several views of the same moment. Given a meeting's head (a phone connecting
    or joining), the meeting itself is loaded only if the state must be drawn."""
    cache: PhoneStates | None = current_app.extensions.get("kit.phone_states") if view == "phone" else None
    if counted is None:
        if cache is not None:
            counted = cache.counts(db, meeting, float(current_app.config["COUNTS_INTERVAL"]))
        else:
            counted = lifecycle.counts(db, meeting)
    if cache is not None:
        shared = cache.get(meeting, lang)
        if shared is None:
            whole = _whole(db, meeting)
            shared = _render_state(db, whole, view, lang, counted)
            cache.put(whole, lang, shared)
    else:
        shared = _render_state(db, _whole(db, meeting), view, lang, counted)
    # the time and the counts are of this moment: never cached
    return {**shared, "server_time": utcnow().isoformat(), "counts": counted}


def _whole(db: Session, meeting: Meeting | MeetingHead) -> Meeting:
    """The meeting entity a head stands for (in the session already if it was read before)."""
    if isinstance(meeting, Meeting):
        return meeting
    whole = db.get(Meeting, meeting.id)
    if whole is None:
        raise NotFound(MEETING_GONE)
    return whole


def _render_state(db: Session, meeting: Meeting, view: str, lang: str, counted: dict[str, int]) -> dict[str, Any]:
    step = meeting.current_step
    activity = activity_for(step) if step else None
    items: list[Contribution] = []
    tallies: dict[int, int] = {}
    # a poll's results shown to the room are drawn on the phones too, from every answer
    phone_results = view == "phone" and activity is not None and activity.phone_sees_results()
    if step is not None and (shows_items(activity, view) or phone_results):
        # the console also lists hidden and merged contributions, to undo a moderation
        items = queries.contributions(db, step, visible_only=view != "console")
        if view == "screen" and meeting.screen_picked_only:
            items = [c for c in items if c.picked_at is not None]
    if step is not None and activity is not None and activity.votable:
        tallies = queries.tallies(db, step.id)
    now = utcnow()
    with force_locale(lang):
        html = render_template(
            f"live/{view}.html",
            meeting=meeting,
            step=step,
            activity=activity,
            items=items,
            votes=tallies,
            view=view,
            now=now,
            counts=counted,
            links=links,
            activities=ACTIVITIES,
            people=_people(db, meeting) if view == "console" else [],
            mail=mailing.progress(db, meeting) if view == "console" and meeting.status == "published" else None,
            mail_ready=mailing.is_set_up(current_app.config),
            public=_public_kit(meeting) if meeting.status == "published" or view == "screen" else None,
            connected=connected_people(db, meeting),
            peak=current_app.extensions["kit.presence"].peak(meeting.id),
            summary_max=decisions.MAX_SUMMARY,
            timer=pacing.timer_of(step),
            intro=pacing.intro_mode(step),
        )
    payload: dict[str, Any] = {
        "version": meeting.version,
        "meeting": meeting_info(meeting),
        "step": step_info(step, meeting.step_version),
        "html": html,
    }
    # results the facilitator keeps for later: the screen is not sent the answers either
    if activity is not None and shows_items(activity, view) and not (view == "screen" and activity.results_hidden()):
        payload["items"] = [activity.item_data(c) for c in items]
        payload["votes"] = {str(k): v for k, v in tallies.items()}
    return payload


def connected_people(db: Session, meeting: Meeting | MeetingHead, removed: set[int] | None = None) -> set[int]:
    """Who has a phone connected now, the removed left out: a removed person's phone may still be
    on another process until it hears of it. `removed` saves reading them when the caller has."""
    if removed is None:
        removed = queries.removed_ids(db, meeting.id)
    return current_app.extensions["kit.presence"].connected(meeting.id) - removed


def _people(db: Session, meeting: Meeting) -> list[queries.Person]:
    """The console's list of people: who is here by name in French order, then those removed;
    one read of the participants (a room of 1,000 was read twice), as rows, not entities."""
    everyone = queries.people(db, meeting)
    present = queries.by_name(person for person in everyone if person.removed_at is None)
    return present + [person for person in everyone if person.removed_at is not None]


def people_event(db: Session, meeting: Meeting, lang: str) -> dict[str, Any]:
    """The console's list of who joined, with who is connected now: sent alone, coalesced, as
    phones come and go (the whole console is drawn again only when the meeting changes).

    Drawn as cards are (draw_card), with the catalogue looked up once: it has three messages per
    person, and Flask-Babel's search for the context and the locale of each was close to half
    of the list's cost in a room of 1,000, profiled (docs/performance.md)."""
    people = _people(db, meeting)
    connected = connected_people(db, meeting, {person.id for person in people if person.removed_at is not None})
    html = _draw("live/_console_people.html", lang, meeting=meeting, people=people, connected=connected)
    return {"version": meeting.version, "html": html}


def _public_kit(meeting: Meeting) -> dict[str, Any]:
    """Where the minutes stand on the network's public kit, for the console and the end screen."""
    return {
        "ready": public_kit.is_set_up(meeting.network),
        "server": public_kit.server_name(meeting.network),
        "sending": public_kit.is_sending(meeting),
        "needs": public_kit.needs_sending(meeting),
    }


def phone_snapshot(
    db: Session, meeting: Meeting | MeetingHead, participant: Participant | None, lang: str, *, new: bool = False
) -> dict[str, Any]:
    """A phone's state plus what is its own: who it is and what it sent (all steps). A `new`
    participant (just joined) has sent nothing and voted for nothing: no need to ask."""
    payload = state(db, meeting, "phone", lang)
    if participant is None:
        payload["me"] = None
        payload["mine"] = []
        payload["my_votes"] = []
        return payload
    payload["me"] = {
        "name": participant.display_name,
        "structure": participant.structure,
        "territory": participant.territory,
    }
    payload["mine"] = [] if new else [own_item(c) for c in lifecycle.own_contributions(db, participant)]
    payload["my_votes"] = [] if new else votes.my_votes(db, participant)
    return payload


def own_item(contribution: Contribution) -> dict[str, Any]:
    """One of a phone's own contributions, as its ack and its snapshot describe it."""
    activity = activity_for(contribution.step)
    return {
        "id": contribution.id,
        "key": activity.item_key(contribution),
        "client_id": contribution.client_id,
        "step_id": contribution.step_id,
        "summary": activity.summary(contribution.data),
        "withdrawn": contribution.hidden_by == "participant",
    }


def item_votes(db: Session, activity: Activity, contribution: Contribution, *, new: bool = False) -> dict[int, int]:
    """The votes a card shows: its own count, the only one an item's template reads; none for an
    activity without votes or a contribution just created (nobody could support it yet)."""
    if not activity.votable or new:
        return {}
    return {contribution.id: queries.votes_for(db, contribution.id)}


def draw_card(
    activity: Activity, contribution: Contribution, view: str, lang: str, meeting: Meeting, votes: Mapping[int, int]
) -> str:
    """One contribution as a card of `view` in `lang`: the activity's `_item.html`, drawn by Jinja
    straight from the environment. A card is drawn for each contribution and view as it arrives,
    and Flask's render_template would add a page's context (request, session, the pages' helpers)
    that no card reads: a sixth of a card's cost, profiled. What a card reads is given here."""
    return _draw(
        activity.template("_item"),
        lang,
        item=contribution,
        activity=activity,
        view=view,
        votes=votes,
        meeting=meeting,
        content_lang=content_lang_for(meeting, lang),
    )


def item_menu(meeting: Meeting, contribution: Contribution, lang: str) -> str:
    """What is under "More" on a contribution's card in the console, drawn when the facilitator
    opens it (the `item_menu` event): the card itself carries only its main action."""
    activity = activity_for(contribution.step)
    context = {"item": contribution, "activity": activity, "meeting": meeting, "menu_only": True}
    return _draw("activities/_moderate.html", lang, **context)


def _draw(template: str, lang: str, **context: Any) -> str:
    """A fragment drawn in `lang` by Jinja straight from the environment, with what it reads and
    the catalogue looked up once (template_translations), not through render_template."""
    with force_locale(lang):
        return current_app.jinja_env.get_template(template).render(**context, **template_translations(lang))


def item_event(
    db: Session,
    meeting: Meeting,
    contribution: Contribution,
    view: str,
    lang: str,
    *,
    votes: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """A new or changed contribution, as one item of a view's list. `votes` is its count when the
    caller has read it already (once for every view and language: see item_votes)."""
    activity = activity_for(contribution.step)
    if votes is None:
        votes = item_votes(db, activity, contribution)
    return {
        "version": meeting.version,
        "step_id": contribution.step_id,
        "step_version": meeting.step_version,
        "list": activity.item_list(contribution),
        "key": activity.item_key(contribution),
        "item": activity.item_data(contribution),
        "html": draw_card(activity, contribution, view, lang, meeting, votes),
    }

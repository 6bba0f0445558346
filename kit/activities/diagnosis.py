"""Territorial diagnosis (*diagnostic de territoire*): participants answer the six questions for their
territory — Who? What? Where? How? For whom? What for? — and name what is missing; the screen draws
the offer as a table by commune and service, the network's known places included, gaps marked.

Its outcome goes further than the minutes: a place named under "Where?" can be added to the network's
places in one click, and every gap not set aside comes back as a need at the start of the network's
next meeting (see :func:`gaps_to_follow`, used by kit.network.networks.waiting_needs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import object_session

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import InvalidInput, KitError, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.models import Contribution, Meeting, Participant, Place, Step
from kit.core.queries import NO_SUCH_CONTRIBUTION, get_contribution, not_yet_carried
from kit.core.validation import clean_text, require_mapping
from kit.places import create_place, sort_key
from kit.places.standard import PUBLICS, SERVICES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: the six questions of the diagnosis, and the gaps; as stored → as asked
QUESTIONS: dict[str, Any] = {
    "who": _l("Who? (the actors)"),
    "what": _l("What? (the actions)"),
    "where": _l("Where? (the places)"),
    "how": _l("How? (the ways in)"),
    "for_whom": _l("For whom? (the publics)"),
    "what_for": _l("What for? (the aims)"),
    "gap": _l("What is missing?"),
}
#: the standard's services, as short as a column of the screen's table allows
SHORT_SERVICES: dict[str, Any] = dict(
    zip(
        SERVICES,
        (
            _l("Online procedures"),
            _l("Everyday digital tools"),
            _l("Work and jobs"),
            _l("Safe use"),
            _l("Parenting"),
            _l("Leisure, creation"),
            _l("Understanding digital"),
            _l("Internet and equipment access"),
            _l("Low-cost equipment"),
        ),
        strict=True,
    )
)
MAX_COMMUNES = 40
FIELD_LENGTH = 120


@dataclass
class Cell:
    places: int = 0
    answers: int = 0
    gaps: int = 0


@dataclass
class Table:
    """The offer by commune (rows) and service (columns)."""

    communes: list[str]
    services: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, commune: str, service: str) -> Cell:
        return self.cells.get((commune, service), Cell())

    @property
    def used_services(self) -> list[str]:
        """The services something is known of, in the standard's order: the table's columns."""
        return [s for s in self.services if any(self.cell(c, s) != Cell() for c in self.communes)]

    @property
    def unknown_services(self) -> list[str]:
        """The services nothing is known of, anywhere: where the offer may be missing altogether."""
        used = set(self.used_services)
        return [s for s in self.services if s not in used]


class Diagnosis(Activity):
    """Answers to the six questions and gaps, each optionally placed in a commune, a service, a public."""

    name = "diagnosis"
    label = _l("Territorial diagnosis (who, what, where, how, for whom, what for)")
    live_results = True
    facilitator_actions = frozenset({"set_aside", "follow_up", "add_place"})
    option_fields = (
        OptionField(
            "communes",
            _l("Communes, one per line"),
            "lines",
            hint=_l("At most %(max)d communes, offered to the phones.", max=MAX_COMMUNES),
        ),
        MAX_LENGTH,
    )
    questions = QUESTIONS
    short_services = SHORT_SERVICES
    services = SERVICES
    publics = PUBLICS

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"communes", "max_length"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: communes, max_length)."))
        communes = options.get("communes", [])
        if (
            not isinstance(communes, list)
            or len(communes) > MAX_COMMUNES
            or not all(isinstance(c, str) and c.strip() and len(c) <= FIELD_LENGTH for c in communes)
        ):
            raise OptionError("communes", _l("Expected a list of at most 40 commune names."))
        max_length = options.get("max_length", 300)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"communes": [c.strip() for c in communes], "max_length": max_length}

    # -- participants ------------------------------------------------------------------------
    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        question = data.get("question")
        if not isinstance(question, str) or question not in QUESTIONS:
            raise InvalidInput(_l("Choose the question you answer."), "question")
        clean = {
            "question": question,
            "text": clean_text(data.get("text"), "text", self.max_text_length()),
            "commune": clean_text(data.get("commune"), "commune", FIELD_LENGTH, required=False, multiline=False),
        }
        service = data.get("service") or ""
        if not isinstance(service, str) or service not in ("", *SERVICES):
            raise InvalidInput(_l("Choose a service from the list, or none."), "service")
        public = data.get("public") or ""
        if not isinstance(public, str) or public not in ("", *PUBLICS):
            raise InvalidInput(_l("Choose a public from the list, or none."), "public")
        clean["service"] = service
        clean["public"] = public
        return clean

    def summary(self, data: Mapping[str, Any]) -> str:
        return f"{QUESTIONS.get(str(data.get('question')), '')} {data.get('text', '')}"

    def export_topic(self, data: Mapping[str, Any]) -> str:
        return str(QUESTIONS.get(str(data.get("question")), ""))

    def export_text(self, data: Mapping[str, Any]) -> str:
        where = ", ".join(str(data[k]) for k in ("commune", "service", "public") if data.get(k))
        return f"{data.get('text', '')}" + (f" ({where})" if where else "")

    # -- facilitator -------------------------------------------------------------------------
    def perform(self, db: Session, action: str, payload: Mapping[str, Any]) -> list[Contribution]:

        item = get_contribution(db, self.step.meeting, payload.get("id"))
        if item.step_id != self.step.id:
            raise KitError("not_found", NO_SUCH_CONTRIBUTION)
        if action in ("set_aside", "follow_up"):
            if item.data.get("question") != "gap":
                raise KitError("not_a_gap", _l("Only a gap can be followed up or set aside."))
            item.status = "set_aside" if action == "set_aside" else "open"
            return [item]
        # add_place: a place named under "Where?" joins the network's places
        network = self.step.meeting.network
        if network is None:
            raise KitError("no_network", _l("This meeting belongs to no network: its places cannot be kept."))
        if item.data.get("question") != "where":
            raise KitError("not_a_place", _l("Only an answer to \u201cWhere?\u201d names a place."))
        if item.outcome.get("place_id"):
            raise KitError("already_added", _l("This place is already among the network's places."))
        name = clean_text(payload.get("name") or item.data.get("text"), "name", 200, multiline=False)
        place = create_place(db, network, name, item.data.get("commune", ""))
        if item.data.get("service"):
            place.data = {**place.data, "services": [item.data["service"]]}
        if item.data.get("public"):
            place.data = {**place.data, "publics_specifiquement_adresses": [item.data["public"]]}
        item.outcome = {"place_id": place.id, "place": name}
        return [item]

    # -- showing -----------------------------------------------------------------------------
    def known_places(self) -> list[Place]:
        """The network's places, which the table starts from."""

        meeting = self.step.meeting
        db = object_session(self.step)
        if meeting.network_id is None or db is None:
            return []
        return list(db.scalars(select(Place).where(Place.network_id == meeting.network_id)))

    def table(self, items: list[Contribution]) -> Table:
        """The offer by commune and service: the network's places, the room's answers, the gaps."""
        visible = [c for c in items if c.visible]
        cells: dict[tuple[str, str], Cell] = {}
        communes: dict[str, str] = {c.casefold(): c for c in self.options.get("communes", [])}

        def at(commune: str, service: str) -> Cell:
            key = communes.setdefault(commune.casefold(), commune)
            return cells.setdefault((key, service), Cell())

        for place in self.known_places():
            commune = str(place.data.get("commune") or "")
            for service in place.data.get("services") or []:
                if commune and service in SERVICES:
                    at(commune, service).places += 1
        for item in visible:
            commune, service = item.data.get("commune") or "", item.data.get("service") or ""
            if not commune or not service:
                continue
            if item.data.get("question") == "gap":
                if item.status != "set_aside":
                    at(commune, service).gaps += 1
            else:
                at(commune, service).answers += 1
        return Table(sorted(set(communes.values()), key=sort_key), list(SERVICES), cells)

    def by_question(self, items: list[Contribution]) -> dict[str, list[Contribution]]:
        grouped: dict[str, list[Contribution]] = {key: [] for key in QUESTIONS}
        for item in items:
            grouped.setdefault(str(item.data.get("question")), []).append(item)
        return grouped

    def communes_known(self, items: list[Contribution]) -> list[str]:
        """Communes to offer on the phone: the step's, the network's places', those already named."""
        names = {c.casefold(): c for c in self.options.get("communes", [])}
        for place in self.known_places():
            if place.data.get("commune"):
                names.setdefault(str(place.data["commune"]).casefold(), str(place.data["commune"]))
        return sorted(names.values(), key=sort_key)

    @staticmethod
    def short_names(services: list[str]) -> str:
        return ", ".join(str(SHORT_SERVICES[s]) for s in services)

    @staticmethod
    def where(data: Mapping[str, Any]) -> str:
        return " · ".join(str(data[k]) for k in ("commune", "service", "public") if data.get(k))

    def item_data(self, contribution: Contribution) -> dict[str, Any]:
        data = super().item_data(contribution)
        data["author"] = ""
        return data

    # -- minutes -----------------------------------------------------------------------------
    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        if not contributions:
            return _("No answer.")
        grouped = self.by_question(contributions)
        lines: list[str] = []
        for key, label in QUESTIONS.items():
            entries = grouped.get(key, [])
            if not entries:
                continue
            lines += [f"**{escape(str(label))}**", ""]
            for item in entries:
                line = f"- {escape_block(item.data.get('text', ''))}"
                where = self.where(item.data)
                if where:
                    line += f" ({escape(where)})"
                if item.outcome.get("place_id"):
                    line += " — " + _("added to the network's places")
                if key == "gap":
                    line += " — " + (
                        _("set aside") if item.status == "set_aside" else _("to follow up at the next meeting")
                    )
                lines.append(line)
            lines.append("")
        table = self.table(contributions)
        if table.communes:
            used = table.used_services
            if used:
                lines += ["**" + _("The offer by commune and service") + "**", ""]
                lines.append("| " + _("Commune") + " | " + " | ".join(str(SHORT_SERVICES[s]) for s in used) + " |")
                lines.append("|---" * (len(used) + 1) + "|")
                for commune in table.communes:
                    cells = [self._cell_text(table.cell(commune, s)) for s in used]
                    lines.append(f"| {escape(commune)} | " + " | ".join(cells) + " |")
                lines += [
                    "",
                    _("Places known to the network, answers of the room; « gap » where something is missing."),
                ]
        return "\n".join(lines).rstrip()

    @staticmethod
    def _cell_text(cell: Cell) -> str:
        parts = []
        if cell.places:
            parts.append(ngettext("%(num)d place", "%(num)d places", cell.places))
        if cell.answers:
            parts.append(ngettext("%(num)d answer", "%(num)d answers", cell.answers))
        if cell.gaps:
            parts.append(_("gap"))
        return ", ".join(parts) or "–"


def gaps_to_follow(db: Session, network_id: int, *, before: Meeting | None = None) -> list[Contribution]:
    """The gaps the network's diagnosis steps named and did not set aside, not yet taken up by a
    later meeting: the next meeting's needs step starts with them."""

    where = (Step.activity == Diagnosis.name, Contribution.status != "set_aside")
    return [c for c in not_yet_carried(db, network_id, *where, before=before) if c.data.get("question") == "gap"]


def need_text(gap: Contribution) -> str:
    """A gap as a need to follow up: its words, and where it was seen."""
    where = Diagnosis.where(gap.data)
    return f"{gap.data.get('text', '')}" + (f" ({where})" if where else "")


def count_answers(items: list[Contribution]) -> Counter[str]:
    return Counter(str(c.data.get("question")) for c in items if c.visible)

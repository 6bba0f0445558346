"""Evaluation and polls: a few questions — a rating, one or several choices, a short open answer,
a few words for a word cloud — answered once per person (an answer can be changed), with the
results drawn on the screen as they come."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from kit.activities import charts
from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import InvalidInput, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from kit.core.models import Contribution, Participant

# "live": the screen shows the results as answers come; "on_reveal": only how many answered,
# until the facilitator shows them (the console's "Show the results")
RESULTS = ("live", "on_reveal")
KINDS = ("rating", "single", "multiple", "open", "words")
QUESTION_KEYS = {"type", "text", "choices", "scale"}
MAX_QUESTIONS = 10
MAX_CHOICES = 12
MAX_WORDS = 3
WORD_LENGTH = 40


def word_key(word: str) -> str:
    """What makes two answers of a word cloud the same: case, accents, spaces and the
    punctuation around them aside ("Élevé", "eleve " and "ÉLEVÉ !" are one)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split()).strip(" .,;:!?…'\"«»")


def _whole(value: Any) -> int | None:
    """A whole number from a form ("4") or JSON (4); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def results_option(options: Mapping[str, Any]) -> str:
    """The option `results`: when the screen shows the results (see RESULTS)."""
    value = options.get("results", "live")
    if value not in RESULTS:
        raise OptionError(
            "results",
            _l(
                'Expected "live" (results on the screen as answers come) or "on_reveal" '
                "(only how many answered, until you show the results)."
            ),
        )
    return str(value)


#: the prepare page's field for `results`
RESULTS_FIELD = OptionField(
    "results",
    _l("When the screen shows the results"),
    "select",
    choices=(
        ("live", _l("As the answers come")),
        ("on_reveal", _l("Only how many answered, until I show them")),
    ),
)


class Poll(Activity):
    """Questions answered once per person; aggregated results on the screen, names never shown."""

    name = "poll"
    label = _l("Evaluation or poll")
    one_per_participant = True
    live_results = True
    results_can_wait = True
    editable_field = None
    option_fields = (
        OptionField(
            "questions",
            _l("Questions"),
            "rows",
            row_label=_l("Question"),
            max_rows=MAX_QUESTIONS,
            hint=_l("From 1 to %(max)d questions.", max=MAX_QUESTIONS),
            fields=(
                OptionField(
                    "type",
                    _l("Kind of question"),
                    "select",
                    choices=(
                        ("rating", _l("A rating (stars)")),
                        ("single", _l("One choice")),
                        ("multiple", _l("Several choices")),
                        ("open", _l("A short open answer")),
                        ("words", _l("A few words (word cloud)")),
                    ),
                ),
                OptionField("text", _l("The question"), max_length=300),
                OptionField(
                    "choices",
                    _l("Choices, one per line"),
                    "lines",
                    hint=_l("For one or several choices: from 2 to %(max)d lines.", max=MAX_CHOICES),
                    for_types=("single", "multiple"),
                ),
                OptionField(
                    "scale",
                    _l("Highest rating"),
                    "number",
                    hint=_l("For a rating: a whole number between 3 and 10."),
                    minimum=3,
                    maximum=10,
                    for_types=("rating",),
                ),
            ),
        ),
        RESULTS_FIELD,
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"questions", "max_length", "results"}
        if unknown:
            raise OptionError(
                sorted(unknown)[0], _l("Unknown option (this activity knows: questions, max_length, results).")
            )
        raw = options.get("questions")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
            raise OptionError("questions", _l("Expected a list of 1 to %(max)d questions.", max=MAX_QUESTIONS))
        questions = [cls._question(number, question) for number, question in enumerate(raw, start=1)]
        max_length = options.get("max_length", 300)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"questions": questions, "max_length": max_length, "results": results_option(options)}

    @staticmethod
    def _question(number: int, raw: Any) -> dict[str, Any]:
        where = f"questions[{number}]"
        if not isinstance(raw, dict) or set(raw) - QUESTION_KEYS:
            raise OptionError(where, _l("Each question has: type, text, and choices or scale as needed."))
        kind = raw.get("type")
        if kind not in KINDS:
            raise OptionError(f"{where}.type", _l("Expected one of: rating, single, multiple, open, words."))
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise OptionError(f"{where}.text", _l("Expected a non-empty text."))
        question: dict[str, Any] = {"type": kind, "text": text.strip()}
        if kind in ("single", "multiple"):
            choices = raw.get("choices")
            if (
                not isinstance(choices, list)
                or not all(isinstance(c, str) and c.strip() for c in choices)
                or not 2 <= len(choices) <= MAX_CHOICES
            ):
                raise OptionError(f"{where}.choices", _l("Expected a list of 2 to %(max)d choices.", max=MAX_CHOICES))
            question["choices"] = [c.strip() for c in choices]
        if kind == "rating":
            scale = raw.get("scale", 5)
            if isinstance(scale, bool) or not isinstance(scale, int) or not 3 <= scale <= 10:
                raise OptionError(f"{where}.scale", _l("Expected a whole number between 3 and 10."))
            question["scale"] = scale
        return question

    @property
    def questions(self) -> list[dict[str, Any]]:
        return list(self.options.get("questions", []))

    # -- showing the results -------------------------------------------------------------------
    def results_hidden(self) -> bool:
        # the facilitator's choice during the meeting (the step's state), else the step's option
        shown = (self.step.state or {}).get("results_shown")
        if isinstance(shown, bool):
            return not shown
        return self.options.get("results", "live") == "on_reveal"

    def phone_sees_results(self) -> bool:
        # phones show the results once the facilitator showed them, never while people may still
        # be answering under the influence of a live tally
        return (self.step.state or {}).get("results_shown") is True

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        answers: dict[str, Any] = {}
        for index, question in enumerate(self.questions):
            field = f"q{index}"
            value = self._answer(question, data.get(field), field)
            if value not in (None, "", []):
                answers[field] = value
        if not answers:
            raise InvalidInput(_l("Please answer at least one question."), "q0", code="empty")
        return {"answers": answers}

    def _answer(self, question: Mapping[str, Any], value: Any, field: str) -> Any:
        kind = question["type"]
        if value in (None, "", []):
            return None
        if kind == "rating":
            number = _whole(value)
            if number is None or not 1 <= number <= question["scale"]:
                raise InvalidInput(_l("Choose a mark from 1 to %(max)d.", max=question["scale"]), field)
            return number
        if kind == "single":
            number = _whole(value)
            if number is None or not 0 <= number < len(question["choices"]):
                raise InvalidInput(_l("Choose one of the answers offered."), field)
            return number
        if kind == "multiple":
            picked = value if isinstance(value, list) else [value]
            numbers = [_whole(v) for v in picked]
            if any(n is None or not 0 <= n < len(question["choices"]) for n in numbers):
                raise InvalidInput(_l("Choose among the answers offered."), field)
            return sorted(set(n for n in numbers if n is not None))
        if kind == "open":
            return clean_text(value, field, self.max_text_length(), required=False) or None
        words = [w.strip() for w in re.split(r"[,;\n]", clean_text(value, field, 200, required=False)) if w.strip()]
        if len(words) > MAX_WORDS or any(len(w) > WORD_LENGTH for w in words):
            raise InvalidInput(_l("Up to 3 words or short expressions, separated by commas."), field)
        return words

    def summary(self, data: Mapping[str, Any]) -> str:
        return _("Your answers are recorded.")

    def export_text(self, data: Mapping[str, Any]) -> str:
        answers = data.get("answers", {})
        parts = []
        for index, question in enumerate(self.questions):
            value = answers.get(f"q{index}")
            if value in (None, "", []):
                continue
            if question["type"] in ("single", "multiple"):
                picked = value if isinstance(value, list) else [value]
                value = ", ".join(question["choices"][n] for n in picked if 0 <= n < len(question["choices"]))
            elif isinstance(value, list):
                value = ", ".join(value)
            parts.append(f"{question['text']} {value}")
        return " — ".join(parts)

    def item_data(self, contribution: Contribution) -> dict[str, Any]:
        # answers are shown together, never with a name
        data = super().item_data(contribution)
        data["author"] = ""
        return data

    # -- results -----------------------------------------------------------------------------
    def results(self, contributions: list[Contribution]) -> list[dict[str, Any]]:
        """Per question: how many people answered it (the base of every share), and the tallies,
        mean, texts or words."""
        out = []
        for index, question in enumerate(self.questions):
            values = [c.data.get("answers", {}).get(f"q{index}") for c in contributions]
            values = [v for v in values if v not in (None, "", [])]
            result: dict[str, Any] = {**question, "count": len(values)}
            kind = question["type"]
            if kind == "rating":
                result["rows"] = [(str(mark), values.count(mark)) for mark in range(1, question["scale"] + 1)]
                result["mean"] = sum(values) / len(values) if values else None
            elif kind in ("single", "multiple"):
                # a person counts once per choice, and shares are of people, not of ticks
                picked = Counter(v for value in values for v in set(value if isinstance(value, list) else [value]))
                result["rows"] = [(choice, picked.get(n, 0)) for n, choice in enumerate(question["choices"])]
            elif kind == "open":
                result["texts"] = values
            else:
                result["words"] = self._cloud(values)
            out.append(result)
        return out

    @staticmethod
    def _cloud(values: list[list[str]]) -> list[tuple[str, int, int]]:
        """(word, people who gave it, size 1–5), the most given first; "Trop court", "trop  court"
        and "TROP COURT" are one answer, shown in its most frequent spelling."""
        spellings: dict[str, Counter[str]] = {}
        counts: Counter[str] = Counter()
        for words in values:
            for key in {word_key(word) for word in words if word_key(word)}:
                counts[key] += 1
            for word in words:
                key = word_key(word)
                if key:
                    spellings.setdefault(key, Counter())[" ".join(word.split())] += 1
        if not counts:
            return []
        top = max(counts.values())
        # most given first, then alphabetically (accents ignored), so equal counts keep one order
        ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:40]
        return [(spellings[key].most_common(1)[0][0], n, 1 + round(4 * (n - 1) / max(top - 1, 1))) for key, n in ranked]

    @staticmethod
    def bars(rows: list[tuple[str, int]], title: str, base: int) -> Markup:
        return charts.bars(rows, title, base)

    @staticmethod
    def mean(value: float | None) -> str:
        return str(format_decimal(round(value, 1))) if value is not None else "–"

    # -- minutes -----------------------------------------------------------------------------
    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        n = len(contributions)
        lines = [ngettext("%(num)d person answered.", "%(num)d people answered.", n), ""]
        for result in self.results(contributions):
            lines += [f"**{escape(result['text'])}**", ""]
            if result["count"]:
                lines += [ngettext("%(num)d answer.", "%(num)d answers.", result["count"]), ""]
            else:
                lines += [_("No answer."), ""]
                continue
            if result["type"] == "rating":
                lines.append(
                    _("Average: %(mean)s out of %(scale)d", mean=self.mean(result["mean"]), scale=result["scale"])
                )
                lines.append("")
            if "rows" in result:
                if result["type"] == "multiple":
                    lines += [_("Several answers possible: each share is of the people who answered."), ""]
                lines += ["| " + _("Answer") + " | " + _("People") + " | " + _("Share") + " |", "|---|---|---|"]
                lines += [
                    f"| {escape(label)} | {count} | {charts.share(count, result['count'])} |"
                    for label, count in result["rows"]
                ]
            elif "texts" in result:
                lines += [f"- {escape_block(text)}" for text in result["texts"]]
            else:
                lines += [f"- {escape(word)} ({count})" for word, count, _size in result["words"]]
            lines.append("")
        return "\n".join(lines).rstrip()

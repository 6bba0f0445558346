"""Topic cards: one or several topics, each with its *exemplier* (examples the facilitator prepared)
and the contributions participants attach to it — the format of a collective-projects workshop
and of a territorial diagnosis (Who? What? Where? How? For whom? What for?)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from kit.activities.base import Activity
from kit.activities.options import MAX_LENGTH, OptionField
from kit.core.errors import InvalidInput, OptionError
from kit.core.i18n import lazy_gettext as _l
from kit.core.markdown_text import escape, escape_block
from kit.core.validation import clean_text, require_mapping

if TYPE_CHECKING:
    from kit.core.models import Contribution, Participant

MAX_TOPICS = 12
MAX_EXAMPLES = 10
EXAMPLE_TITLE_LENGTH = 200
EXAMPLE_TEXT_LENGTH = 2000


def clean_example(raw: Any) -> dict[str, str]:
    """One example of the *exemplier*: a title and a paragraph. The older form, a plain text, is
    read as a title with no text. Raises InvalidInput naming the field at fault."""
    if isinstance(raw, str):
        raw = {"title": raw}
    if not isinstance(raw, Mapping) or set(raw) - {"title", "text"}:
        raise InvalidInput(_l("Each example has: title, text."), "title")
    return {
        "title": clean_text(raw.get("title"), "title", EXAMPLE_TITLE_LENGTH, multiline=False),
        "text": clean_text(raw.get("text"), "text", EXAMPLE_TEXT_LENGTH, required=False),
    }


class TopicCards(Activity):
    """Contributions attached to one of the step's topics, shown topic by topic."""

    name = "topics"
    label = _l("Topic cards")
    option_fields = (
        OptionField(
            "topics",
            _l("Topics"),
            "rows",
            row_label=_l("Topic"),
            max_rows=MAX_TOPICS,
            hint=_l("From 1 to %(max)d topics.", max=MAX_TOPICS),
            fields=(
                OptionField("title", _l("Title of the topic"), max_length=200),
                OptionField(
                    "description",
                    _l("Introduction"),
                    "textarea",
                    hint=_l("Leave an empty line between two paragraphs."),
                    max_length=4000,
                ),
                OptionField(
                    "exemplier",
                    _l("Examples"),
                    "rows",
                    row_label=_l("Example"),
                    max_rows=MAX_EXAMPLES,
                    hint=_l("At most %(max)d examples, each a title and a short text.", max=MAX_EXAMPLES),
                    fields=(
                        OptionField("title", _l("Title of the example"), max_length=EXAMPLE_TITLE_LENGTH),
                        OptionField("text", _l("Text of the example"), "textarea", max_length=EXAMPLE_TEXT_LENGTH),
                    ),
                ),
            ),
        ),
        MAX_LENGTH,
    )

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"topics", "max_length"}
        if unknown:
            raise OptionError(sorted(unknown)[0], _l("Unknown option (this activity knows: topics, max_length)."))
        raw = options.get("topics")
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TOPICS:
            raise OptionError("topics", _l("Expected a list of 1 to %(max)d topics.", max=MAX_TOPICS))
        topics = []
        for number, topic in enumerate(raw, start=1):
            where = f"topics[{number}]"
            if not isinstance(topic, dict) or set(topic) - {"title", "description", "exemplier"}:
                raise OptionError(where, _l("Each topic has: title, description, exemplier."))
            title = topic.get("title")
            if not isinstance(title, str) or not title.strip():
                raise OptionError(f"{where}.title", _l("Expected a non-empty text."))
            description = topic.get("description", "")
            if not isinstance(description, str):
                raise OptionError(f"{where}.description", _l("Expected a text."))
            examples = topic.get("exemplier", [])
            if not isinstance(examples, list) or len(examples) > MAX_EXAMPLES:
                raise OptionError(
                    f"{where}.exemplier", _l("Expected a list of at most %(max)d examples.", max=MAX_EXAMPLES)
                )
            cleaned = []
            for index, example in enumerate(examples, start=1):
                try:
                    cleaned.append(clean_example(example))
                except InvalidInput as error:
                    raise OptionError(f"{where}.exemplier[{index}].{error.field}", error.message) from None
            topics.append({"title": title.strip(), "description": description.strip(), "exemplier": cleaned})
        max_length = options.get("max_length", 500)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 10 <= max_length <= 2000:
            raise OptionError("max_length", _l("Expected a whole number between 10 and 2000."))
        return {"topics": topics, "max_length": max_length}

    @property
    def topics(self) -> list[dict[str, Any]]:
        """The step's topics, each example as a title and a text (a step stored by an older kit
        holds plain texts: each is read as a title)."""
        return [
            {
                **topic,
                "description": topic.get("description", ""),
                "exemplier": [
                    dict(example) if isinstance(example, Mapping) else {"title": str(example), "text": ""}
                    for example in topic.get("exemplier", [])
                ],
            }
            for topic in self.options.get("topics", [])
        ]

    def validate_submission(self, data: Any, participant: Participant) -> dict[str, Any]:
        data = require_mapping(data)
        topic = data.get("topic", 0 if len(self.topics) == 1 else None)
        if isinstance(topic, str) and topic.isdigit():
            topic = int(topic)
        if isinstance(topic, bool) or not isinstance(topic, int) or not 0 <= topic < len(self.topics):
            raise InvalidInput(_l("Choose the topic your contribution is about."), "topic")
        return {"topic": topic, "text": clean_text(data.get("text"), "text", self.max_text_length())}

    def summary(self, data: Mapping[str, Any]) -> str:
        topic = self.topics[data["topic"]]["title"] if data.get("topic", -1) < len(self.topics) else ""
        return f"{topic} · {data.get('text', '')}"

    def export_topic(self, data: Mapping[str, Any]) -> str:
        index = data.get("topic", -1)
        return str(self.topics[index]["title"]) if 0 <= index < len(self.topics) else ""

    def export_text(self, data: Mapping[str, Any]) -> str:
        return str(data.get("text", ""))

    def item_list(self, contribution: Contribution) -> str:
        return f"{contribution.step_id}-{contribution.data.get('topic', 0)}"

    def by_topic(self, contributions: list[Contribution]) -> list[tuple[dict[str, Any], list[Contribution]]]:
        return [
            (topic, [c for c in contributions if c.data.get("topic") == index])
            for index, topic in enumerate(self.topics)
        ]

    def minutes_section(self, contributions: list[Contribution], votes: Mapping[int, int]) -> str:
        lines: list[str] = []
        for topic, attached in self.by_topic(contributions):
            lines += [f"### {escape(topic['title'])}", ""]
            if topic["description"]:
                lines += [escape_block(topic["description"], ""), ""]
            if topic["exemplier"]:
                lines += ["*" + _("Examples given") + "*", ""]
                for example in topic["exemplier"]:
                    lines.append(f"- **{escape(example['title'])}**")
                    if example["text"]:
                        # the example's text, a paragraph of its item for Python-Markdown and CommonMark alike
                        lines += ["", "    " + escape_block(example["text"], "    "), ""]
                lines.append("")
            if attached:
                lines += ["*" + _("Contributions (%(count)d)", count=len(attached)) + "*", ""]
                lines += [f"- {escape_block(c.data['text'])} — {escape(c.author)}" for c in attached]
            else:
                lines.append(_("No contribution."))
            lines.append("")
        return "\n".join(lines).rstrip()

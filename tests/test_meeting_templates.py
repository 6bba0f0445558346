"""Meeting templates: the shipped ones load; a bad one is refused naming the file, step and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.meeting.templates import TemplateError, list_templates, load_template, parse_template

ROOT = Path(__file__).resolve().parent.parent


def test_every_shipped_template_loads():
    found = list_templates([str(ROOT / "sessions")])
    assert found, "sessions/ holds no template"
    for template in found:
        assert not isinstance(template, TemplateError), template
        assert template.steps


def test_monthly_meeting_has_the_steps_of_a_network_meeting():
    template = load_template(ROOT / "sessions" / "rencontre-mensuelle.toml")
    assert [step.activity for step in template.steps] == ["checkin", "news", "needs", "practice", "poll"]
    assert template.steps[1].options["items"], "the news step comes with examples to replace"


GOOD_STEP = '[[steps]]\nactivity = "board"\ntitle = "Besoins"\n'


@pytest.mark.parametrize(
    ("source", "step", "key", "words"),
    [
        ('title = "T"\n' + GOOD_STEP + '[[steps]]\nactivity = "vote"\ntitle = "Vote"\n', 2, "activity", "vote"),
        ('title = "T"\n[[steps]]\nactivity = "board"\n', 1, "title", "non-empty"),
        ('title = "T"\n' + GOOD_STEP + '[steps.options]\nmax_length = "long"\n', 1, "options.max_length", "number"),
        ('title = "T"\n' + GOOD_STEP + '[steps.options]\ncolour = "red"\n', 1, "options.colour", "Unknown option"),
        ('title = "T"\n' + GOOD_STEP + 'promt = "typo"\n', 1, "promt", "unknown key"),
        ('title = "T"\n' + GOOD_STEP + '[steps.options]\nexemplier = "one"\n', 1, "options.exemplier", "list"),
        ('titre = "T"\n' + GOOD_STEP, None, "titre", "unknown key"),
        ('title = "T"\n', None, "steps", "at least one"),
        ('title = ""\n' + GOOD_STEP, None, "title", "non-empty"),
        ('title = "T"\nlanguage = "de"\n' + GOOD_STEP, None, "language", '"fr"'),
    ],
)
def test_a_bad_template_is_refused_naming_file_step_and_key(source, step, key, words):
    with pytest.raises(TemplateError) as caught:
        parse_template(Path("sessions/mine.toml"), source)
    error = caught.value
    assert error.step == step
    assert error.key == key
    message = str(error.message)
    assert message.startswith("sessions/mine.toml")
    assert f'"{key}"' in message
    assert words in message
    if step:
        assert f"step {step}" in message


def test_unreadable_toml_is_refused_with_the_line():
    with pytest.raises(TemplateError) as caught:
        parse_template(Path("sessions/broken.toml"), 'title = "T"\n[[steps]\n')
    assert "sessions/broken.toml" in str(caught.value.message)
    assert "line 2" in str(caught.value.message)


def test_a_broken_file_is_listed_with_its_error_beside_good_ones(tmp_path):
    (tmp_path / "good.toml").write_text('title = "Bon"\n' + GOOD_STEP, encoding="utf-8")
    (tmp_path / "bad.toml").write_text('title = "Mauvais"\n', encoding="utf-8")
    found = {getattr(t, "name", None) or t.path.stem: t for t in list_templates([str(tmp_path)])}
    assert isinstance(found["bad"], TemplateError)
    assert found["good"].title == "Bon"


def test_a_later_folder_overrides_a_template_of_the_same_name(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "same.toml").write_text('title = "Premier"\n' + GOOD_STEP, encoding="utf-8")
    (second / "same.toml").write_text('title = "Second"\n' + GOOD_STEP, encoding="utf-8")
    [template] = list_templates([str(first), str(second)])
    assert template.title == "Second"

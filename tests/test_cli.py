"""The kit command: version, preparing a meeting from a file, and its errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kit import __version__
from kit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kit {__version__}"


def test_meeting_new_prints_the_console_screen_and_join_links(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIT_PUBLIC_URL", "http://192.0.2.10:8000")
    assert main(["meeting", "new", str(ROOT / "sessions" / "rencontre-mensuelle.toml"), "--title", "Mars"]) == 0
    out = capsys.readouterr().out
    lines = dict(line.split(":", 1) for line in out.strip().splitlines())
    code = lines["code"].strip().replace("-", "")
    assert lines["meeting"].strip() == "Mars"
    assert re.fullmatch(rf"\s*http://192\.0\.2\.10:8000/m/{code}/console\?key=\S+", lines["console"])
    assert re.fullmatch(rf"\s*http://192\.0\.2\.10:8000/m/{code}/screen\?key=\S+", lines["screen"])
    assert lines["join"].strip() == f"http://192.0.2.10:8000/j/{code}"


def test_meeting_new_refuses_a_bad_template_naming_the_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIT_INSTANCE_PATH", str(tmp_path / "instance"))
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "T"\n[[steps]]\nactivity = "sondage"\ntitle = "Vote"\n', encoding="utf-8")
    assert main(["meeting", "new", str(bad)]) == 1
    error = capsys.readouterr().err
    # French by default: « activity » names the key, and the unknown activity is quoted
    assert str(bad) in error and "étape 1" in error and "\xa0activity\xa0" in error and "sondage" in error


def test_the_module_runs_as_a_command():
    result = subprocess.run([sys.executable, "-m", "kit", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"kit {__version__}"

"""Backups: taken while kit runs, restored in place, serving the same minutes."""

from __future__ import annotations

import sqlite3

import pytest

from kit import create_app
from kit.cli import main
from kit.core.backup import backup, restore
from kit.core.db import get_session
from kit.core.errors import KitError
from kit.meeting import lifecycle
from tests.conftest import gen_meeting, gen_participant


def published_meeting(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        meeting = gen_meeting(db, live=True)
        awa = gen_participant(db, meeting)
        lifecycle.move(db, meeting, +1)
        lifecycle.contribute(db, meeting, awa, meeting.steps[1].id, "b1", {"text": "Un besoin sauvegardé"})
        lifecycle.close(db, meeting)
        lifecycle.publish(db, meeting)
        return meeting.share_token


def test_a_restored_backup_serves_the_same_minutes(app, tmp_path, monkeypatch):
    token = published_meeting(app)
    before = app.test_client().get(f"/minutes/{token}.md").get_data(as_text=True)
    copy = backup(app.config["DATABASE_URL"], tmp_path / "kit-backup.sqlite3")
    # the original is lost…
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    app.extensions["kit.engine"].dispose()
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM meeting")
    assert app.test_client().get(f"/minutes/{token}.md").status_code == 404
    # …and comes back from the backup, with the replaced file kept aside
    kept = restore(app.config["DATABASE_URL"], copy)
    assert kept is not None and kept.exists()
    restored = create_app({"INSTANCE_PATH": app.instance_path, "ASYNC_MODE": "threading"})
    assert restored.test_client().get(f"/minutes/{token}.md").get_data(as_text=True) == before


def test_bad_backups_and_other_databases_are_refused_plainly(app, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database", encoding="utf-8")
    with pytest.raises(KitError) as caught:
        restore(app.config["DATABASE_URL"], junk)
    assert caught.value.code == "not_a_backup"
    with pytest.raises(KitError) as caught:
        backup("postgresql+psycopg://postgres@127.0.0.1/test", tmp_path / "x")
    assert "pg_dump" in str(caught.value.message)
    copy = backup(app.config["DATABASE_URL"], tmp_path / "once.sqlite3")
    with pytest.raises(KitError):
        backup(app.config["DATABASE_URL"], copy)


def test_the_commands(app, tmp_path, monkeypatch, capsys):
    published_meeting(app)
    monkeypatch.setenv("KIT_INSTANCE_PATH", app.instance_path)
    assert main(["backup", str(tmp_path / "b.sqlite3")]) == 0
    assert "b.sqlite3" in capsys.readouterr().out
    assert main(["backup", str(tmp_path / "b.sqlite3")]) == 1
    assert "existe déjà" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "b.sqlite3")]) == 0
    assert "Restauré" in capsys.readouterr().out
